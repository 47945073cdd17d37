"""dlib face embeddings (models from face-recognition-models, pinned digests) for the registry of
protected portraits (Deep Synthesis Provisions Art 14)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from hegui.likeness import face as fc
from hegui.likeness.modelfile import LikenessInputUnreadable, LikenessModelUnavailable, package_file
from hegui.likeness.registry import Thresholds

PORTRAIT = Path(__file__).resolve().parents[1] / "data" / "likeness" / "astronaut_collins.jpg"


@pytest.fixture(scope="module")
def encoder() -> fc.FaceEncoder:
    return fc.FaceEncoder.load()


def _jpeg(img: Image.Image, quality: int = 70) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_a_face_is_found_in_the_shipped_portrait(encoder: fc.FaceEncoder) -> None:
    faces = encoder.embed_faces(PORTRAIT.read_bytes())
    assert len(faces) == 1
    left, top, right, bottom = faces[0].box
    assert 40 <= left < right <= 200 and 30 <= top < bottom <= 240 and right - left > 50
    assert faces[0].vector.shape == (128,) and abs(float(np.linalg.norm(faces[0].vector)) - 1) < 1e-5


def test_the_same_face_altered_stays_above_the_threshold_and_boxes_follow_scaling(encoder: fc.FaceEncoder) -> None:
    img = Image.open(PORTRAIT).convert("RGB")
    ref = encoder.embed_faces(PORTRAIT.read_bytes())[0]
    mirrored = encoder.embed_faces(_jpeg(ImageOps.mirror(img), 40))[0]
    assert float(ref.vector @ mirrored.vector) >= Thresholds.load().face
    # a large canvas is scaled down for detection; the box comes back in the original pixels
    big = Image.new("RGB", (3200, 2400), (90, 90, 90))
    big.paste(img.resize((800, 960)), (1000, 600))
    found = encoder.embed_faces(_jpeg(big, 90))
    assert len(found) == 1
    left, top, right, _ = found[0].box
    assert 1000 < left < right < 1800 and 600 < top < 1560
    assert float(found[0].vector @ ref.vector) >= Thresholds.load().face


def test_no_face_gives_an_empty_list(encoder: fc.FaceEncoder) -> None:
    gradient = Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (200, 1)))
    assert encoder.embed_faces(_jpeg(gradient.convert("RGB"))) == []


def test_bad_images_are_refused_with_a_clear_error(encoder: fc.FaceEncoder) -> None:
    with pytest.raises(LikenessInputUnreadable):
        encoder.embed_faces(b"not an image")
    with pytest.raises(LikenessInputUnreadable):
        encoder.embed_faces(PORTRAIT.read_bytes()[:2000])
    with pytest.raises(LikenessInputUnreadable) as err:
        encoder.embed_faces(_jpeg(Image.new("RGB", (3000, 2000))), max_pixels=1_000_000)
    assert "像素" in err.value.message("zh")


def test_fails_closed_on_a_missing_or_altered_model(tmp_path: Path) -> None:
    for _, (rel, _) in fc.MODELS.items():
        src = package_file("face_recognition_models", rel)
        assert src is not None
        shutil.copyfile(src, tmp_path / Path(rel).name)
    assert fc.FaceEncoder.load(str(tmp_path)) is not None
    target = tmp_path / "shape_predictor_5_face_landmarks.dat"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(LikenessModelUnavailable):
        fc.FaceEncoder.load(str(tmp_path))
    target.unlink()
    with pytest.raises(LikenessModelUnavailable):
        fc.FaceEncoder.load(str(tmp_path))
