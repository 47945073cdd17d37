"""Invisible watermark: 64-bit payload with Reed–Solomon, robust to common edits, PSNR ≥ 40 dB.

Speed and the ≥ 200-image robustness table are in bench/labeling/watermark.py; these tests use
images made here.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hegui.labeling import watermark as wm
from hegui.labeling.explicit import MediaUnreadable
from hegui.labeling.watermark import code

PAYLOAD = 0xDEADBEEF_01234567


def _photo(w: int = 512, h: int = 384, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = Image.fromarray((rng.random((7, 9, 3)) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(low, dtype=np.float32) + rng.normal(0, 10, (h, w, 1)), 0, 255).astype(np.uint8)


def _enc(arr: np.ndarray, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, **kw)
    return buf.getvalue()


def _dec(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="module")
def marked() -> tuple[np.ndarray, np.ndarray]:
    src = _photo()
    return src, wm.embed_array(src, PAYLOAD, key=wm.DEFAULT_KEY, strength=1.0)


def test_psnr_at_least_40db(marked: tuple[np.ndarray, np.ndarray]) -> None:
    src, out = marked
    mse = np.mean((src.astype(float) - out.astype(float)) ** 2)
    assert 10 * np.log10(255 ** 2 / mse) >= 40.0


@pytest.mark.parametrize("attack", ["none", "jpeg50", "resize50", "crop10", "bright+20", "bright-20", "webp"])
def test_payload_survives(marked: tuple[np.ndarray, np.ndarray], attack: str) -> None:
    _, out = marked
    img = Image.fromarray(out)
    w, h = img.size
    attacked = {
        "none": lambda: out,
        "jpeg50": lambda: _dec(_enc(out, "JPEG", quality=50)),
        "resize50": lambda: np.asarray(img.resize((w // 2, h // 2), Image.Resampling.BICUBIC)),
        "crop10": lambda: np.asarray(img.crop((w // 10, h // 10, w - w // 10, h - h // 10))),
        "bright+20": lambda: np.clip(out * 1.2, 0, 255).astype(np.uint8),
        "bright-20": lambda: np.clip(out * 0.8, 0, 255).astype(np.uint8),
        "webp": lambda: _dec(_enc(out, "WEBP")),
    }[attack]()
    res = wm.detect_array(attacked)
    assert res.found and res.payload == PAYLOAD, res


def test_unmarked_images_are_not_detected() -> None:
    for seed in range(4):
        res = wm.detect_array(_photo(seed=seed + 10))
        assert not res.found and res.payload is None and res.confidence < 0.5


def test_wrong_key_does_not_detect(marked: tuple[np.ndarray, np.ndarray]) -> None:
    assert not wm.detect_array(marked[1], key=b"another-operator").found


@pytest.mark.parametrize(("fmt", "kw"), [("PNG", {}), ("JPEG", {"quality": 95}), ("WEBP", {"quality": 95})])
def test_bytes_api_keeps_format(fmt: str, kw: dict[str, object]) -> None:
    data = _enc(_photo(), fmt, **kw)
    out = wm.embed(data, wm.payload_for_content_id("cid-1"))
    assert Image.open(io.BytesIO(out)).format == fmt
    res = wm.detect(out)
    assert res.found and res.payload == wm.payload_for_content_id("cid-1")
    assert res.to_dict()["payload"] == f"{res.payload:016x}"


def test_alpha_channel_is_untouched() -> None:
    rgba = np.dstack([_photo(), np.linspace(0, 255, 512 * 384).reshape(384, 512).astype(np.uint8)])
    out = wm.embed(_enc(rgba, "PNG"), PAYLOAD)
    arr = np.asarray(Image.open(io.BytesIO(out)))
    assert arr.shape[2] == 4 and np.array_equal(arr[..., 3], rgba[..., 3])
    assert wm.detect(out).payload == PAYLOAD


def test_payload_for_content_id_is_stable_64_bit() -> None:
    a = wm.payload_for_content_id("record-1")
    assert a == wm.payload_for_content_id("record-1") != wm.payload_for_content_id("record-2")
    assert 0 <= a < 1 << 64
    assert a == int.from_bytes(__import__("hashlib").sha256(b"hegui-wm-v1:record-1").digest()[:8], "big")


def test_bytes_payload_and_bad_payloads() -> None:
    bits = code.encode(b"ABCDEFGH", wm.DEFAULT_KEY)
    assert code.decode(np.where(bits > 0, 1.0, -1.0), wm.DEFAULT_KEY)[0] == b"ABCDEFGH"
    with pytest.raises(ValueError):
        code.encode(1 << 64, wm.DEFAULT_KEY)
    with pytest.raises(ValueError):
        code.encode(b"short", wm.DEFAULT_KEY)
    with pytest.raises(ValueError):
        wm.embed(_enc(_photo(), "PNG"), 1, strength=0)


def test_reed_solomon_corrects_byte_errors_and_uses_erasures() -> None:
    bits = code.encode(PAYLOAD, wm.DEFAULT_KEY)
    soft = np.where(bits > 0, 1.0, -1.0)
    rng = np.random.default_rng(0)
    bad = rng.choice(24, size=8, replace=False)
    for b in bad:
        soft[b * 8] *= -1  # one wrong bit in each of 8 bytes: the correction limit
    got, _, errors = code.decode(soft, wm.DEFAULT_KEY)
    assert got == PAYLOAD.to_bytes(8, "big") and errors == 8
    more = rng.choice([i for i in range(24) if i not in bad], size=2, replace=False)
    for b in [*bad, *more]:
        soft[b * 8 + 1] *= -1
        soft[b * 8: b * 8 + 8] *= 0.1  # low reliability → erased first
    assert code.decode(soft, wm.DEFAULT_KEY)[0] == PAYLOAD.to_bytes(8, "big")
    assert code.decode(np.random.default_rng(1).normal(size=soft.size), wm.DEFAULT_KEY)[0] is None


def test_corrupt_input_raises() -> None:
    with pytest.raises(MediaUnreadable):
        wm.detect(b"\x89PNG\r\n\x1a\n garbage")
