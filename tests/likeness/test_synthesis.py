"""The demo likeness models (docs/likeness.md): the clone follows the reference's pitch, hostile
inputs are refused cleanly, the face swap changes only the face region."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hegui.errors import ValidationFailed
from hegui.synthesis import face, voice
from hegui.synthesis.media_io import decode_audio

pytestmark = pytest.mark.skipif(subprocess.run(["which", "espeak-ng"], capture_output=True).returncode != 0,
                                reason="espeak-ng missing (scripts/setup.sh installs it)")


def _ref(variant: str, pitch: int) -> bytes:
    return subprocess.run(["espeak-ng", "-v", variant, "-p", str(pitch), "--stdout", "A reference voice speaking."],
                          capture_output=True, check=True).stdout


def test_clone_moves_pitch_to_the_reference():
    low, high = voice.clone(_ref("en", 10), "你好世界"), voice.clone(_ref("en+f3", 90), "你好世界")
    for out in (low, high):
        got = voice.median_pitch(decode_audio(out.wav))
        assert got is not None and abs(1200 * np.log2(got / out.reference_pitch_hz)) < 100  # within a semitone
    assert high.reference_pitch_hz > 2 * low.reference_pitch_hz
    assert low.voice == "cmn-latn-pinyin" and high.voice == "cmn-latn-pinyin+f3"


def test_hostile_text_and_audio(tmp_path):
    target = tmp_path / "pwned.wav"
    out = voice.clone(_ref("en", 50), f"-w {target} hello")  # read on stdin: never an espeak option
    assert not target.exists() and len(out.wav) > 1000
    with pytest.raises(ValidationFailed, match="could not be decoded"):
        voice.clone(f"#EXTM3U\n#EXTINF:10,\nfile://{tmp_path}/x.wav\n#EXT-X-ENDLIST\n".encode(), "hi")
    with pytest.raises(ValidationFailed, match="shorter than 0.5 s"):
        voice.clone(_ref("en", 50)[:2000], "hi")
    with pytest.raises(ValidationFailed, match="longer than"):
        voice.clone(_ref("en", 50), "x" * (voice.MAX_TEXT_CHARS + 1))


def _png(size, bg, skin, box) -> bytes:
    im = Image.new("RGB", size, bg)
    ImageDraw.Draw(im).ellipse(box, fill=skin)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_face_swap_changes_only_the_face_region():
    rng = np.random.default_rng(3)
    src = Image.fromarray((rng.random((200, 200, 3)) * 255).astype(np.uint8))
    ImageDraw.Draw(src).ellipse((60, 40, 140, 160), fill=(224, 172, 140))
    buf = io.BytesIO()
    src.save(buf, "PNG")
    dst = _png((300, 240), (30, 30, 120), (198, 134, 100), (100, 50, 200, 190))
    r = face.swap(buf.getvalue(), dst)
    assert r.detector == "skin"
    before = np.asarray(Image.open(io.BytesIO(dst)).convert("RGB")).astype(int)
    after = np.asarray(Image.open(io.BytesIO(r.png)).convert("RGB")).astype(int)
    changed = np.abs(after - before).sum(axis=2) > 0
    inside = np.zeros_like(changed)
    b = r.target_box
    inside[b.top:b.bottom, b.left:b.right] = True
    assert changed[inside].any() and not changed[~inside].any()


def test_face_swap_refuses_bad_images():
    good = _png((64, 64), (0, 0, 0), (224, 172, 140), (10, 10, 50, 50))
    with pytest.raises(ValidationFailed, match="could not be read"):
        face.swap(b"not an image", good)
    with pytest.raises(ValidationFailed, match="empty"):
        face.swap(good, b"")
    big = io.BytesIO()
    Image.new("1", (9000, 100)).save(big, "PNG")
    with pytest.raises(ValidationFailed, match="too large"):
        face.swap(good, big.getvalue())
