"""The classifier weights file: ``<name>.npz`` (plain numpy arrays, never pickle) + ``<name>.json``.

The JSON header names the format, the feature configuration, the heads with their risk ids and
Platt calibration, training metadata, and the SHA-256 of the ``.npz``. Loading treats both files as
untrusted: sizes are capped before reading, the checksum must match, and every array's ``.npy``
header (dtype, shape, order) is checked against the header *before* its data is read, so a hostile
file can neither run code (object arrays / pickle are refused) nor make us allocate unbounded memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hegui.fileio import write_atomic
from hegui.moderation.classifier.errors import ModelFileInvalid
from hegui.moderation.classifier.features import FeatureConfig, syllable_table

FORMAT = "hegui-classifier/1"
MAX_NPZ_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
MAX_HEADS = 64
_BITS_RANGE = (10, 22)
_HEAD_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_RISK_RE = re.compile(r"^A[1-5][a-z]$")
# array name -> (dtype, shape as a function of (dim, heads))
_ARRAYS: dict[str, tuple[np.dtype[Any], Callable[[int, int], tuple[int, ...]]]] = {
    "weights": (np.dtype("<f2"), lambda d, h: (d, h)),
    "bias": (np.dtype("<f4"), lambda d, h: (h,)),
    "idf": (np.dtype("<f2"), lambda d, h: (d,)),
    "platt": (np.dtype("<f4"), lambda d, h: (h, 2)),
}


@dataclass(slots=True)
class ModelData:
    """Everything a :class:`~hegui.moderation.classifier.model.Classifier` needs, validated."""

    config: FeatureConfig
    heads: list[str]
    head_risks: dict[str, list[str]]
    weights: np.ndarray  # (dim, heads) float32
    bias: np.ndarray  # (heads,) float32
    idf: np.ndarray  # (dim,) float32
    platt: np.ndarray  # (heads, 2) float32: p = sigmoid(a * logit + b)
    meta: dict[str, Any] = field(default_factory=dict)


def _fail(path: Path, detail: str) -> ModelFileInvalid:
    return ModelFileInvalid(path=str(path), detail=detail)


def read_capped(path: Path, cap: int, error: type[Exception] = ModelFileInvalid) -> bytes:
    """The file's bytes, refused (``error(path=…, detail=…)``) when larger than ``cap`` or unreadable."""
    try:
        size = path.stat().st_size
        if size > cap:
            raise error(path=str(path), detail=f"file is {size} bytes, limit {cap}")
        return path.read_bytes()
    except OSError as exc:
        raise error(path=str(path), detail=f"cannot read: {exc.strerror or exc}") from exc


