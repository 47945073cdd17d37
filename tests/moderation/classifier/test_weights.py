"""Loading treats the weights file as untrusted: tampering, wrong dtypes/shapes and pickle are refused."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hegui.moderation.classifier import Classifier, FeatureConfig, ModelFileInvalid
from hegui.moderation.classifier.weights import ModelData, load_model, save_model

HEADS = ["unsafe", "offensive"]


def _model(bits: int = 10) -> ModelData:
    cfg = FeatureConfig(bits=bits)
    rng = np.random.default_rng(0)
    return ModelData(config=cfg, heads=HEADS, head_risks={"unsafe": ["A1d"], "offensive": ["A2a", "A2e"]},
                     weights=rng.normal(size=(cfg.dim, 2)).astype(np.float32), bias=np.zeros(2, np.float32),
                     idf=np.ones(cfg.dim, np.float32), platt=np.array([[1, 0], [1, 0]], np.float32),
                     meta={"script_version": "test"})


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "m.npz"
    save_model(path, _model())
    return path


def _rewrite(path: Path, arrays: dict[str, np.ndarray], *, allow_pickle: bool = False) -> None:
    """Replace the npz with ``arrays`` and fix up the checksum, as an attacker could."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, arr, allow_pickle=allow_pickle)
            zf.writestr(name + ".npy", member.getvalue())
    path.write_bytes(buf.getvalue())
    _fix_checksum(path)


def _fix_checksum(path: Path) -> None:
    header = json.loads(path.with_suffix(".json").read_text())
    header["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_suffix(".json").write_text(json.dumps(header))


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_round_trip(saved):
    clf = Classifier.load(saved)
    assert clf.heads == HEADS and clf.head_risks["offensive"] == ["A2a", "A2e"]
    assert all(0 <= v <= 1 for v in clf.score("测试 text").values())


def test_flipped_byte_fails_checksum(saved):
    raw = bytearray(saved.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    saved.write_bytes(bytes(raw))
    with pytest.raises(ModelFileInvalid, match="checksum"):
        Classifier.load(saved)


def test_wrong_dtype_rejected(saved):
    arrays = _arrays(saved)
    arrays["weights"] = arrays["weights"].astype(np.float64)
    _rewrite(saved, arrays)
    with pytest.raises(ModelFileInvalid, match="dtype"):
        load_model(saved)


def test_wrong_shape_rejected(saved):
    arrays = _arrays(saved)
    arrays["bias"] = np.zeros(5, "<f4")
    _rewrite(saved, arrays)
    with pytest.raises(ModelFileInvalid, match="shape"):
        load_model(saved)


def test_object_array_pickle_rejected_without_unpickling(saved, monkeypatch):
    arrays = _arrays(saved)
    arrays["idf"] = np.array([{"evil": 1}], dtype=object)
    _rewrite(saved, arrays, allow_pickle=True)
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(ModelFileInvalid, match="dtype"):
        load_model(saved)


def test_raw_pickle_file_rejected(saved):
    saved.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    _fix_checksum(saved)
    with pytest.raises(ModelFileInvalid, match="npz"):
        load_model(saved)


def test_extra_member_and_nan_rejected(saved):
    arrays = _arrays(saved)
    _rewrite(saved, {**arrays, "extra": np.zeros(1, "<f4")})
    with pytest.raises(ModelFileInvalid, match="members"):
        load_model(saved)
    arrays["bias"] = np.array([np.nan, 0], "<f4")
    _rewrite(saved, arrays)
    with pytest.raises(ModelFileInvalid, match="NaN"):
        load_model(saved)


@pytest.mark.parametrize("patch", [
    {"format": "other/9"},
    {"features": {"bits": 40, "char_min": 1, "char_max": 4, "word_max": 2}},
    {"heads": [{"name": "unsafe", "risks": ["Z9z"]}, {"name": "offensive", "risks": []}]},
    {"heads": [{"name": "unsafe", "risks": []}, {"name": "unsafe", "risks": []}]},
    {"sha256": "abc"},
])
def test_bad_header_rejected(saved, patch):
    header = json.loads(saved.with_suffix(".json").read_text())
    header.update(patch)
    saved.with_suffix(".json").write_text(json.dumps(header))
    with pytest.raises(ModelFileInvalid):
        load_model(saved)


def test_missing_and_oversized_files(tmp_path, saved, monkeypatch):
    with pytest.raises(ModelFileInvalid, match="cannot read"):
        load_model(tmp_path / "absent.npz")
    monkeypatch.setattr("hegui.moderation.classifier.weights.MAX_NPZ_BYTES", 100)
    with pytest.raises(ModelFileInvalid, match="limit"):
        load_model(saved)


def test_error_is_bilingual(tmp_path):
    with pytest.raises(ModelFileInvalid) as err:
        load_model(tmp_path / "absent.npz")
    assert err.value.code == "MODERATION_MODEL_INVALID" and "分类模型" in err.value.message("zh")


def test_saved_files_are_world_readable(saved):
    assert saved.stat().st_mode & 0o044 == 0o044
    assert saved.with_suffix(".json").stat().st_mode & 0o044 == 0o044
