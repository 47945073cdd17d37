import pytest

from hegui.labeling import read_label, write_label
from tests.labeling.carriers.harness import roundtrip
from tests.labeling.media import decoded_hash, ffmpeg, label


@pytest.fixture(scope="module")
def mp3(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mp3")
    return tmp, ffmpeg(tmp, "a.mp3", "-f", "lavfi", "-i", "sine=f=440:sample_rate=22050", "-t", "1",
                       "-c:a", "libmp3lame", "-b:a", "32k")


def _frames(d: bytes) -> bytes:
    from hegui.labeling.carriers.mp3 import _id3_size

    return d[10 + _id3_size(d):] if d[:3] == b"ID3" else d


def test_roundtrip_frames_identical(mp3):
    tmp, data = mp3
    out = roundtrip(data, "a.mp3", "mp3", _frames)
    assert decoded_hash(tmp, out, "a.mp3") == decoded_hash(tmp, data, "a.mp3")


def test_mp3_without_id3(mp3):
    _, data = mp3
    raw = _frames(data)
    out = write_label(raw, label(), filename="x.mp3")
    assert read_label(out).label == label() and _frames(out) == raw


def test_id3v23_configurable(mp3):
    from hegui.labeling.carriers import default_registry
    from hegui.labeling.policy import default_policy

    _, data = mp3
    pol = default_policy().model_copy(update={"id3_version": 3})
    out = write_label(data, label(), policy=pol, registry=default_registry(pol))
    assert out[3] == 3 and read_label(out).label == label()


def test_truncated_tag(mp3):
    _, data = mp3
    out = write_label(data, label())
    bad = out[:40]
    r = read_label(bad)
    assert r.label is None
