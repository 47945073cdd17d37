from hegui.labeling import read_label, write_label
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import decoded_hash, ffmpeg, ffprobe_tags, label, packet_hashes

_V = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "2", "-c:v", "flv1", "-g", "5"]


def test_roundtrip_packets_identical(tmp_path):
    data = ffmpeg(tmp_path, "a.flv", *_V)
    out = roundtrip(data, "a.flv", "flv", lambda d: packet_hashes(tmp_path, d, "a.flv"))
    assert decoded_hash(tmp_path, out, "a.flv") == decoded_hash(tmp_path, data, "a.flv")
    assert ffprobe_tags(tmp_path, out, "a.flv")["AIGC"] == read_label(out).label.to_json()


def test_keyframe_index_shifted(tmp_path):
    import struct

    from hegui.labeling.carriers.flv import FlvCarrier, _props
    from hegui.labeling.policy import default_policy

    data = ffmpeg(tmp_path, "k.flv", *_V, "-flvflags", "add_keyframe_index")
    out = write_label(data, label())
    car = FlvCarrier(default_policy())
    _t, ds, size, body = car._meta(out)
    kf = next((vs, ve) for k, _s, vs, ve in _props(out, body, ds + size) if k == b"keyframes")
    fp = next(vs for k, _s, vs, _e in _props(out, kf[0] + 1, kf[1]) if k == b"filepositions")
    n = struct.unpack_from(">I", out, fp + 1)[0]
    positions = [int(struct.unpack_from(">d", out, fp + 5 + 9 * i + 1)[0]) for i in range(n)]
    for p in positions:  # every indexed position starts a video tag (type 9)
        assert out[p] & 0x1F == 9, p
    assert packet_hashes(tmp_path, out, "k.flv") == packet_hashes(tmp_path, data, "k.flv")


def test_ffmpeg_written_label_read(tmp_path):
    data = ffmpeg(tmp_path, "f.flv", *_V, "-metadata", "AIGC=" + label("ff").to_json())
    assert read_label(data).label == label("ff")


def test_truncated(tmp_path):
    truncated(ffmpeg(tmp_path, "t.flv", *_V), "t.flv", cut=60)
