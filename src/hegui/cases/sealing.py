"""Complaint text, contact and evidence sealed at rest like usage content (PIPL Arts 28, 51).

- ``cases.text`` holds ``hgs1:`` + AES-256-GCM ciphertext of ``{"t": text, "c": contact}``, bound
  to the case id; ``cases.contact`` holds only a masked form (``a***.com``). ORM events seal on
  insert/update and open on load, so code using :class:`~hegui.cases.models.Case` sees plain text
  while the database never does. Without a bound key ring (see
  :func:`hegui.records.protection.protect`) writing refuses and loading leaves the ciphertext.
- Evidence files are ``HGSE1\\n`` + ciphertext bound to case and evidence id
  (:func:`seal_evidence` / :func:`open_evidence`).

Rows and files written before sealing existed stay readable; ``hegui db upgrade`` seals them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import event, select
from sqlalchemy.orm import Mapper, Session, attributes, object_session

from hegui.errors import ConfigError
from hegui.identity.crypto import KeyRing
from hegui.records.protection import KEYS_INFO

TEXT_PREFIX = "hgs1:"
EVIDENCE_MAGIC = b"HGSE1\n"
_PLAIN = "_hegui_plain"


class CaseKeysMissing(ConfigError):
    code = "CASE_KEYS_MISSING"
    message_zh = "未绑定加密密钥，拒绝以明文保存投诉内容与证据（启动时须调用 hegui.records.protection.protect）"
    message_en = ("no sealing key bound: refusing to store complaint text and evidence in plain text "
                  "(call hegui.records.protection.protect at start)")


class EvidenceUnreadable(ConfigError):
    code = "EVIDENCE_UNREADABLE"
    message_zh = "证据文件 {detail} 无法解密或与登记的摘要不符（文件被替换或密钥不同）"
    message_en = "evidence file {detail} cannot be decrypted or does not match its recorded digest " \
                 "(file replaced, or a different key)"


def keys_of(s: Session | None) -> KeyRing | None:
    keys = s.info.get(KEYS_INFO) if s is not None else None
    return keys if isinstance(keys, KeyRing) else None


def require_keys(s: Session | None) -> KeyRing:
    keys = keys_of(s)
    if keys is None:
        raise CaseKeysMissing()
    return keys


def mask_contact(contact: str | None) -> str | None:
    """A short form an operator can recognise without the full value (``a***@x.com`` style)."""
    if not contact:
        return None
    if len(contact) <= 4:
        return contact[:1] + "***"
    return contact[:1] + "***" + contact[-4:]


def _aad(case_id: str) -> bytes:
    return f"case:{case_id}".encode()


def seal_text(keys: KeyRing, case_id: str, text: str, contact: str | None) -> str:
    blob = keys.seal(json.dumps({"t": text, "c": contact}, ensure_ascii=False), _aad(case_id))
    return TEXT_PREFIX + base64.b64encode(blob).decode("ascii")


def open_text(keys: KeyRing, case_id: str, stored: str) -> tuple[str, str | None]:
    data = json.loads(keys.unseal(base64.b64decode(stored[len(TEXT_PREFIX):]), _aad(case_id)))
    return data["t"], data.get("c")


def _seal_row(_mapper: Mapper, _conn: Any, case: Any) -> None:
    keys = require_keys(object_session(case))
    plain = (case.text, case.contact)
    case.__dict__[_PLAIN] = plain
    case.text = seal_text(keys, case.id, plain[0] or "", plain[1])
    case.contact = mask_contact(plain[1])


def _before_update(mapper: Mapper, conn: Any, case: Any) -> None:
    state = attributes.instance_state(case)
    if state.attrs.text.history.has_changes() or state.attrs.contact.history.has_changes():
        case.__dict__.pop(_PLAIN, None)
        _seal_row(mapper, conn, case)


def _restore(_mapper: Mapper, _conn: Any, case: Any) -> None:
    plain = case.__dict__.pop(_PLAIN, None)
    if plain is not None:
        attributes.set_committed_value(case, "text", plain[0])
        attributes.set_committed_value(case, "contact", plain[1])


def _open_row(case: Any, context: Any, *_: Any) -> None:
    stored = case.__dict__.get("text")
    if not (isinstance(stored, str) and stored.startswith(TEXT_PREFIX)):
        return
    keys = keys_of(getattr(context, "session", None))
    if keys is None:
        return  # no key: the ciphertext stays; never guessed or shown in the clear
    try:
        text, contact = open_text(keys, case.id, stored)
    except (InvalidTag, ValueError, KeyError, TypeError):
        return
    attributes.set_committed_value(case, "text", text)
    attributes.set_committed_value(case, "contact", contact)


def install(case_cls: type) -> None:
    """Attach the sealing events to the ``Case`` model (called once by :mod:`hegui.cases.models`)."""
    event.listen(case_cls, "before_insert", _seal_row)
    event.listen(case_cls, "before_update", _before_update)
    event.listen(case_cls, "after_insert", _restore)
    event.listen(case_cls, "after_update", _restore)
    event.listen(case_cls, "load", _open_row)
    event.listen(case_cls, "refresh", _open_row)


def seal_legacy(s: Session, case_cls: type) -> int:
    """Seal rows written in plain text before sealing existed; returns how many."""
    require_keys(s)
    n = 0
    for case in s.scalars(select(case_cls).where(~case_cls.text.startswith(TEXT_PREFIX))):
        attributes.flag_modified(case, "text")
        n += 1
    s.flush()
    return n


def _evidence_aad(case_id: str, evidence_id: str) -> bytes:
    return f"evidence:{case_id}:{evidence_id}".encode()


def seal_evidence(keys: KeyRing, case_id: str, evidence_id: str, data: bytes) -> bytes:
    return EVIDENCE_MAGIC + keys.seal(data, _evidence_aad(case_id, evidence_id))


def open_evidence(keys: KeyRing, case_id: str, evidence_id: str, stored: bytes, sha256: str) -> bytes:
    """The evidence as uploaded, checked against the digest recorded at intake."""
    data = stored
    if stored.startswith(EVIDENCE_MAGIC):
        try:
            data = keys.unseal(stored[len(EVIDENCE_MAGIC):], _evidence_aad(case_id, evidence_id))
        except InvalidTag as exc:
            raise EvidenceUnreadable(detail=evidence_id) from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise EvidenceUnreadable(detail=evidence_id)
    return data
