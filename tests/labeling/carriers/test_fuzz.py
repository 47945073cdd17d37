"""Property-style robustness for every binary parser: truncations and byte flips of a labelled file
must give a label, a LabelError on write, or nothing — never another exception or a hang."""

import random

import pytest

from hegui.errors import LabelError
from hegui.labeling import read_label, write_label
from tests.labeling.media import ffmpeg, image, label

_A = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=8000", "-t", "0.3"]
_V = ["-f", "lavfi", "-i", "testsrc=size=32x32:rate=5", "-t", "0.4"]
MEDIA = {
    "a.mkv": [*_V, "-c:v", "libx264"],
    "a.webm": [*_V, "-c:v", "libvpx"],
    "a.flv": [*_V, "-c:v", "flv1"],
    "a.avi": [*_V, "-c:v", "mpeg4"],
    "a.mp4": [*_V, "-c:v", "libx264", "-movflags", "+faststart"],
    "a.mp3": [*_A, "-c:a", "libmp3lame"],
    "a.flac": [*_A, "-c:a", "flac"],
    "a.ogg": [*_A, "-c:a", "libvorbis"],
}


def _fuzz(data: bytes, name: str, seed: int = 11) -> None:
    rnd = random.Random(seed)
    cases = [data[:n] for n in range(0, len(data), max(1, len(data) // 25))]
    for _ in range(25):
        b = bytearray(data)
        for _ in range(rnd.choice((1, 3))):
            b[rnd.randrange(min(len(b), 600))] = rnd.randrange(256)  # headers/metadata live up front
        cases.append(bytes(b))
    for c in cases:
        r = read_label(c, filename=name)
        assert r.verdict in ("compliant", "noncompliant", "not_found", "inconclusive")
        try:
            write_label(c, label("z"), filename=name)
        except LabelError:
            pass


@pytest.mark.parametrize("name", sorted(MEDIA))
def test_fuzz_media(tmp_path, name):
    data = write_label(ffmpeg(tmp_path, name, *MEDIA[name]), label(), filename=name)
    _fuzz(data, name)


def test_fuzz_avif():
    from PIL import features

    if not features.check("avif"):
        pytest.skip("no AVIF in this Pillow")
    _fuzz(write_label(image("AVIF", size=(16, 16)), label()), "a.avif")


@pytest.mark.parametrize("name,text", [("a.md", b"---\ntitle: x\n---\nbody\n"),
                                       ("a.html", b"<!DOCTYPE html><html><head></head><body>x</body></html>")])
def test_fuzz_text(name, text):
    _fuzz(write_label(text, label(), filename=name), name)
