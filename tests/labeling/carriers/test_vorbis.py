import pytest

from hegui.labeling import read_label, write_label
from tests.labeling.carriers.harness import roundtrip
from tests.labeling.media import decoded_hash, ffmpeg, label, packet_hashes

_SINE = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000", "-t", "1"]


@pytest.fixture(scope="module")
def tmp_mod(tmp_path_factory):
    return tmp_path_factory.mktemp("vorbis")


@pytest.mark.parametrize("name,codec,carrier", [("a.flac", ["-c:a", "flac"], "flac"),
                                                ("b.ogg", ["-c:a", "libvorbis"], "ogg"),
                                                ("c.opus", ["-c:a", "libopus"], "ogg"),
                                                ("d.oga", ["-c:a", "flac"], "ogg")])
def test_roundtrip_samples_identical(tmp_mod, name, codec, carrier):
    data = ffmpeg(tmp_mod, name, *_SINE, *codec)
    roundtrip(data, name, carrier, lambda d: (decoded_hash(tmp_mod, d, name), packet_hashes(tmp_mod, d, name)))


def test_existing_comments_kept(tmp_mod):
    data = ffmpeg(tmp_mod, "k.flac", *_SINE, "-c:a", "flac", "-metadata", "ARTIST=keep",
                  "-metadata", "AIGC=" + label("old").to_json())
    assert read_label(data).label == label("old")
    out = write_label(data, label("new"))
    import io

    from mutagen.flac import FLAC

    f = FLAC(io.BytesIO(out))
    assert f["ARTIST"] == ["keep"] and f["AIGC"] == [label("new").to_json()]


def test_truncated_flac(tmp_mod):
    data = ffmpeg(tmp_mod, "t.flac", *_SINE, "-c:a", "flac")
    r = read_label(data[:20])
    assert r.label is None and r.verdict == "inconclusive"
