"""The semantic stage's weights: linear heads on sentence embeddings, the cascade's stacking
weights and band, and the response judge (``<name>.npz`` + ``<name>.json``, never pickle).

GB/T 45654 §7–8: the same risk heads as the fast classifier, scored from meaning rather than
surface n-grams. Loading treats both files as untrusted, like the classifier's weights
(:mod:`hegui.moderation.classifier.weights`): sizes capped, checksum checked, every array's dtype
and shape checked before its data is read.
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

from hegui.fileio import write_atomic
from hegui.moderation.classifier.errors import ModelFileInvalid
from hegui.moderation.classifier.weights import read_checked, read_npy
from hegui.moderation.semantic.encoder import DIM

FORMAT = "hegui-semantic/1"
MAX_NPZ_BYTES = 16 * 1024 * 1024
JUDGE_CLASSES = ("harmful", "refusal", "responsible", "benign")
JUDGE_DIM = 3 * DIM  # [prompt, response, prompt * response]
DEFAULT_MODEL = "model/default.npz"
_HEAD_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_RISK_RE = re.compile(r"^A[1-5][a-z]$")


@dataclass(slots=True)
class SemanticModel:
    heads: list[str]
    head_risks: dict[str, list[str]]
    w: np.ndarray  # (DIM, H)
    b: np.ndarray  # (H,)
    platt: np.ndarray  # (H, 2): p = sigmoid(a * z + b)
    stack: np.ndarray  # (H, 3): cascade p = sigmoid(a_fast * logit(fast) + a_sem * z_sem + c)
    band: np.ndarray  # (H, 2): fast probabilities in [lo, hi) go to the semantic stage
    judge_w: np.ndarray  # (JUDGE_DIM, 4)
    judge_b: np.ndarray  # (4,)
    encoder: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"w": self.w, "b": self.b, "platt": self.platt, "stack": self.stack, "band": self.band,
                "judge_w": self.judge_w, "judge_b": self.judge_b}


def _shapes(h: int) -> dict[str, tuple[int, ...]]:
    return {"w": (DIM, h), "b": (h,), "platt": (h, 2), "stack": (h, 3), "band": (h, 2),
            "judge_w": (JUDGE_DIM, len(JUDGE_CLASSES)), "judge_b": (len(JUDGE_CLASSES),)}


def _fail(path: Path, detail: str) -> ModelFileInvalid:
    return ModelFileInvalid(path=str(path), detail=detail)


def _parse_header(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"header is not JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _fail(path, f"header format must be {FORMAT!r}")
    heads = header.get("heads")
    if not isinstance(heads, list) or not 1 <= len(heads) <= 64:
        raise _fail(path, "heads must be a list of 1..64 entries")
    for h in heads:
        if not isinstance(h, dict) or not isinstance(h.get("name"), str) or not _HEAD_RE.match(h["name"]):
            raise _fail(path, "each head needs a name of [a-z0-9_]")
        if not isinstance(h.get("risks"), list) or not all(isinstance(r, str) and _RISK_RE.match(r)
                                                           for r in h["risks"]):
            raise _fail(path, f"head {h['name']}: risks must be Annex A ids")
    if len({h["name"] for h in heads}) != len(heads):
        raise _fail(path, "duplicate head names")
    if header.get("judge_classes") != list(JUDGE_CLASSES):
        raise _fail(path, f"judge_classes must be {list(JUDGE_CLASSES)}")
    if not isinstance(header.get("sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", header["sha256"]):
        raise _fail(path, "sha256 missing or malformed")
    return header


def load_semantic(npz_path: str | os.PathLike[str]) -> SemanticModel:
    """Validate and load; raise :class:`ModelFileInvalid` (nothing half-loaded)."""
    path = Path(npz_path)
    header, raw = read_checked(path, _parse_header, MAX_NPZ_BYTES)
    shapes = _shapes(len(header["heads"]))
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            if sorted(zf.namelist()) != sorted(n + ".npy" for n in shapes):
                raise _fail(path, f"archive members must be exactly {sorted(shapes)}")
            for name, shape in shapes.items():
                arrays[name] = read_npy(path, zf, name, np.dtype("<f4"), shape)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _fail(path, f"not a valid npz archive: {exc}") from exc
    names = [h["name"] for h in header["heads"]]
    meta = {k: v for k, v in header.items() if k not in ("heads", "sha256", "format", "judge_classes")}
    return SemanticModel(names, {h["name"]: list(h["risks"]) for h in header["heads"]}, encoder=str(
        header.get("encoder", "")), meta=meta, **arrays)


def save_semantic(npz_path: str | os.PathLike[str], model: SemanticModel) -> None:
    path = Path(npz_path)
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: v.astype("<f4") for k, v in model._arrays().items()})
    raw = buf.getvalue()
    header = {"format": FORMAT, "encoder": model.encoder, **model.meta,
              "heads": [{"name": h, "risks": model.head_risks[h]} for h in model.heads],
              "judge_classes": list(JUDGE_CLASSES), "sha256": hashlib.sha256(raw).hexdigest()}
    write_atomic(path, raw, mode=0o644)
    write_atomic(path.with_suffix(".json"), json.dumps(header, ensure_ascii=False, indent=1) + "\n", mode=0o644)


def default_semantic_path() -> Path:
    ref = resources.files("hegui.moderation.semantic").joinpath(DEFAULT_MODEL)
    with resources.as_file(ref) as p:
        return Path(p)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))), dtype=np.float32)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=np.float32)
