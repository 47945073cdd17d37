"""Markdown: YAML front matter at the very top with a mapping ``AIGC:`` whose seven keys are
**quoted** strings (TC260 guide 20258A §6.5). Other front-matter lines and the body are kept."""

from __future__ import annotations

import json
import re

import yaml

from hegui.labeling.carrier import Buffer, CarrierCorrupt, CarrierTooLarge, FoundLabel
from hegui.labeling.label import FIELDS, parse_label_value
from hegui.labeling.policy import LabelPolicy

_FM_RE = re.compile(rb"\A(\xef\xbb\xbf)?---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_AIGC_BLOCK = re.compile(r"^AIGC[ \t]*:.*(?:\r?\n(?:[ \t]+.*|[ \t]*))*", re.M)


class MarkdownCarrier:
    format_id = "markdown"
    extensions = (".md", ".markdown", ".mdx")
    mimetypes = ("text/markdown", "text/x-markdown")

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        return False  # text has no magic: chosen by extension or MIME only

    def _front(self, data: Buffer) -> re.Match[bytes] | None:
        head = bytes(data[: self.policy.max_xmp_bytes + 8])
        return _FM_RE.match(head)

    def read(self, data: Buffer) -> list[FoundLabel]:
        m = self._front(data)
        if not m:
            return []
        try:
            meta = yaml.safe_load(m.group(2).decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            if b"AIGC" in m.group(2):
                raise CarrierCorrupt(f"front matter is not valid YAML: {exc}") from exc
            return []
        if not isinstance(meta, dict):
            return []
        out = []
        for key, value in meta.items():
            if "AIGC" in str(key).upper():
                raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                f = FoundLabel.of(self.format_id, f"front-matter:{key}", raw, self.policy,
                                  value=value if isinstance(value, dict) else None)
                if isinstance(value, dict):
                    f.parsed = parse_label_value(value, policy=self.policy)
                out.append(f)
        return out

    def write(self, data: Buffer, payload: str) -> bytes:
        if len(data) > self.policy.max_in_memory_bytes:
            raise CarrierTooLarge("Markdown file too large")
        obj = json.loads(payload)
        fields = obj.get("AIGC", obj)
        block = "AIGC:\n" + "".join(f"  {k}: {json.dumps(fields[k], ensure_ascii=False)}\n" for k in FIELDS)
        text = bytes(data)
        m = self._front(text)
        if m:
            fm = m.group(2).decode("utf-8")
            fm = _AIGC_BLOCK.sub("", fm).rstrip("\r\n")
            new_fm = (fm + "\n" if fm else "") + block
            return (m.group(1) or b"") + b"---\n" + new_fm.encode("utf-8") + b"---\n" + text[m.end():]
        bom = b"\xef\xbb\xbf" if text.startswith(b"\xef\xbb\xbf") else b""
        return bom + b"---\n" + block.encode("utf-8") + b"---\n" + text[len(bom):]


