"""The gateway's image-labeling hook (Labeling Measures Arts 4, 5; GB 45438-2025 §5.2, §6, Annex E).

Every generated image gets, in this order: the explicit label burnt into the pixels, the invisible
watermark (payload = :func:`payload_for_content_id`), and the implicit Annex E metadata label
(written by :func:`hegui.labeling.write_label`, read back to check it).
"""

from __future__ import annotations

import importlib
import json
import zlib
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image

from hegui.errors import LabelError
from hegui.labeling.explicit.config import default_policy
from hegui.labeling.explicit.errors import MediaUnsupported
from hegui.labeling.explicit.image import Position, draw_label
from hegui.labeling.explicit.image_file import label_image_bytes
from hegui.labeling.explicit.media import (
    encode_image,
    open_image,
    restore_mode,
    upright,
    working_rgb,
)
from hegui.labeling.watermark import (
    DEFAULT_KEY,
    embed_array,
    payload_for_content_id,
)

__all__ = ["implicit_fields", "label_generated_image"]

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"


def implicit_fields(*, content_id: str, producer_code: str) -> dict[str, str]:
    """The seven Annex E fields of a first write: propagator fields equal the producer's (reference §13)."""
    return {"Label": "1", "ContentProducer": producer_code, "ProduceID": content_id, "ReservedCode1": "",
            "ContentPropagator": producer_code, "PropagateID": content_id, "ReservedCode2": ""}


def label_generated_image(data: bytes, *, content_id: str, producer_code: str, explicit_text: str = "AI生成",
                          watermark: bool = True, position: Position = Position.BOTTOM_RIGHT) -> bytes:
    """Explicit overlay + watermark + implicit label; returns the image in its original format."""
    if not content_id or not producer_code:
        raise LabelError(detail="content_id and producer_code are required")
    if not watermark:
        out = label_image_bytes(data, text=explicit_text, position=position)
    else:
        out = _explicit_and_watermark(data, explicit_text, position, payload_for_content_id(content_id))
    return _write_implicit(out, implicit_fields(content_id=content_id, producer_code=producer_code))


def _explicit_and_watermark(data: bytes, text: str, position: Position, payload: int) -> bytes:
    """One decode and one encode for both pixel changes (animated images: explicit label only;
    CMYK comes out as RGB)."""
    policy = default_policy().image
    src = open_image(data, max_pixels=policy.max_pixels)
    if getattr(src.image, "n_frames", 1) > 1:  # the watermark is for still images
        return label_image_bytes(data, text=text, position=position)
    original_mode = src.image.mode
    rgb, alpha = working_rgb(upright(src))
    drawn, _ = draw_label(rgb, text, position=position, policy=policy)
    img = restore_mode(drawn, alpha, original_mode)
    if img.mode not in ("RGB", "RGBA", "L"):
        img = img.convert("RGBA" if alpha is not None else "RGB")
    marked = Image.fromarray(embed_array(np.asarray(img), payload, key=DEFAULT_KEY, strength=1.0), img.mode)
    return encode_image(marked, src, jpeg_quality=policy.jpeg_quality)


def _write_implicit(data: bytes, fields: dict[str, str]) -> bytes:
    try:
        label_mod = importlib.import_module("hegui.labeling.label")
        write_label = importlib.import_module("hegui.labeling").write_label
        label_cls = label_mod.ImplicitLabel
    except (ModuleNotFoundError, AttributeError):
        return _fallback_xmp(data, fields)
    out: bytes = write_label(data, label_cls(**fields))
    return out


# --- fallback until the carrier package exists: TC260 XMP in PNG iTXt / JPEG APP1 only ----------

def _xmp_packet(fields: dict[str, str]) -> bytes:
    value = escape(json.dumps(fields, ensure_ascii=False, separators=(",", ":")), {'"': "&quot;"})
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:TC260="{TC260_NS}"><TC260:AIGC>{value}</TC260:AIGC>'
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, chunks = 8, []
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        chunks.append((kind, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def _fallback_xmp(data: bytes, fields: dict[str, Any]) -> bytes:
    xmp = _xmp_packet(fields)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        itxt = _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)
        out, placed = [data[:8]], False
        for kind, body in _png_chunks(data):
            if kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
                continue  # one label per file: replace, never append
            if kind == b"IDAT" and not placed:
                out.append(itxt)
                placed = True
            out.append(_chunk(kind, body))
        return b"".join(out)
    if data.startswith(b"\xff\xd8"):
        body = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
        app1 = b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
        rest = data[2:]
        return b"\xff\xd8" + app1 + rest  # fresh encode by us: no earlier XMP segment to replace
    raise MediaUnsupported(detail="implicit-label fallback writes PNG and JPEG only (carrier package missing)")
