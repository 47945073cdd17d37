"""The TC260 XMP property (namespace ``http://www.tc260.org.cn/ns/AIGC/1.0/``, prefix ``TC260``,
simple property ``TC260:AIGC``) — build a packet, merge into an existing one, read it back.

Merging is textual so that the rest of an existing packet stays byte-identical: every existing
``AIGC`` property in the TC260 namespace is removed, and one ``rdf:Description`` holding ours is added
(one label per file, GB 45438 §6.1 c).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
TC260_PREFIX = "TC260"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PACKET_HEAD = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
_PACKET_TAIL = '<?xpacket end="w"?>'


def _description(payload: str, prefix: str = TC260_PREFIX) -> str:
    return (f'<rdf:Description rdf:about="" xmlns:{prefix}="{TC260_NS}">'
            f"<{prefix}:AIGC>{escape(payload)}</{prefix}:AIGC></rdf:Description>")


def new_packet(payload: str) -> str:
    """A minimal XMP packet holding only ``TC260:AIGC``."""
    return (f'{_PACKET_HEAD}<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{_RDF_NS}">'
            f"{_description(payload)}</rdf:RDF></x:xmpmeta>{_PACKET_TAIL}")


def strip_label(xml: str) -> str:
    """Remove every ``AIGC`` property, element or attribute form, in the TC260 namespace or any
    other (vendor namespaces are replaced too: one label per file, §6.1 c)."""
    pe = r"[A-Za-z_][\w.-]*"
    xml = re.sub(rf"<({pe}):AIGC\b[^>]*/>", "", xml)
    xml = re.sub(rf"<({pe}):AIGC\b[^>]*>.*?</\1:AIGC\s*>", "", xml, flags=re.S)
    xml = re.sub(rf"\s{pe}:AIGC\s*=\s*(\"[^\"]*\"|'[^']*')", "", xml)
    return xml


def merge_packet(xml: str | None, payload: str) -> str:
    """Insert/replace ``TC260:AIGC`` in an existing packet (or build a new one)."""
    if not xml or "</rdf:RDF>" not in xml:
        return new_packet(payload)
    xml = strip_label(xml)
    i = xml.rfind("</rdf:RDF>")
    return xml[:i] + _description(payload) + xml[i:]


def extract(xml: str | bytes) -> list[tuple[str, str]]:
    """Every AIGC value in the packet as ``(location, text)``; lenient about namespaces.

    The TC260 namespace is standard; an ``AIGC`` property in any other namespace is also returned
    (location says which) so the inspector can flag it.
    """
    if isinstance(xml, bytes):
        xml = xml.decode("utf-8", "replace")
    xml = xml.lstrip("\ufeff")
    found: list[tuple[str, str]] = []
    try:
        root = ET.fromstring(re.sub(r"<\?xpacket[^>]*\?>", "", xml).strip())
    except ET.ParseError:
        for m in re.finditer(r"<([\w.-]+):AIGC\b[^>]*>(.*?)</\1:AIGC\s*>", xml, flags=re.S):
            import html as _html
            found.append((f"xmp:{m.group(1)}:AIGC (unparsable XMP)", _html.unescape(m.group(2))))
        return found
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if local == "AIGC" or local.endswith(":AIGC"):
            text = (el.text or "").strip()
            if not text:
                alt = el.find(f".//{{{_RDF_NS}}}li")
                text = (alt.text or "").strip() if alt is not None else ""
            found.append((_loc(ns), text))
        for key, val in el.attrib.items():
            ans, _, alocal = key[1:].partition("}") if key.startswith("{") else ("", "", key)
            if alocal == "AIGC":
                found.append((_loc(ans), val))
    return found


def _loc(ns: str) -> str:
    return "xmp:TC260:AIGC" if ns == TC260_NS else f"xmp:{{{ns}}}AIGC (non-standard namespace)"
