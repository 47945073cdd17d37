"""Shared glue for carriers implemented with mutagen (tags only, audio frames untouched)."""

from __future__ import annotations

import io

from hegui.labeling.carrier import Buffer, CarrierCorrupt

try:  # mutagen is a declared dependency; the guard keeps the error precise if it is missing
    from mutagen import MutagenError
except ImportError:  # pragma: no cover
    MutagenError = Exception  # type: ignore[misc,assignment]


def edit_in_memory(data: Buffer, fn) -> bytes:  # type: ignore[no-untyped-def]
    """Run ``fn(fileobj)`` on a writable in-memory copy and return the result."""
    buf = io.BytesIO(bytes(data))
    try:
        fn(buf)
    except MutagenError as exc:
        raise CarrierCorrupt(str(exc)) from exc
    return buf.getvalue()