def _parse_header(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"header is not JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _fail(path, f"header format must be {FORMAT!r}")
    feats = header.get("features")
    if not isinstance(feats, dict) or not (
            {"bits", "char_min", "char_max", "word_max"} <= set(feats) <= {"bits", "char_min", "char_max",
                                                                             "word_max", "syl_max"}):
        raise _fail(path, "features must have exactly bits, char_min, char_max, word_max (and optionally syl_max)")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in feats.values()):
        raise _fail(path, "feature parameters must be integers")
    if not (_BITS_RANGE[0] <= feats["bits"] <= _BITS_RANGE[1]) or not (
        1 <= feats["char_min"] <= feats["char_max"] <= 6) or not (0 <= feats["word_max"] <= 3) or not (
            0 <= feats.get("syl_max", 0) <= 3):
        raise _fail(path, "feature parameters out of range")
    if feats.get("syl_max", 0) > 0 and header.get("syllable_table_sha256") != syllable_table().sha256:
        raise _fail(path, "the model was trained with another syllable table (syllable_table_sha256 differs "
                          "from data/syllables.tsv)")
    heads = header.get("heads")
    if not isinstance(heads, list) or not (1 <= len(heads) <= MAX_HEADS):
        raise _fail(path, f"heads must be a list of 1..{MAX_HEADS} entries")
    names: list[str] = []
    for h in heads:
        if not isinstance(h, dict) or not isinstance(h.get("name"), str) or not _HEAD_RE.match(h["name"]):
            raise _fail(path, "each head needs a name of [a-z0-9_]")
        risks = h.get("risks")
        if not isinstance(risks, list) or not all(isinstance(r, str) and _RISK_RE.match(r) for r in risks):
            raise _fail(path, f"head {h['name']}: risks must be Annex A ids (A1a..A5b)")
        names.append(h["name"])
    if len(set(names)) != len(names):
        raise _fail(path, "duplicate head names")
    if not isinstance(header.get("sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", header["sha256"]):
        raise _fail(path, "sha256 missing or malformed")
    return header


def read_npy(path: Path, zf: zipfile.ZipFile, name: str, dtype: np.dtype, shape: tuple[int, ...], *,
             error: type[Exception] = ModelFileInvalid, as_float: bool = True) -> np.ndarray:
    """One array of an archive, its ``.npy`` header (dtype, shape, C order) checked before any data is
    read; refused with ``error(path=…, detail=…)``. ``as_float``: returned as finite float32."""
    def fail(detail: str) -> Exception:
        return error(path=str(path), detail=f"{name}: {detail}")

    with zf.open(name + ".npy") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                got_shape, fortran, got_dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                got_shape, fortran, got_dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise fail(f"unsupported .npy version {version}")
        except ValueError as exc:
            raise fail(f"bad .npy header: {exc}") from exc
        if got_dtype != dtype or got_dtype.hasobject:
            raise fail(f"dtype {got_dtype} where {dtype} is required")
        if tuple(got_shape) != shape or fortran:
            raise fail(f"shape {tuple(got_shape)} where {shape} is required")
        need = int(np.prod(shape)) * dtype.itemsize
        data = fh.read(need + 1)
    if len(data) != need:
        raise fail(f"{len(data)} data bytes where {need} are required")
    if not as_float:
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    arr = np.frombuffer(data, dtype=dtype).reshape(shape).astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise fail("contains NaN or infinity")
    return arr


def read_checked(path: Path, parse_header: Callable[[Path, bytes], dict[str, Any]], max_npz: int,
                 error: type[Exception] = ModelFileInvalid,
                 max_header: int = MAX_HEADER_BYTES) -> tuple[dict[str, Any], bytes]:
    """The validated JSON header beside ``path`` and the ``.npz`` bytes, whose SHA-256 must equal
    the header's ``sha256`` (both files capped in size before they are read)."""
    header = parse_header(path, read_capped(path.with_suffix(".json"), max_header, error))
    raw = read_capped(path, max_npz, error)
    if hashlib.sha256(raw).hexdigest() != header["sha256"]:
        raise error(path=str(path), detail="checksum does not match the header (file altered or truncated)")
    return header, raw


def load_model(npz_path: str | os.PathLike[str]) -> ModelData:
    """Validate and load ``<name>.npz`` with its ``<name>.json`` header; raise ModelFileInvalid."""
    path = Path(npz_path)
    header, raw = read_checked(path, _parse_header, MAX_NPZ_BYTES)
    cfg = FeatureConfig(**header["features"])
    n_heads = len(header["heads"])
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = sorted(zf.namelist())
            if members != sorted(n + ".npy" for n in _ARRAYS):
                raise _fail(path, f"archive members {members} are not exactly {sorted(_ARRAYS)}")
            for name, (dtype, shape_of) in _ARRAYS.items():
                arrays[name] = read_npy(path, zf, name, dtype, shape_of(cfg.dim, n_heads))
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _fail(path, f"not a valid npz archive: {exc}") from exc
    heads = [h["name"] for h in header["heads"]]
    return ModelData(config=cfg, heads=heads, head_risks={h["name"]: list(h["risks"]) for h in header["heads"]},
                     weights=arrays["weights"], bias=arrays["bias"], idf=arrays["idf"], platt=arrays["platt"],
                     meta={k: v for k, v in header.items() if k not in ("heads", "features", "sha256")})


def save_model(npz_path: str | os.PathLike[str], model: ModelData) -> None:
    """Write the ``.npz`` then its ``.json`` header, each atomically (temp file + fsync + rename)."""
    path = Path(npz_path)
    buf = io.BytesIO()
    np.savez_compressed(buf, weights=model.weights.astype("<f2"), bias=model.bias.astype("<f4"),
                        idf=model.idf.astype("<f2"), platt=model.platt.astype("<f4"))
    raw = buf.getvalue()
    header = {"format": FORMAT, **model.meta, "features": model.config.to_dict(),
              "heads": [{"name": h, "risks": model.head_risks[h]} for h in model.heads],
              "sha256": hashlib.sha256(raw).hexdigest()}
    write_atomic(path, raw, mode=0o644)  # a shipped model must be readable
    write_atomic(path.with_suffix(".json"), json.dumps(header, ensure_ascii=False, indent=1) + "\n", mode=0o644)
