"""The gateway hook labels every generated image: explicit + watermark + implicit (Measures Arts 4, 5)."""

from __future__ import annotations

import importlib
import io

import numpy as np
import pytest
from PIL import Image

from hegui.errors import LabelError
from hegui.labeling import gateway_image, read_label, watermark
from hegui.labeling.gateway_image import label_generated_image

PRODUCER = "001191110102MACQD9K64010000"


def _photo(w: int = 384, h: int = 320, seed: int = 0) -> np.ndarray:
    """A photo-like test image: smooth colour field plus fine texture (made here, no download)."""
    rng = np.random.default_rng(seed)
    low = Image.fromarray((rng.random((6, 8, 3)) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    arr = np.asarray(low, dtype=np.float32) + rng.normal(0, 12, (h, w, 1))
    return np.clip(arr, 0, 255).astype(np.uint8)


def _encode(arr: np.ndarray, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_generated_image_gets_all_three_labels(fmt: str) -> None:
    src = _photo()
    out = label_generated_image(_encode(src, fmt, **({"quality": 95} if fmt == "JPEG" else {})),
                                content_id="rec-42", producer_code=PRODUCER)
    img = Image.open(io.BytesIO(out))
    assert img.format == fmt and img.size == (384, 320)
    # implicit label (Annex E) names the producer and the record's content ID
    label = read_label(out).label
    assert label is not None and label.Label == "1"
    assert (label.ContentProducer, label.ProduceID) == (PRODUCER, "rec-42")
    # watermark payload is derived from the content ID
    found = watermark.detect(out)
    assert found.found and found.payload == watermark.payload_for_content_id("rec-42")
    # explicit label: the bottom-right corner changed a lot, the rest only by the faint watermark
    diff = np.abs(np.asarray(img.convert("RGB"), dtype=np.int16) - src.astype(np.int16)).max(axis=2)
    assert diff[-60:, -130:].mean() > 40
    assert np.median(diff[:200, :200]) < 12


def test_watermark_can_be_switched_off() -> None:
    out = label_generated_image(_encode(_photo(), "PNG"), content_id="x", producer_code=PRODUCER, watermark=False)
    assert not watermark.detect(out).found
    assert read_label(out).label is not None


def test_corrupt_image_is_refused_with_bilingual_error() -> None:
    data = _encode(_photo(), "PNG")[:500]
    with pytest.raises(LabelError) as err:
        label_generated_image(data, content_id="x", producer_code=PRODUCER)
    assert err.value.message("zh") != err.value.message("en")


def test_fallback_writer_when_carrier_package_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name == "hegui.labeling.label":
            raise ModuleNotFoundError(name)
        return real(name, package)

    monkeypatch.setattr(gateway_image.importlib, "import_module", fake)
    out = label_generated_image(_encode(_photo(), "PNG"), content_id="fb-1", producer_code=PRODUCER)
    xmp = Image.open(io.BytesIO(out)).info["XML:com.adobe.xmp"]
    assert "http://www.tc260.org.cn/ns/AIGC/1.0/" in xmp and "&quot;ProduceID&quot;:&quot;fb-1&quot;" in xmp
    monkeypatch.undo()
    assert read_label(out).label.ProduceID == "fb-1"  # the real reader accepts the fallback packet


def test_webp_and_alpha_png_are_labelled_in_their_format() -> None:
    rgba = np.dstack([_photo(), np.full((320, 384), 180, dtype=np.uint8)])
    for data, fmt in ((_encode(_photo(), "WEBP", quality=95), "WEBP"), (_encode(rgba, "PNG"), "PNG")):
        out = label_generated_image(data, content_id="w-1", producer_code=PRODUCER)
        img = Image.open(io.BytesIO(out))
        assert img.format == fmt
        assert watermark.detect(out).payload == watermark.payload_for_content_id("w-1")
        assert read_label(out).label.ProduceID == "w-1"
    assert np.asarray(Image.open(io.BytesIO(out)))[..., 3].min() == 180
