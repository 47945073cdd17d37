"""Invisible watermark: 64-bit payload, convolutional code + soft Viterbi, robust to common edits, PSNR ≥ 40 dB.

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
        assert not res.found and res.payload is None and res.confidence < 0.5 and res.p_false > 1e-3


def test_found_marks_report_a_tiny_false_alarm_probability(marked: tuple[np.ndarray, np.ndarray]) -> None:
    res = wm.detect_array(marked[1])
    assert res.found and res.p_false < 1e-6 and res.confidence > 0.999999
    assert res.to_dict()["bit_errors"] == res.bit_errors >= 0


def _scene(kind: str, seed: int) -> np.ndarray:
    """Two generated pictures unlike ``_photo``: a bright sky-and-hills scene (much of it near white,
    where +20 % brightness clips) and a smooth, out-of-focus one (what WebP flattens)."""
    rng = np.random.default_rng(seed)
    h, w = 384, 512
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    if kind == "bright":
        sky = np.array([200, 225, 250], np.float32) * (1 - y) + np.array([235, 240, 245], np.float32) * y
        img = sky + np.zeros((1, w, 1), np.float32)
        ridge = (0.55 + 0.1 * np.sin(np.linspace(0, 9, w)))[None, :] * h
        hills = np.asarray(Image.fromarray((rng.random((24, 32)) * 255).astype(np.uint8)).resize((w, h)), np.float32)
        img = np.where((np.arange(h)[:, None] > ridge)[..., None], (60 + 0.5 * hills)[..., None] * [0.6, 1.0, 0.5], img)
    else:
        low = Image.fromarray((rng.random((4, 5, 3)) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
        img = np.asarray(low, np.float32)
    return np.clip(img + rng.normal(0, 2.0, (h, w, 1)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("kind", ["bright", "smooth"])
@pytest.mark.parametrize("attack", ["bright+20", "bright-20", "webp"])
def test_brightness_and_webp_on_generated_scenes(kind: str, attack: str) -> None:
    src = _scene(kind, 7)
    out = wm.embed_array(src, PAYLOAD, key=wm.DEFAULT_KEY, strength=1.0)
    assert 10 * np.log10(255 ** 2 / np.mean((src.astype(float) - out.astype(float)) ** 2)) >= 40.0
    if attack == "webp":
        attacked = _dec(_enc(out, "WEBP"))
    else:
        attacked = np.clip(out.astype(np.float32) * (1.2 if attack == "bright+20" else 0.8) + 0.5, 0, 255).astype(np.uint8)
    res = wm.detect_array(attacked)
    assert res.found and res.payload == PAYLOAD, res


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
    assert code.decode(np.where(bits > 0, 1.0, -1.0), wm.DEFAULT_KEY).payload == b"ABCDEFGH"
    with pytest.raises(ValueError):
        code.encode(1 << 64, wm.DEFAULT_KEY)
    with pytest.raises(ValueError):
        code.encode(b"short", wm.DEFAULT_KEY)
    with pytest.raises(ValueError):
        wm.embed(_enc(_photo(), "PNG"), 1, strength=0)


def test_soft_viterbi_corrects_noisy_and_flipped_bits() -> None:
    bits = code.encode(PAYLOAD, wm.DEFAULT_KEY)
    rng = np.random.default_rng(0)
    ok = 0
    for _ in range(20):  # amplitude 1.3 in unit noise: raw bit error rate ≈ 10 %
        soft = 1.3 * np.where(bits > 0, 1.0, -1.0) + rng.normal(size=bits.size)
        d = code.decode(soft, wm.DEFAULT_KEY)
        ok += d.payload == PAYLOAD.to_bytes(8, "big")
        assert d.payload in (None, PAYLOAD.to_bytes(8, "big"))  # never a wrong payload
    assert ok >= 18
    soft = np.where(bits > 0, 1.0, -1.0)
    soft[rng.choice(bits.size, size=12, replace=False)] *= -1  # 12 hard flips, well spread
    d = code.decode(soft, wm.DEFAULT_KEY)
    assert d.payload == PAYLOAD.to_bytes(8, "big") and d.bit_errors == 12


def test_false_alarm_bound_holds_on_noise() -> None:
    scores = code.null_scores(300)
    assert scores.max() < 0.68  # the "found" threshold (false-alarm bound 1e-8) is never reached
    assert code.false_alarm(float(np.median(scores))) > 0.3
    assert code.union_bound(0.75) < 1e-12 < code.union_bound(0.65)
    assert code.false_alarm(0.70) <= code.union_bound(0.70) < code.MAX_FALSE_ALARM < code.union_bound(0.67)
    for seed in range(5):
        assert code.decode(np.random.default_rng(seed).normal(size=code.CODE_BITS), wm.DEFAULT_KEY).payload is None


def test_corrupt_input_raises() -> None:
    with pytest.raises(MediaUnreadable):
        wm.detect(b"\x89PNG\r\n\x1a\n garbage")
