"""Helpers shared by carriers: XMP label lookup and the caps that keep memory bounded on hostile
input (every length and count in a file is attacker-controlled: check it before allocating)."""

from __future__ import annotations

import io

from hegui.labeling import xmp
from hegui.labeling.carrier import Buffer, CarrierTooLarge, FoundLabel
from hegui.labeling.policy import LabelPolicy


def labels_from_xmp(fmt: str, where: str, packet: bytes | str, policy: LabelPolicy) -> list[FoundLabel]:
    if len(packet) > policy.max_xmp_bytes:
        raise CarrierTooLarge(f"XMP packet of {len(packet)} bytes exceeds {policy.max_xmp_bytes}")
    return [FoundLabel.of(fmt, f"{where}/{loc}", text, policy) for loc, text in xmp.extract(packet)]


def cap(n: int, limit: int, what: str) -> None:
    if n > limit:
        raise CarrierTooLarge(f"{what} of {n} bytes exceeds the cap of {limit}")


def take(data: Buffer, start: int, length: int, limit: int, what: str) -> bytes:
    """``data[start:start+length]`` as bytes, refused *before* copying when ``length`` is over ``limit``."""
    cap(length, limit, what)
    return bytes(data[start:start + length])


class Budget:
    """Counts the structural items walked in one file (chunks, boxes, segments, elements, pages) so
    a file of a million tiny chunks is refused instead of walked or listed without end."""

    __slots__ = ("left", "limit")

    def __init__(self, policy: LabelPolicy | int) -> None:
        self.limit = policy if isinstance(policy, int) else policy.max_container_items
        self.left = self.limit

    def tick(self, what: str = "structural items") -> None:
        self.left -= 1
        if self.left < 0:
            raise CarrierTooLarge(f"more than {self.limit} {what} in one file (cap max_container_items)")


class BufferFile(io.RawIOBase):
    """A read-only, seekable file over a buffer (bytes or mmap) without copying it, for library
    parsers (mutagen, pypdf, zipfile) that take a file object."""

    def __init__(self, data: Buffer) -> None:
        super().__init__()
        self._view = memoryview(data)  # type: ignore[arg-type]
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        n = max(0, min(len(b), len(self._view) - self._pos))
        b[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n

    def read(self, size: int | None = -1) -> bytes:
        """Never allocates more than what is left (a hostile length asks for gigabytes)."""
        left = len(self._view) - self._pos
        n = left if size is None or size < 0 else max(0, min(size, left))
        out = bytes(self._view[self._pos:self._pos + n])
        self._pos += n
        return out

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view.release()
        super().close()
