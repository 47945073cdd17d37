"""Hostile files built lazily for the bounded-memory tests: sparse files whose headers claim huge
chunks/boxes/tags (a few KB on disk, hundreds of MB in size), or files of a million tiny items."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

BIG = 512 << 20  # apparent size of the sparse files
MANY = 20_001  # one more than the max_container_items the tests set (the default is 10^6)


def _sparse(path: Path, head: bytes, size: int = BIG, tail: bytes = b"", at: dict[int, bytes] | None = None) -> Path:
    with open(path, "wb") as f:
        f.write(head)
        for off, blob in (at or {}).items():
            f.seek(off)
            f.write(blob)
        f.truncate(size - len(tail))
        f.seek(size - len(tail))
        f.write(tail)
    return path


def _png_chunk(t: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body))


_IHDR = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))


def _png_big_text(kind: bytes, key: bytes) -> Callable[[Path], Path]:
    def build(p: Path) -> Path:
        body = BIG - len(_IHDR) - 12 - 12
        return _sparse(p / "a.png", _IHDR + struct.pack(">I", body) + kind + key + b"\0",
                       tail=b"\0\0\0\0" + _png_chunk(b"IEND", b""))
    return build


def png_many(p: Path, n: int = MANY) -> Path:
    f = p / "a.png"
    f.write_bytes(_IHDR + _png_chunk(b"prVt", b"") * n + _png_chunk(b"IEND", b""))
    return f


def jpeg_many(p: Path) -> Path:
    f = p / "a.jpg"
    f.write_bytes(b"\xff\xd8" + b"\xff\xfe\x00\x02" * MANY + b"\xff\xda\x00\x02" + b"\xff\xd9")
    return f


def _riff(form: bytes, first: bytes, cid: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", BIG - 8) + form + first + cid + struct.pack("<I", BIG - 12 - len(first) - 8)


def webp_big_xmp(p: Path) -> Path:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x04" + b"\0" * 9
    return _sparse(p / "a.webp", _riff(b"WEBP", vp8x, b"XMP "))


def webp_big_vp8(p: Path) -> Path:  # a valid-looking 512 MB bitstream chunk: writing must not copy it
    head = b"RIFF" + struct.pack("<I", BIG - 8) + b"WEBPVP8 " + struct.pack("<I", BIG - 20)
    return _sparse(p / "a.webp", head + b"\x00\x00\x00\x9d\x01\x2a\x01\x00\x01\x00")


def wav_many(p: Path) -> Path:
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + fmt + b"junk\0\0\0\0" * MANY + b"data\0\0\0\0"
    f = p / "a.wav"
    f.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return f


def avi_big_info(p: Path) -> Path:
    head = b"RIFF" + struct.pack("<I", BIG - 8) + b"AVI " + b"LIST" + struct.pack("<I", BIG - 12 - 8 - 12) + b"INFO"
    return _sparse(p / "a.avi", head, tail=b"LIST" + struct.pack("<I", 4) + b"movi")


def gif_big_xmp(p: Path) -> Path:
    f = p / "a.gif"
    trailer = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    f.write_bytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00" + b"\x21\xff\x0bXMP DataXMP" + b"a" * (20 << 20) + trailer
                  + b"\x3b")
    return f


def gif_many(p: Path) -> Path:
    f = p / "a.gif"
    f.write_bytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00" + b"\x21\xfe\x00" * MANY + b"\x3b")
    return f


def tiff_big_xmp(p: Path) -> Path:
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 700, 7, BIG - 64, 64) + struct.pack("<I", 0)
    return _sparse(p / "a.tif", b"II*\x00" + struct.pack("<I", 8) + ifd)


def _box(t: bytes, body: bytes = b"", size: int | None = None) -> bytes:
    return struct.pack(">I4s", size if size is not None else 8 + len(body), t) + body


def heif_many_items(p: Path) -> Path:  # 100 MB meta (under the box cap) whose iloc claims 2^32-1 items
    meta_size = 100 << 20
    ftyp = _box(b"ftyp", b"heic\0\0\0\0mif1heic")
    iinf = _box(b"iinf", b"\0\0\0\0\0\0")
    iloc = _box(b"iloc", b"\x02\0\0\0\x44\x00\xff\xff\xff\xff", size=meta_size - 12 - len(iinf))
    head = ftyp + _box(b"meta", size=meta_size) + b"\0\0\0\0" + iinf + iloc
    return _sparse(p / "a.heic", head, size=len(ftyp) + meta_size)


def mp4_many(p: Path) -> Path:
    f = p / "a.mp4"
    f.write_bytes(_box(b"ftyp", b"isom\0\0\0\0isom") + _box(b"free") * MANY + _box(b"moov"))
    return f


def mp4_big_value(p: Path) -> Path:  # 200 MB moov (under the cap) whose AIGC data atom is 200 MB
    value = 200 << 20
    hdlr = _box(b"hdlr", b"\0" * 8 + b"mdta" + b"\0" * 13)
    keys = _box(b"keys", struct.pack(">II", 0, 1) + struct.pack(">I4s", 12, b"mdta") + b"AIGC")
    data = _box(b"data", size=value)
    item = _box(struct.pack(">I", 1), size=8 + value)
    ilst = _box(b"ilst", size=16 + value)
    meta = _box(b"meta", size=12 + len(hdlr) + len(keys) + 16 + value)
    udta = _box(b"udta", size=8 + 12 + len(hdlr) + len(keys) + 16 + value)
    moov = _box(b"moov", size=16 + 12 + len(hdlr) + len(keys) + 16 + value)
    ftyp = _box(b"ftyp", b"isom\0\0\0\0isom")
    head = ftyp + moov + udta + meta + b"\0\0\0\0" + hdlr + keys + ilst + item + data + struct.pack(">II", 1, 0)
    return _sparse(p / "a.mp4", head, size=len(ftyp) + 16 + 12 + len(hdlr) + len(keys) + 16 + value)


def mkv_big_tagname(p: Path) -> Path:
    ebml = bytes.fromhex("1a45dfa3") + b"\x83" + bytes.fromhex("4282") + b"\x80"
    size = 300 << 20

    def vint(n: int) -> bytes:
        return ((1 << 56) | n).to_bytes(8, "big")
    name = bytes.fromhex("45a3") + vint(size)
    simple = bytes.fromhex("67c8") + vint(len(name) + size)
    tag = bytes.fromhex("7373") + vint(len(simple) + len(name) + size)
    tags = bytes.fromhex("1254c367") + vint(len(tag) + len(simple) + len(name) + size)
    seg = bytes.fromhex("18538067") + vint(len(tags) + len(tag) + len(simple) + len(name) + size)
    head = ebml + seg + tags + tag + simple + name
    return _sparse(p / "a.mkv", head, size=len(head) + size)


def mkv_many(p: Path) -> Path:
    f = p / "a.mkv"
    body = b"\xec\x80" * MANY
    f.write_bytes(bytes.fromhex("1a45dfa3") + b"\x83" + bytes.fromhex("4282") + b"\x80"
                  + bytes.fromhex("18538067") + ((1 << 56) | len(body)).to_bytes(8, "big") + body)
    return f


def flv_many(p: Path) -> Path:  # a 15 MB onMetaData object of 3.9 M null-valued properties
    props = (struct.pack(">H", 1) + b"a\x05") * 3_900_000 + b"\0\0\x09"
    data = b"\x02\x00\x0aonMetaData\x03" + props
    tag = b"\x12" + len(data).to_bytes(3, "big") + b"\0" * 7 + data + struct.pack(">I", 11 + len(data))
    f = p / "a.flv"
    f.write_bytes(b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00" + tag)
    return f


def mp3_big_id3(p: Path) -> Path:
    n = (200 << 20)
    size = bytes([(n >> 21) & 127, (n >> 14) & 127, (n >> 7) & 127, n & 127])
    return _sparse(p / "a.mp3", b"ID3\x04\x00\x00" + size + b"TXXX", size=n + 10 + 4096)


def flac_big_meta(p: Path) -> Path:
    blocks = {4 + 38 + i * (4 + 0xFFFFFF): bytes([1]) + (0xFFFFFF).to_bytes(3, "big") for i in range(40)}
    streaminfo = b"\x00" + (34).to_bytes(3, "big") + b"\x10\x00\x10\x00" + b"\0" * 6 + b"\x0a\xc4\x42\xf0" + b"\0" * 20
    return _sparse(p / "a.flac", b"fLaC" + streaminfo, size=4 + 38 + 40 * (4 + 0xFFFFFF) + 4096, at=blocks)


def ogg_big_comment(p: Path) -> Path:
    """A Vorbis comment packet continued over 2000 full pages (130 MB) before any audio."""
    def page(seq: int, flags: int, lacing: bytes) -> bytes:
        return b"OggS\x00" + bytes([flags]) + b"\0" * 8 + struct.pack("<II", 1, seq) + b"\0\0\0\0" \
            + bytes([len(lacing)]) + lacing
    ident = b"\x01vorbis" + struct.pack("<IBIiii", 0, 2, 44100, 0, 128000, 0) + b"\xb8\x01"
    first = page(0, 2, bytes([len(ident)])) + ident
    at, pos = {}, len(first)
    for seq in range(1, 2001):
        at[pos] = page(seq, 1 if seq > 1 else 0, b"\xff" * 255)
        pos += 27 + 255 + 255 * 255
    return _sparse(p / "a.ogg", first, size=pos + 4096, at=at)


def pdf_big(p: Path) -> Path:
    """A valid PDF with 512 MB of padding (a comment-free gap) before its objects."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"]
    start = BIG - 4096
    body, offs = b"", []
    for i, o in enumerate(objs, 1):
        offs.append(start + len(body))
        body += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = start + len(body)
    body += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
    body += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return _sparse(p / "a.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", size=start + len(body), at={start: body})


def ooxml_big_directory(p: Path) -> Path:
    """A zip whose ZIP64 end record claims a 400 MB central directory of 10^7 entries."""
    local = b"PK\x03\x04" + b"\0" * 22 + struct.pack("<HH", 19, 0) + b"[Content_Types].xml"
    cd_size, cd_off = 400 << 20, 4096
    z64 = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 10**7, 10**7, cd_size, cd_off)
    z64_at = cd_off + cd_size
    loc = b"PK\x06\x07" + struct.pack("<IQI", 0, z64_at, 1)
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return _sparse(p / "a.docx", local, size=z64_at + len(z64) + len(loc) + len(eocd),
                   at={z64_at: z64 + loc + eocd})


def html_big(p: Path) -> Path:
    return _sparse(p / "a.html", b"<!DOCTYPE html><html><head><title>x</title></head><body>",
                   tail=b"</body></html>\n")


png_big_label = _png_big_text(b"tEXt", b"AIGC")
png_big_xmp = _png_big_text(b"iTXt", b"XML:com.adobe.xmp")
png_big_comment = _png_big_text(b"tEXt", b"Comment")
