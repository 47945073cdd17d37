"""The person-name sequence model (PIPL Art 4): averaged-perceptron weights + Viterbi decoding.

Tags per character: O (outside), B (first), M (middle), E (last character of a name); a name has at
least two characters. Scores are the sum of the hashed feature weights of
:mod:`~hegui.moderation.recognizers.name_features` plus tag-transition weights; decoding is exact
Viterbi, run on windows around the positions where a name could start (a surname character, or a
position the emission scores favour as B), so long texts stay fast.

Weights ship as ``data/person_name.npz`` (plain numpy arrays, never pickle) with a JSON header
``data/person_name.json`` (format, feature bits, array sizes, training metadata, SHA-256 of the
``.npz``). Loading treats both files as untrusted, like the classifier weights: sizes are capped
before reading, the checksum must match, every ``.npy`` header (dtype, shape) is checked before its
data is read, and values are range-checked.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from hegui.moderation.classifier.weights import read_checked, read_npy

from hegui.fileio import write_atomic
from hegui.moderation.recognizers.errors import NameModelInvalid
from hegui.moderation.recognizers.name_features import N_TEMPLATES, NameLexicon, cue_digest, features

FORMAT = "hegui-person-name/1"
TAGS = ("O", "B", "M", "E")
O, B, M, E = range(4)
MAX_NPZ_BYTES = 6 * 1024 * 1024
MAX_HEADER_BYTES = 256 * 1024
_BITS_RANGE = (12, 22)
_NEG = -1e9
# allowed previous tags of each tag (a name is B M* E)
_PREV = ((O, E), (O, E), (B, M), (B, M))
# array name -> (dtype, shape from the header's "sizes")
_ARRAYS: dict[str, tuple[str, Any]] = {
    "rows": ("<u4", lambda s: (s["rows"],)),
    "values": ("|i1", lambda s: (s["rows"], 4)),
    "scale": ("<f4", lambda s: (1,)),
    "trans": ("<f4", lambda s: (4, 4)),
    "start": ("<f4", lambda s: (4,)),
    "end": ("<f4", lambda s: (4,)),
    "surname_cp": ("<u4", lambda s: (s["surnames"],)),
    "surname_bucket": ("|u1", lambda s: (s["surnames"],)),
    "compound": ("<u8", lambda s: (s["compounds"],)),
    "given_cp": ("<u4", lambda s: (s["given"],)),
    "given_bucket": ("|u1", lambda s: (s["given"],)),
}
_SIZE_LIMITS = {"rows": 1 << 22, "surnames": 5000, "compounds": 1000, "given": 20000}


@dataclass
class NameModel:
    """Dense hashed weights ``(2**bits, 4)``, transitions, the lexicon and training metadata."""

    bits: int
    weights: np.ndarray  # float32 (2**bits, 4)
    trans: np.ndarray  # float32 (4, 4): trans[prev, tag]
    start: np.ndarray  # float32 (4,)
    end: np.ndarray  # float32 (4,)
    lexicon: NameLexicon
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._wt = np.ascontiguousarray(self.weights.T)  # (4, rows): one gather per tag is fastest
        self._tr = (self.trans.tolist(), self.start.tolist(), self.end.tolist())

    def emissions(self, text: str) -> np.ndarray:
        """``(len(text), 4)`` float32 tag scores of each character."""
        if not text:
            return np.zeros((0, 4), dtype=np.float32)
        return self.emissions_of(features(text, self.lexicon, self.bits))

    def emissions_of(self, ids: np.ndarray) -> np.ndarray:
        return np.stack([self._wt[t].take(ids).sum(axis=1) for t in range(4)], axis=1)

    def viterbi(self, em: list[list[float]], first: bool = True, last: bool = True) -> list[int]:
        """Best tag sequence for emission rows ``em`` (see :func:`viterbi`)."""
        return viterbi(em, *self._tr, first=first, last=last)

    def tag(self, text: str, margin: float = 4.0) -> list[int]:
        """Tags for ``text``; Viterbi runs on merged windows around possible name starts."""
        n = len(text)
        if n == 0:
            return []
        em = self.emissions(text)
        tags = [O] * n
        gain = em[:, B] + self.trans[O, B] - em[:, O] - self.trans[O, O]
        cand = np.flatnonzero(gain > -margin)
        if cand.size == 0:
            return tags
        windows: list[list[int]] = []
        for i in cand.tolist():
            lo, hi = max(0, i - 2), min(n, i + 8)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([lo, hi])
        for lo, hi in windows:
            tags[lo:hi] = self.viterbi(em[lo:hi].tolist(), first=lo == 0, last=hi == n)
        return tags

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of each decoded name (B M* E)."""
        return tags_to_spans(self.tag(text))


