import struct
import tracemalloc

import pytest

from hegui.labeling import read_label, write_label, write_label_file
from hegui.labeling.errors import LabelCarrierUnsupported
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import decoded_hash, ffmpeg, ffprobe_tags, label, packet_hashes

_SRC = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-f", "lavfi", "-i", "sine=f=440:sample_rate=8000",
        "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]


@pytest.fixture(scope="module")
def tmp_mod(tmp_path_factory):
    return tmp_path_factory.mktemp("mp4")


@pytest.mark.parametrize("name,extra", [("a.mp4", []), ("b.mp4", ["-movflags", "+faststart"]),
                                        ("c.mov", []), ("d.mov", ["-movflags", "+faststart"])])
def test_roundtrip_packets_identical(tmp_mod, name, extra):
    data = ffmpeg(tmp_mod, name, *_SRC, *extra)
    out = roundtrip(data, name, "mp4", lambda d: packet_hashes(tmp_mod, d, name))
    assert decoded_hash(tmp_mod, out, name) == decoded_hash(tmp_mod, data, name)
    assert ffprobe_tags(tmp_mod, out, name)["AIGC"] == read_label(out).label.to_json()


def test_m4a_audio(tmp_mod):
    data = ffmpeg(tmp_mod, "a.m4a", "-f", "lavfi", "-i", "sine=f=300:sample_rate=8000", "-t", "1", "-c:a", "aac")
    roundtrip(data, "a.m4a", "mp4", lambda d: packet_hashes(tmp_mod, d, "a.m4a"))


def test_ffmpeg_written_label_is_read_and_replaced(tmp_mod):
    """Interop: `ffmpeg -metadata AIGC=… -movflags use_metadata_tags` (TC260 guide example)."""
    data = ffmpeg(tmp_mod, "f.mp4", *_SRC, "-metadata", "AIGC=" + label("by-ffmpeg").to_json(),
                  "-metadata", "title=keep-me", "-movflags", "use_metadata_tags")
    assert read_label(data).label == label("by-ffmpeg")
    out = write_label(data, label("by-hegui"))
    r = read_label(out)
    assert r.label == label("by-hegui") and len(r.found) == 1
    assert ffprobe_tags(tmp_mod, out, "f.mp4")["title"] == "keep-me"


def test_itunes_freeform_variant_read():
    def box(t, b):
        return struct.pack(">I", len(b) + 8) + t + b
    js = label("ff").to_json().encode()
    item = box(b"----", box(b"mean", b"\0" * 4 + b"com.apple.iTunes") + box(b"name", b"\0" * 4 + b"AIGC")
               + box(b"data", struct.pack(">II", 1, 0) + js))
    hdlr = box(b"hdlr", b"\0" * 8 + b"mdirappl" + b"\0" * 9)
    moov = box(b"moov", box(b"udta", box(b"meta", b"\0" * 4 + hdlr + box(b"ilst", item))))
    data = box(b"ftyp", b"M4A \0\0\0\0M4A isom") + moov + box(b"mdat", b"\0" * 16)
    assert read_label(data).label == label("ff")
    r = read_label(write_label(data, label("ours")))  # the free-form item is replaced, not kept beside ours
    assert r.label == label("ours") and len(r.found) == 1 and not r.errors


def test_fragmented_without_room_is_a_precise_error(tmp_mod):
    data = ffmpeg(tmp_mod, "frag.mp4", *_SRC, "-movflags", "frag_keyframe+empty_moov")
    with pytest.raises(LabelCarrierUnsupported) as ei:
        write_label(data, label())
    assert "fragmented" in ei.value.message("en") and ei.value.message("zh")


def test_truncated(tmp_mod):
    data = ffmpeg(tmp_mod, "t.mp4", *_SRC)
    truncated(data, "t.mp4", cut=len(data) - 40)


def test_streamed_file_bounded_memory(tmp_path):
    """A file with 64 MiB of media after moov is written through a memory map in 1 MiB chunks."""
    src = tmp_path / "big.mp4"
    base = ffmpeg(tmp_path, "base.mp4", *_SRC)
    with src.open("wb") as f:
        f.write(base)
        f.write(struct.pack(">I4s", 64 * 2**20 + 8, b"free"))
        f.truncate(len(base) + 8 + 64 * 2**20)  # sparse
    tracemalloc.start()
    write_label_file(src, label(), dst=tmp_path / "out.mp4")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 2**20, peak
    out = (tmp_path / "out.mp4").read_bytes()
    assert read_label(out).label == label() and out.endswith(b"\0" * 1024)
