"""Sidecar for formats with no metadata carrier (plain text; GB 45438 reference §5, open question 3).

[U] No TC260 guide defines a carrier for plain text, so hegui writes ``<file>.aigc.json`` next to the
file holding ``{"AIGC":{…}}`` (wrapped: the file name, not a key, says "AIGC" only loosely) and relies
on the explicit text label (§5.1) inside the file itself. The inspector reads the sidecar when present.
"""

from __future__ import annotations

from pathlib import Path

from hegui.labeling.label import ImplicitLabel, ParsedLabel, parse_label_value
from hegui.labeling.policy import LabelPolicy, default_policy

SUFFIX = ".aigc.json"
TEXT_EXTENSIONS = (".txt", ".text", ".log", ".csv", ".tsv", ".json", ".jsonl", ".srt", ".vtt", ".rst", ".ofd",
                   ".epub", ".wps")


def sidecar_path(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(p.name + SUFFIX)


def sidecar_bytes(label: ImplicitLabel) -> bytes:
    return (label.to_json("wrapped") + "\n").encode("utf-8")


def read_sidecar(path: str | Path, policy: LabelPolicy | None = None) -> ParsedLabel | None:
    policy = policy or default_policy()
    sp = sidecar_path(path)
    if not sp.is_file():
        return None
    with sp.open("rb") as f:
        raw = f.read(policy.max_label_bytes * 8 + 1)
    return parse_label_value(raw, policy=policy)