def viterbi(em: list[list[float]], tr: list[list[float]], start: list[float], end: list[float], *,
            first: bool = True, last: bool = True) -> list[int]:
    """Best BMEO tag sequence for emission rows ``em`` under transitions ``tr[prev][tag]``.

    ``first``/``last``: the rows touch the text edge (use ``start``/``end``) or else follow/precede
    an O outside the window (use the O transitions)."""
    init = start if first else tr[O]
    fin = end if last else [tr[t][O] for t in range(4)]
    score = [init[t] + em[0][t] if t in (O, B) else _NEG for t in range(4)]
    back: list[tuple[int, ...]] = []
    for row in em[1:]:
        new, bp = [], []
        for t in range(4):
            p0, p1 = _PREV[t]
            s0, s1 = score[p0] + tr[p0][t], score[p1] + tr[p1][t]
            if s0 >= s1:
                new.append(s0 + row[t]); bp.append(p0)
            else:
                new.append(s1 + row[t]); bp.append(p1)
        score = new
        back.append(tuple(bp))
    t = O if score[O] + fin[O] >= score[E] + fin[E] else E
    tags = [t]
    for bp in reversed(back):
        t = bp[t]
        tags.append(t)
    return tags[::-1]


def tags_to_spans(tags: list[int]) -> list[tuple[int, int]]:
    out, start = [], -1
    for i, t in enumerate(tags):
        if t == B:
            start = i
        elif t == E and start >= 0:
            out.append((start, i + 1))
            start = -1
        elif t == O:
            start = -1
    return out


def _fail(path: Path, detail: str) -> NameModelInvalid:
    return NameModelInvalid(path=str(path), detail=detail)


