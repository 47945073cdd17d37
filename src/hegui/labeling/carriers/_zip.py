"""Rewrite a zip package copying untouched members **raw** (compressed bytes verbatim, no
re-deflate) and adding/replacing a few small parts. Returns None for layouts it does not handle
(zip64, encryption, odd names) so the caller can fall back to :mod:`zipfile`."""

from __future__ import annotations

import struct
import zipfile
import zlib

from hegui.labeling.carrier import Buffer, CarrierCorrupt

_LIMIT = 0xFFFFFFFF


def _dos(dt: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = dt
    return (h << 11) | (mi << 5) | (s // 2), (max(y, 1980) - 1980) << 9 | (mo << 5) | d


def _name(info: zipfile.ZipInfo) -> bytes | None:
    try:
        return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
    except UnicodeEncodeError:
        return None


def rezip_raw(data: Buffer, z: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes | None:
    infos = z.infolist()
    if len(infos) + len(replaced) >= 0xFFFF:
        return None
    out = bytearray()
    central = bytearray()
    pending = dict(replaced)
    count = 0

    def add_central(info_fields: tuple, name: bytes, extra: bytes, comment: bytes, offset: int) -> None:
        nonlocal count
        vmade, vneed, flag, method, t, d, crc, csize, usize, iattr, eattr = info_fields
        central.extend(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", vmade, vneed, flag, method, t, d, crc,
                                   csize, usize, len(name), len(extra), len(comment), 0, iattr, eattr, offset))
        central.extend(name + extra + comment)
        count += 1

    def add_new(name_s: str, content: bytes, dt: tuple[int, int, int, int, int, int]) -> None:
        name = name_s.encode("utf-8")
        flag = 0 if name_s.isascii() else 0x800
        co = zlib.compressobj(6, zlib.DEFLATED, -15)
        comp = co.compress(content) + co.flush()
        crc = zlib.crc32(content)
        t, d = _dos(dt)
        offset = len(out)
        out.extend(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flag, 8, t, d, crc, len(comp), len(content),
                               len(name), 0))
        out.extend(name + comp)
        add_central((20, 20, flag, 8, t, d, crc, len(comp), len(content), 0, 0o644 << 16), name, b"", b"", offset)

    for info in infos:
        if info.flag_bits & 0x1:
            return None  # encrypted
        if max(info.compress_size, info.file_size, info.header_offset) >= _LIMIT:
            return None  # zip64
        if info.filename in pending:
            add_new(info.filename, pending.pop(info.filename), info.date_time)
            continue
        name = _name(info)
        if name is None:
            return None
        h = info.header_offset
        if bytes(data[h:h + 4]) != b"PK\x03\x04":
            raise CarrierCorrupt(f"zip local header of {info.filename} not found")
        nlen, xlen = struct.unpack_from("<HH", data, h + 26)
        end = h + 30 + nlen + xlen + info.compress_size
        if info.flag_bits & 0x8:  # data descriptor, with or without its signature
            end += 16 if bytes(data[end:end + 4]) == b"PK\x07\x08" else 12
        if end > len(data):
            raise CarrierCorrupt(f"zip member {info.filename} truncated")
        offset = len(out)
        out.extend(data[h:end])
        t, d = _dos(info.date_time)
        add_central(((info.create_system << 8) | info.create_version, info.extract_version, info.flag_bits,
                     info.compress_type, t, d, info.CRC, info.compress_size, info.file_size, info.internal_attr,
                     info.external_attr), name, info.extra, info.comment, offset)
    for name_s, content in pending.items():
        add_new(name_s, content, (1980, 1, 1, 0, 0, 0))
    cd_offset = len(out)
    out.extend(central)
    comment = z.comment[:0xFFFF]
    out.extend(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), cd_offset, len(comment)))
    out.extend(comment)
    return bytes(out)
