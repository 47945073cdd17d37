"""Helpers shared by carriers: XMP label lookup and byte caps."""

from __future__ import annotations

from hegui.labeling import xmp
from hegui.labeling.carrier import CarrierTooLarge, FoundLabel
from hegui.labeling.policy import LabelPolicy


def labels_from_xmp(fmt: str, where: str, packet: bytes | str, policy: LabelPolicy) -> list[FoundLabel]:
    if len(packet) > policy.max_xmp_bytes:
        raise CarrierTooLarge(f"XMP packet of {len(packet)} bytes exceeds {policy.max_xmp_bytes}")
    return [FoundLabel.of(fmt, f"{where}/{loc}", text, policy) for loc, text in xmp.extract(packet)]


def cap(n: int, limit: int, what: str) -> None:
    if n > limit:
        raise CarrierTooLarge(f"{what} of {n} bytes exceeds the cap of {limit}")