def _parse_header(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"header is not JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _fail(path, f"header format must be {FORMAT!r}")
    bits = header.get("bits")
    if not isinstance(bits, int) or isinstance(bits, bool) or not _BITS_RANGE[0] <= bits <= _BITS_RANGE[1]:
        raise _fail(path, f"bits must be an integer in {_BITS_RANGE}")
    if header.get("templates") != N_TEMPLATES or header.get("tags") != list(TAGS):
        raise _fail(path, "feature templates or tag set differ from this version")
    if header.get("cue_sha256") != cue_digest():
        raise _fail(path, "the model was trained with other cue words (cue_sha256 differs)")
    sizes = header.get("sizes")
    if not isinstance(sizes, dict) or set(sizes) != set(_SIZE_LIMITS) or not all(
            isinstance(sizes[k], int) and not isinstance(sizes[k], bool) and 0 <= sizes[k] <= lim
            for k, lim in _SIZE_LIMITS.items()):
        raise _fail(path, f"sizes must give {sorted(_SIZE_LIMITS)} within limits")
    if not isinstance(header.get("sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", header["sha256"]):
        raise _fail(path, "sha256 missing or malformed")
    return header


def _read_npy(path: Path, zf: zipfile.ZipFile, name: str, dtype: np.dtype[Any], shape: tuple[int, ...]) -> np.ndarray:
    return read_npy(path, zf, name, dtype, shape, error=NameModelInvalid, as_float=False)


def _check_values(path: Path, bits: int, a: dict[str, np.ndarray]) -> None:
    rows = a["rows"]
    if rows.size and (np.any(np.diff(rows.astype(np.int64)) <= 0) or int(rows[-1]) >= 1 << bits):
        raise _fail(path, "rows must be strictly increasing and below 2**bits")
    for name in ("scale", "trans", "start", "end"):
        if not np.all(np.isfinite(a[name])) or np.any(np.abs(a[name]) > 1e6):
            raise _fail(path, f"{name}: contains NaN, infinity or absurd values")
    if not a["scale"][0] > 0:
        raise _fail(path, "scale must be positive")
    for cp, bucket in (("surname_cp", "surname_bucket"), ("given_cp", "given_bucket")):
        keys = a[cp].astype(np.int64)
        if keys.size and (np.any(np.diff(keys) <= 0) or keys[-1] > 0x10FFFF):
            raise _fail(path, f"{cp}: codepoints must be strictly increasing and valid")
        if np.any((a[bucket] < 1) | (a[bucket] > 4)):
            raise _fail(path, f"{bucket}: buckets must be 1..4")
    comp = a["compound"]
    if comp.size and (np.any(np.diff(comp) == 0) or np.any(comp[1:] < comp[:-1]) or np.any(comp >> 42)):
        raise _fail(path, "compound: keys must be strictly increasing pairs of codepoints")


def load_model(npz_path: str | os.PathLike[str]) -> NameModel:
    """Validate and load ``<name>.npz`` with its ``<name>.json`` header; raise NameModelInvalid."""
    path = Path(npz_path)
    header, raw = read_checked(path, _parse_header, MAX_NPZ_BYTES, NameModelInvalid, MAX_HEADER_BYTES)
    a: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = sorted(zf.namelist())
            if members != sorted(n + ".npy" for n in _ARRAYS):
                raise _fail(path, f"archive members {members} are not exactly {sorted(_ARRAYS)}")
            for name, (dtype, shape_of) in _ARRAYS.items():
                a[name] = _read_npy(path, zf, name, np.dtype(dtype), shape_of(header["sizes"]))
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _fail(path, f"not a valid npz archive: {exc}") from exc
    bits = header["bits"]
    _check_values(path, bits, a)
    weights = np.zeros((1 << bits, 4), dtype=np.float32)
    weights[a["rows"].astype(np.int64)] = a["values"].astype(np.float32) * a["scale"][0]
    lex = NameLexicon(a["surname_cp"], a["surname_bucket"], a["compound"], a["given_cp"], a["given_bucket"])
    return NameModel(bits=bits, weights=weights, trans=a["trans"].astype(np.float32),
                     start=a["start"].astype(np.float32), end=a["end"].astype(np.float32), lexicon=lex,
                     meta={k: v for k, v in header.items() if k not in ("sizes", "sha256")})


def save_model(npz_path: str | os.PathLike[str], model: NameModel) -> None:
    """Quantise the weights to int8 (one scale), keep non-zero rows, write ``.npz`` then ``.json``."""
    path = Path(npz_path)
    w = model.weights
    scale = float(np.abs(w).max()) / 127.0 if w.size and np.abs(w).max() > 0 else 1.0
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    rows = np.flatnonzero(np.any(q != 0, axis=1)).astype("<u4")
    lex = model.lexicon
    arrays = {"rows": rows, "values": q[rows], "scale": np.array([scale], "<f4"),
              "trans": model.trans.astype("<f4"), "start": model.start.astype("<f4"), "end": model.end.astype("<f4"),
              "surname_cp": lex.surname_cp.astype("<u4"), "surname_bucket": lex.surname_bucket.astype("u1"),
              "compound": lex.compound.astype("<u8"), "given_cp": lex.given_cp.astype("<u4"),
              "given_bucket": lex.given_bucket.astype("u1")}
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    raw = buf.getvalue()
    header = {"format": FORMAT, **{k: v for k, v in model.meta.items() if k != "format"}, "bits": model.bits,
              "templates": N_TEMPLATES, "tags": list(TAGS), "cue_sha256": cue_digest(),
              "sizes": {"rows": int(rows.size), "surnames": int(lex.surname_cp.size),
                        "compounds": int(lex.compound.size), "given": int(lex.given_cp.size)},
              "sha256": hashlib.sha256(raw).hexdigest()}
    write_atomic(path, raw, mode=0o644)
    write_atomic(path.with_suffix(".json"), json.dumps(header, ensure_ascii=False, indent=1) + "\n", mode=0o644)


def default_model_path() -> Path:
    return Path(str(resources.files("hegui.moderation.recognizers").joinpath("data", "person_name.npz")))
