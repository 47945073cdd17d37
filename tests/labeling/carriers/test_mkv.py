import pytest

from hegui.labeling import read_label, write_label
from hegui.labeling.carriers.mkv import CLUSTER, elements
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import decoded_hash, ffmpeg, ffprobe_tags, label, packet_hashes

_V = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1"]


@pytest.fixture(scope="module")
def tmp_mod(tmp_path_factory):
    return tmp_path_factory.mktemp("mkv")


def _clusters(data: bytes) -> bytes:
    seg = elements(data, 0, len(data))[1]
    kids = elements(data, seg[1] + seg[2], len(data))
    return b"".join(data[o:o + h + n] for i, o, h, n in kids if i == CLUSTER)


@pytest.mark.parametrize("name,codec", [("a.mkv", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
                                        ("b.webm", ["-c:v", "libvpx", "-b:v", "100k"])])
def test_roundtrip_clusters_identical(tmp_mod, name, codec):
    data = ffmpeg(tmp_mod, name, *_V, *codec)
    out = roundtrip(data, name, "mkv", lambda d: packet_hashes(tmp_mod, d, name))
    assert _clusters(out) == _clusters(data)
    assert decoded_hash(tmp_mod, out, name) == decoded_hash(tmp_mod, data, name)
    assert ffprobe_tags(tmp_mod, out, name)["AIGC"] == label("rt-1").propagated(
        "00119144030008867405X220001", "prop-2").to_json()


def test_mka_audio(tmp_mod):
    data = ffmpeg(tmp_mod, "a.mka", "-f", "lavfi", "-i", "sine=f=300:sample_rate=8000", "-t", "1", "-c:a", "flac")
    roundtrip(data, "a.mka", "mkv", lambda d: decoded_hash(tmp_mod, d, "a.mka"))


def test_ffmpeg_written_simpletag_read_and_replaced(tmp_mod):
    data = ffmpeg(tmp_mod, "f.mkv", *_V, "-c:v", "libx264", "-metadata", "AIGC=" + label("ff").to_json(),
                  "-metadata", "title=keep")
    assert read_label(data).label == label("ff")
    out = write_label(data, label("ours"))
    r = read_label(out)
    assert r.label == label("ours") and len(r.found) == 1
    assert ffprobe_tags(tmp_mod, out, "f.mkv")["title"] == "keep"


def test_truncated(tmp_mod):
    data = ffmpeg(tmp_mod, "t.mkv", *_V, "-c:v", "libx264")
    truncated(data, "t.mkv", cut=60)


def test_streamed_file_bounded_memory(tmp_path):
    """64 MiB of (sparse) Void inside the Segment: the write streams through a memory map."""
    import tracemalloc

    from hegui.labeling import read_label_file, write_label_file
    from hegui.labeling.carriers.mkv import SEGMENT, enc_size, read_id, read_size

    base = ffmpeg(tmp_path, "base.mkv", *_V, "-c:v", "libx264")
    seg = next(e for e in elements(base, 0, len(base)) if e[0] == SEGMENT)
    _sid, il = read_id(base, seg[1])
    size, sl = read_size(base, seg[1] + il)
    big = 64 * 2**20
    void_head = b"\xec" + enc_size(big, 8)
    src = tmp_path / "big.mkv"
    with src.open("wb") as f:
        f.write(base[:seg[1] + il] + enc_size(size + len(void_head) + big, sl) + base[seg[1] + il + sl:])
        f.write(void_head)
        f.truncate(len(base) + len(void_head) + big)
    assert read_label_file(src).errors == []
    tracemalloc.start()
    write_label_file(src, label(), dst=tmp_path / "out.mkv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 2**20, peak
    assert read_label_file(tmp_path / "out.mkv").label == label()
