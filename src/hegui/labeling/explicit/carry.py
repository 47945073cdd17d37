"""Keep the implicit label across an explicit-label re-encode (Measures Art 5; GB 45438 §6.1).

Burning in an explicit label re-encodes the file; muxers drop or rename metadata in many ways, so the
source's implicit label is read with the carriers and written again into the new file before it
replaces the destination. A source label the writer refuses (not Annex E conformant) is not copied;
``hegui label add`` always writes a fresh label afterwards anyway.
"""

from __future__ import annotations

from pathlib import Path

from hegui.errors import LabelError


def carry_implicit(src: Path, out: Path) -> None:
    """Write ``src``'s implicit label into ``out`` (a finished temp file) if ``out`` lost it."""
    from hegui.labeling.api import read_label_file, write_label_file
    from hegui.labeling.errors import LabelCarrierUnsupported, LabelInvalid

    before = read_label_file(src)
    if before.label is None:
        return
    after = read_label_file(out)
    if after.label == before.label and after.verdict == "compliant":
        return
    try:
        write_label_file(out, before.label, dst=out, durable=False)
    except (LabelInvalid, LabelCarrierUnsupported):
        return  # not writable as it stands; never block the explicit label on a bad source label
    except LabelError:
        raise
