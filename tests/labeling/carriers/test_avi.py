import struct

import pytest

from hegui.labeling import read_label, write_label
from hegui.labeling.carriers.avi import _chunks
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import decoded_hash, ffmpeg, ffprobe_tags, label, packet_hashes


def _movi(d: bytes) -> bytes:
    top = _chunks(d, 12, len(d))
    c = next(c for c in top if c[3] == b"movi")
    return d[c[1]:c[1] + 8 + c[2]]


def test_ffmpeg_avi_roundtrip_in_reserved_junk(tmp_path):
    data = ffmpeg(tmp_path, "a.avi", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1", "-c:v", "mpeg4")
    out = roundtrip(data, "a.avi", "avi", lambda d: packet_hashes(tmp_path, d, "a.avi"))
    assert len(out) == len(data) and _movi(out) == _movi(data)  # JUNK absorbed the growth
    assert decoded_hash(tmp_path, out, "a.avi") == decoded_hash(tmp_path, data, "a.avi")
    assert ffprobe_tags(tmp_path, out, "a.avi")["AIGC"] == read_label(out).label.to_json()


def _tiny_avi() -> bytes:
    def ck(cid, body):
        return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")
    movi = ck(b"LIST", b"movi" + ck(b"00dc", b"\x01\x02\x03"))
    idx = ck(b"idx1", b"00dc" + struct.pack("<III", 0x10, 4, 3))
    body = b"AVI " + ck(b"LIST", b"hdrl" + ck(b"avih", b"\0" * 56)) + movi + idx
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_no_junk_shifts_movi_keeping_idx1_relative():
    data = _tiny_avi()
    out = roundtrip(data, "t.avi", "avi", _movi)
    assert struct.unpack_from("<I", out, 4)[0] == len(out) - 8


def test_opendml_without_room_refused():
    from hegui.labeling.errors import LabelCarrierUnsupported

    d = bytearray(_tiny_avi())
    d[32:36] = b"indx"  # an OpenDML index marker inside hdrl
    with pytest.raises(LabelCarrierUnsupported):
        write_label(bytes(d), label())


def test_truncated():
    truncated(_tiny_avi(), "t.avi", cut=40)
