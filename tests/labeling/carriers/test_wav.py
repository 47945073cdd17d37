import struct

import pytest

from hegui.labeling import read_label, write_label
from hegui.labeling.carriers.webp import riff_chunks
from hegui.labeling.errors import LabelCarrierUnsupported
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import label


def wav(n: int = 800) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes((i * 37) % 256 for i in range(2 * n)))
    return buf.getvalue()


def _data_chunk(d: bytes) -> bytes:
    return next(d[o:o + 8 + n] for c, o, n in riff_chunks(d, b"WAVE") if c == b"data")


def test_roundtrip_samples_identical():
    out = roundtrip(wav(), "a.wav", "wav", _data_chunk)
    assert struct.unpack_from("<I", out, 4)[0] == len(out) - 8
    assert [c for c, _, _ in riff_chunks(out, b"WAVE")].count(b"AIGC") == 1


def test_odd_length_payload_is_padded():
    out = write_label(wav(), label("x"))  # JSON length is odd → one pad byte
    assert len(out) % 2 == 0 and read_label(out).label == label("x")


def test_rf64_unsupported():
    with pytest.raises(LabelCarrierUnsupported):
        write_label(b"RF64\xff\xff\xff\xffWAVE" + b"\0" * 40, label())


def test_truncated():
    truncated(wav(), "a.wav", cut=30)
