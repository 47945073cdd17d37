"""The canonical ZIP form of an evidence package: members sorted by name, stored (no compression,
so the bytes do not depend on a zlib version), a fixed date, fixed attributes, no extras, no
comment. Verification rebuilds the archive from its members and compares bytes, so a change to any
byte — a header field zipfile would ignore included — is found and located (which member, which part).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping

EPOCH = (1980, 1, 1, 0, 0, 0)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")


def build(members: Mapping[str, bytes]) -> bytes:
    """The canonical archive of ``members`` (name → bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name in sorted(members):
            if not NAME.match(name) or ".." in name:
                raise ValueError(f"bad member name {name!r}")
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            z.writestr(info, members[name])
    return buf.getvalue()


def read(data: bytes) -> tuple[dict[str, bytes], list[str]]:
    """(members, problems). A member whose CRC fails is named and left out."""
    problems: list[str] = []
    members: dict[str, bytes] = {}
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return {}, [f"zip: not a readable archive — end record or central directory altered ({exc})"]
    with z:
        for info in z.infolist():
            if info.filename in members:
                problems.append(f"zip: member {info.filename!r} appears twice")
                continue
            if info.compress_type != zipfile.ZIP_STORED:  # never inflate: a package is stored, a bomb is not read
                problems.append(f"{info.filename}: compressed in the archive (a package stores its files)")
                continue
            try:
                members[info.filename] = z.read(info)
            except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError) as exc:
                problems.append(f"{info.filename}: unreadable or altered in the archive ({exc})")
                raw = _stored_bytes(data, info)
                if raw is not None:  # keep the altered bytes: the hash checks then name the file too
                    members[info.filename] = raw
    return members, problems


def _stored_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    start = info.header_offset + 30 + len(info.filename.encode("utf-8")) + len(info.extra)
    raw = data[start:start + info.compress_size]
    return raw if len(raw) == info.compress_size else None


def locate(data: bytes, offset: int) -> str:
    """Which part of the archive byte ``offset`` lies in (best effort, from the canonical layout)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = sorted(z.infolist(), key=lambda i: i.header_offset)
        cd_start = z.start_dir
    except (zipfile.BadZipFile, ValueError, OSError):
        return "central directory / end record"
    if offset >= cd_start:
        return "central directory / end record"
    for i, info in enumerate(infos):
        end = infos[i + 1].header_offset if i + 1 < len(infos) else cd_start
        if info.header_offset <= offset < end:
            head = 30 + len(info.filename.encode("utf-8")) + len(info.extra)
            part = "local header" if offset < info.header_offset + head else "data"
            return f"{info.filename} ({part})"
    return "before the first member"


def canonical_problems(data: bytes, members: Mapping[str, bytes]) -> list[str]:
    """Empty when ``data`` is exactly the canonical archive of ``members``; else where it differs."""
    try:
        rebuilt = build(members)
    except ValueError as exc:
        return [f"zip: {exc}"]
    if rebuilt == data:
        return []
    n = min(len(rebuilt), len(data))
    at = next((i for i in range(n) if rebuilt[i] != data[i]), n)
    return [f"zip: archive bytes differ from the canonical form at offset {at} — {locate(data, at)}"]
