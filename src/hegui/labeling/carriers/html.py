"""HTML: ``<meta name="AIGC" content="…">`` in ``<head>``.

[U] No TC260 guide or public source defines an HTML carrier (reference §5, open question 3); this
is hegui's documented choice, following how HTML carries other document metadata. Bytes outside
the one ``meta`` element are kept.
"""

from __future__ import annotations

import html
import re

from hegui.labeling.carrier import Buffer, CarrierTooLarge, FoundLabel
from hegui.labeling.policy import LabelPolicy

_META_RE = re.compile(rb"<meta\b[^>]*\bname\s*=\s*[\"']?AIGC[\"']?[^>]*>", re.I)
_CONTENT_RE = re.compile(rb"\bcontent\s*=\s*(\"([^\"]*)\"|'([^']*)')", re.I | re.S)
_HEAD_RE = re.compile(rb"<head\b[^>]*>", re.I)
_HTML_RE = re.compile(rb"<html\b[^>]*>", re.I)


class HtmlCarrier:
    format_id = "html"
    extensions = (".html", ".htm", ".xhtml")
    mimetypes = ("text/html", "application/xhtml+xml")

    def __init__(self, policy: LabelPolicy) -> None:
        self.policy = policy

    def sniff(self, prefix: bytes) -> bool | str:
        head = prefix[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        return head.startswith(b"<!doctype html") or head.startswith(b"<html")

    def read(self, data: Buffer) -> list[FoundLabel]:
        text = bytes(data[: self.policy.max_text_head_bytes])  # the label lives in <head>, at the top
        out = []
        for m in _META_RE.finditer(text):
            c = _CONTENT_RE.search(m.group(0))
            if c:
                raw = (c.group(2) if c.group(2) is not None else c.group(3)).decode("utf-8", "replace")
                out.append(FoundLabel.of(self.format_id, "head/meta[name=AIGC]", html.unescape(raw), self.policy))
        return out

    def write(self, data: Buffer, payload: str) -> bytes:
        if len(data) > self.policy.max_in_memory_bytes:
            raise CarrierTooLarge("HTML file too large")
        text = bytes(data)
        tag = f'<meta name="AIGC" content="{html.escape(payload, quote=True)}">'.encode()
        metas = list(_META_RE.finditer(text))
        if metas:
            first = metas[0]
            for m in reversed(metas[1:]):
                text = text[:m.start()] + text[m.end():]
            return text[:first.start()] + tag + text[first.end():]
        for rx in (_HEAD_RE, _HTML_RE):
            found = rx.search(text)
            if found:
                extra = b"" if rx is _HEAD_RE else b"<head>" + tag + b"</head>"
                return text[:found.end()] + (tag if rx is _HEAD_RE else extra) + text[found.end():]
        return b"<head>" + tag + b"</head>\n" + text
