"""Round-trip checks shared by the per-carrier tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hegui.labeling import read_label, write_label
from hegui.labeling.errors import LabelFileCorrupt
from tests.labeling.media import PLATFORM, label


def roundtrip(data: bytes, filename: str, carrier: str, media: Callable[[bytes], object], places: int = 1) -> bytes:
    """Write, read back, replace (propagate), read back; media unchanged each time; returns final bytes."""
    assert read_label(data, filename=filename).label is None
    first = write_label(data, label("rt-1"), filename=filename)
    r = read_label(first, filename=filename)
    assert r.carrier == carrier and r.label == label("rt-1") and r.verdict == "compliant", r.to_dict()
    assert len(r.found) == places
    second = write_label(first, label("rt-1").propagated(PLATFORM, "prop-2"), filename=filename)
    r2 = read_label(second, filename=filename)
    assert r2.label is not None and r2.label.PropagateID == "prop-2" and r2.label.ProduceID == "rt-1"
    assert len(r2.found) == places, "writing must replace, never append (GB 45438 §6.1 c)"
    assert r2.verdict == "compliant", r2.to_dict()
    before = media(data)
    assert media(first) == before
    assert media(second) == before
    return second


def truncated(data: bytes, filename: str, cut: int | None = None) -> None:
    """A truncated file: precise error on write, no exception on read."""
    bad = data[: cut if cut is not None else len(data) // 2]
    with pytest.raises(LabelFileCorrupt) as ei:
        write_label(bad, label(), filename=filename)
    assert ei.value.message("zh") and ei.value.message("en")
    r = read_label(bad, filename=filename)
    assert r.label is None
