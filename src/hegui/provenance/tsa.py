"""RFC 3161 time-stamp of an evidence package's manifest, only when ``provenance.tsa_url`` is set
(Electronic Signature Law Art 13; a trusted time is what dates the creation before a dispute).

The request is built here (a few DER bytes: SHA-256 message imprint, nonce, certReq); the reply is
kept as ``manifest.tsr`` and its status is checked. Tested against a stub only — untested against a
real TSA, and the token's own signature is not validated by :func:`hegui.provenance.verify.verify`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from hegui.errors import ValidationFailed

SHA256_OID = bytes.fromhex("0609608648016503040201")


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def _int(n: int) -> bytes:
    raw = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return _tlv(0x02, raw)


def request(data: bytes, nonce: int | None = None) -> bytes:
    """DER ``TimeStampReq`` (RFC 3161 §2.4.1) for SHA-256(``data``)."""
    imprint = _tlv(0x30, _tlv(0x30, SHA256_OID + b"\x05\x00") + _tlv(0x04, hashlib.sha256(data).digest()))
    nonce = secrets.randbits(63) if nonce is None else nonce
    return _tlv(0x30, _int(1) + imprint + _int(nonce) + b"\x01\x01\xff")


def _read(buf: bytes, i: int) -> tuple[int, int, int]:
    """(tag, body start, body end) of the TLV at ``i``."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    if i + n > len(buf):
        raise ValueError("truncated DER")
    return tag, i, i + n


def response_status(resp: bytes) -> int:
    """PKIStatus of a ``TimeStampResp`` (0 granted, 1 grantedWithMods, ≥2 refused)."""
    tag, s, _ = _read(resp, 0)
    tag2, s2, _ = _read(resp, s)
    tag3, s3, e3 = _read(resp, s2)
    if (tag, tag2, tag3) != (0x30, 0x30, 0x02):
        raise ValueError("not a TimeStampResp")
    return int.from_bytes(resp[s3:e3], "big")


def _http_post(url: str, body: bytes) -> bytes:
    import httpx

    r = httpx.post(url, content=body, headers={"Content-Type": "application/timestamp-query"}, timeout=30)
    r.raise_for_status()
    return r.content


def timestamp(data: bytes, url: str, post: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """The TSA's DER reply for ``data``; fails closed (raises) when the TSA refuses or cannot be reached."""
    try:
        resp = (post or _http_post)(url, request(data))
        status = response_status(resp)
    except Exception as exc:  # noqa: BLE001 - network, HTTP or DER errors all mean "no timestamp"
        raise ValidationFailed(message_en=f"time-stamp authority {url}: {exc}",
                               message_zh=f"时间戳服务 {url} 失败：{exc}") from exc
    if status > 1:
        raise ValidationFailed(message_en=f"time-stamp authority {url} refused (status {status})",
                               message_zh=f"时间戳服务 {url} 拒绝请求（状态 {status}）")
    return resp
