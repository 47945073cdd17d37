"""Separate consents to edit or synthesise a person's face or voice (Deep Synthesis Provisions
Art 14(2); PIPL Arts 28–29, 31; Civil Code Art 994 for the deceased).

:class:`ConsentRegistry` grants, revokes, lists and checks :class:`~hegui.likeness.models.LikenessConsent`
rows. Who consented is found by a keyed pseudonym of the operator's subject reference; the name,
the evidence (the signed document, or the in-app confirmation) and any enrolled reference
embedding are sealed (AES-GCM, the consent id as associated data). Every change is an entry in
the hash-chained audit log, in the same transaction. A revocation takes effect at once: the next
:meth:`ConsentRegistry.check` refuses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import ValidationFailed
from hegui.identity.crypto import KeyRing
from hegui.likeness.errors import ConsentNotFound, ConsentRequired
from hegui.likeness.models import LikenessConsent
from hegui.records import audit
from hegui.storage.base import new_id, utcnow
from hegui.storage.db import Database

KINDS = ("voice", "face")
USES: dict[str, tuple[str, ...]] = {"voice": ("voice_clone", "tts_voice"), "face": ("face_swap", "face_edit")}
METHODS = ("signed_upload", "in_app_confirmation")
PARTIES = ("subject", "guardian", "relative")
#: Civil Code Art 994: the spouse, children and parents first; other close relatives only if none of them survive
FIRST_ORDER = ("spouse", "child", "parent")
OTHER_CLOSE = ("grandparent", "grandchild", "sibling")
MAX_EVIDENCE_BYTES = 10_000_000
MAX_EMBEDDING_BYTES = 64_000
SUBJECT_PURPOSE = "likeness-subject"
_KIND_ZH = {"voice": "声音", "face": "人脸"}


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _bad(en: str, zh: str) -> ValidationFailed:
    return ValidationFailed(message_en=en, message_zh=zh)


def _text(value: str | None, field: str, limit: int, *, required: bool = True) -> str:
    v = (value or "").strip()
    if required and not v:
        raise _bad(f"{field} is required", f"{field} 不能为空")
    if len(v) > limit:
        raise _bad(f"{field}: at most {limit} characters", f"{field}：至多 {limit} 个字符")
    return v


@dataclass(frozen=True, slots=True)
class ConsentDecision:
    """The answer of :meth:`ConsentRegistry.check`: ``status`` is ``ok`` or why not (``missing``,
    ``not_found``, ``expired``, ``revoked``, ``wrong_use``, ``wrong_user``, ``not_yet_valid``)."""

    status: str
    reason_en: str
    reason_zh: str
    consent_id: str | None = None
    likeness_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def error(self) -> ConsentRequired:
        return ConsentRequired(reason_en=self.reason_en, reason_zh=self.reason_zh)

    def raise_if_refused(self) -> None:
        if not self.ok:
            raise self.error()


def _evidence_blob(method: str, evidence: bytes | None, confirmation: str | None,
                   confirmed_at: dt.datetime | None, now: dt.datetime) -> bytes:
    if method == "signed_upload":
        if confirmation:
            raise _bad("a signed upload carries the signed document, not a confirmation token",
                       "签署文件上传方式须提供签署文件，而非确认令牌")
        if not evidence:
            raise _bad("signed_upload needs the signed consent document", "signed_upload 方式须上传签署的同意书")
        if len(evidence) > MAX_EVIDENCE_BYTES:
            raise _bad(f"the signed document is larger than {MAX_EVIDENCE_BYTES} bytes",
                       f"签署文件超过 {MAX_EVIDENCE_BYTES} 字节")
        return bytes(evidence)
    if evidence:
        raise _bad("an in-app confirmation carries a confirmation token, not a document",
                   "应用内确认方式须提供确认令牌，而非文件")
    token = _text(confirmation, "confirmation", 500)
    at = _aware(confirmed_at) or now
    if at > now + dt.timedelta(minutes=5):
        raise _bad("confirmed_at lies in the future", "confirmed_at 晚于当前时间")
    return json.dumps({"confirmation": token, "confirmed_at": at.isoformat()}, ensure_ascii=False).encode()


def _party(deceased: bool, party: str, relation: str | None, no_closer_relative: bool) -> str | None:
    """Who may consent: the person; a guardian for a child under 14 (PIPL Art 31); for a deceased
    person a close relative (Civil Code Art 994), others only when no spouse, child or parent survives."""
    if party not in PARTIES:
        raise _bad(f"party must be one of {', '.join(PARTIES)}", f"party 须为 {', '.join(PARTIES)} 之一")
    rel = (relation or "").strip().lower() or None
    if deceased:
        if party != "relative":
            raise _bad("for a deceased person the consent is a close relative's: party must be 'relative' "
                       "(Civil Code Art 994)", "死者的人脸、声音须经其近亲属同意：party 须为 relative（《民法典》第九百九十四条）")
        if rel not in FIRST_ORDER + OTHER_CLOSE:
            raise _bad(f"relation must be one of {', '.join(FIRST_ORDER + OTHER_CLOSE)} (Civil Code Art 994)",
                       f"relation 须为 {', '.join(FIRST_ORDER + OTHER_CLOSE)} 之一（《民法典》第九百九十四条）")
        if rel in OTHER_CLOSE and not no_closer_relative:
            raise _bad(f"a {rel} may consent only when no spouse, child or parent survives: confirm "
                       "no_closer_relative (Civil Code Art 994)",
                       "仅在死者没有配偶、子女且父母已经死亡时，其他近亲属方可同意：请确认 no_closer_relative（《民法典》第九百九十四条）")
        return rel
    if party == "relative":
        raise _bad("a living person consents personally (or a guardian for a child under 14): party 'relative' "
                   "is only for a deceased person", "在世者须本人同意（不满十四周岁的由监护人同意）：relative 仅适用于死者")
    if party == "guardian":
        return "guardian"
    if rel:
        raise _bad("relation is only for a guardian or a relative", "relation 仅适用于监护人或近亲属")
    return None


class ConsentRegistry:
    """Grant, revoke, list and check separate consents (DS Art 14(2)); changes are audited."""

    def __init__(self, db: Database, keys: KeyRing) -> None:
        self.db = db
        self.keys = keys

    def subject_hmac(self, subject_ref: str) -> str:
        return self.keys.pseudonym(subject_ref.strip(), SUBJECT_PURPOSE)

    # -- changes ----------------------------------------------------------------------------------

    def grant(self, *, kind: str, uses: list[str], subject_ref: str, method: str, actor: str,
              subject_name: str | None = None, app_id: str | None = None, user_id: str | None = None,
              deceased: bool = False, party: str = "subject", relation: str | None = None,
              no_closer_relative: bool = False, evidence: bytes | None = None, confirmation: str | None = None,
              confirmed_at: dt.datetime | None = None, valid_from: dt.datetime | None = None,
              valid_until: dt.datetime | None = None, reference_embedding: bytes | None = None,
              likeness_id: str | None = None) -> LikenessConsent:
        """Record a consent: ``signed_upload`` keeps the document (sha256 + sealed bytes),
        ``in_app_confirmation`` the confirmation token and time. Returns the (detached) row."""
        if kind not in KINDS:
            raise _bad(f"kind must be one of {', '.join(KINDS)}", f"kind 须为 {', '.join(KINDS)} 之一")
        clean = sorted({str(u).strip() for u in uses or () if str(u).strip()})
        if not clean or any(u not in USES[kind] for u in clean):
            raise _bad(f"uses must be a non-empty list from {', '.join(USES[kind])} for a {kind}",
                       f"{_KIND_ZH[kind]}的 uses 须为 {', '.join(USES[kind])} 中的一项或多项")
        if method not in METHODS:
            raise _bad(f"method must be one of {', '.join(METHODS)}", f"method 须为 {', '.join(METHODS)} 之一")
        ref = _text(subject_ref, "subject_ref", 200)
        name = _text(subject_name, "subject_name", 200, required=False)
        actor = _text(actor, "actor", 120)
        if user_id and not app_id:
            raise _bad("a consent for one user must name its app", "限定终端用户的同意须同时指定应用")
        relation = _party(bool(deceased), party, relation, no_closer_relative)
        now = utcnow()
        start = _aware(valid_from) or now
        end = _aware(valid_until)
        if end is not None and end <= start:
            raise _bad("valid_until must be later than valid_from", "valid_until 须晚于 valid_from")
        blob = _evidence_blob(method, evidence, confirmation, confirmed_at, now)
        if reference_embedding is not None and not 0 < len(reference_embedding) <= MAX_EMBEDDING_BYTES:
            raise _bad(f"reference embedding must be 1 to {MAX_EMBEDDING_BYTES} bytes",
                       f"参考特征须为 1 至 {MAX_EMBEDDING_BYTES} 字节")
        cid = new_id()
        row = LikenessConsent(
            id=cid, app_id=app_id or None, user_id=user_id or None, kind=kind, uses=clean,
            subject_hmac=self.subject_hmac(ref), deceased=bool(deceased), party=party, relation=relation,
            subject_name_enc=self.keys.seal(name, self._aad(cid, "name")) if name else None,
            method=method, evidence_sha256=hashlib.sha256(blob).hexdigest(),
            evidence_enc=self.keys.seal(blob, self._aad(cid, "evidence")),
            reference_enc=(self.keys.seal(reference_embedding, self._aad(cid, "reference"))
                           if reference_embedding else None),
            likeness_id=likeness_id or None, valid_from=start, valid_until=end, recorded_by=actor, created_at=now)
        with self.db.session() as s:
            s.add(row)
            s.flush()
            audit.append(s, actor, "likeness.consent.grant", f"likeness_consent:{cid}",
                         {**self._detail(row), "no_closer_relative": bool(no_closer_relative)})
            s.expunge(row)
        return row

    def revoke(self, consent_id: str, reason: str, actor: str, *, app_id: str | None = None) -> LikenessConsent:
        """Withdraw a consent with effect from now (PIPL Art 15); ``app_id``: only that app's own."""
        reason = _text(reason, "reason", 2000)
        actor = _text(actor, "actor", 120)
        with self.db.session() as s:
            row = self._get(s, consent_id, app_id)
            if row.revoked_at is not None:
                raise _bad(f"consent {consent_id} was already revoked", f"单独同意 {consent_id} 已被撤回")
            row.revoked_at, row.revoked_reason = utcnow(), reason
            s.flush()
            audit.append(s, actor, "likeness.consent.revoke", f"likeness_consent:{row.id}",
                         {**self._detail(row), "reason": reason})
            s.expunge(row)
        return row

    # -- reads ------------------------------------------------------------------------------------

    def get(self, consent_id: str, *, app_id: str | None = None) -> LikenessConsent:
        with self.db.session() as s:
            row = self._get(s, consent_id, app_id)
            s.expunge(row)
        return row

    def list(self, *, app_id: str | None = None, kind: str | None = None, subject_ref: str | None = None,
             active_only: bool = False, limit: int = 200) -> list[LikenessConsent]:
        q = select(LikenessConsent).order_by(LikenessConsent.created_at.desc()).limit(max(1, min(limit, 1000)))
        if app_id is not None:
            q = q.where(LikenessConsent.app_id == app_id)
        if kind:
            q = q.where(LikenessConsent.kind == kind)
        if subject_ref:
            q = q.where(LikenessConsent.subject_hmac == self.subject_hmac(subject_ref))
        if active_only:
            q = q.where(LikenessConsent.revoked_at.is_(None))
        with self.db.session() as s:
            rows = list(s.scalars(q))
            for r in rows:
                s.expunge(r)
        now = utcnow()
        return [r for r in rows if not active_only or in_force(r, now)]

    def subject_name(self, row: LikenessConsent) -> str | None:
        return self.keys.unseal(row.subject_name_enc, self._aad(row.id, "name")).decode() \
            if row.subject_name_enc else None

    def evidence(self, row: LikenessConsent) -> bytes | None:
        return self.keys.unseal(row.evidence_enc, self._aad(row.id, "evidence")) if row.evidence_enc else None

    def reference_embedding(self, row: LikenessConsent) -> bytes | None:
        return self.keys.unseal(row.reference_enc, self._aad(row.id, "reference")) if row.reference_enc else None

    def check(self, kind: str, use: str, consent_id: str | None, app_id: str | None, user_id: str | None,
              at: dt.datetime | None = None) -> ConsentDecision:
        """Is a consent for ``use`` of a ``kind`` in force for this app and user at ``at``?"""
        with self.db.session() as s:
            row = s.get(LikenessConsent, consent_id.strip()) if consent_id and consent_id.strip() else None
            if row is not None:
                s.expunge(row)
        return decide(row, kind, use, consent_id, app_id, user_id, _aware(at) or utcnow())

    # -- internals --------------------------------------------------------------------------------

    @staticmethod
    def _aad(cid: str, part: str) -> bytes:
        return f"likeness_consent:{cid}:{part}".encode()

    @staticmethod
    def _get(s: Session, consent_id: str, app_id: str | None) -> LikenessConsent:
        row = s.get(LikenessConsent, (consent_id or "").strip()[:64])
        if row is None or (app_id is not None and row.app_id != app_id):  # an app sees only its own
            raise ConsentNotFound(id=(consent_id or "")[:64])
        return row

    @staticmethod
    def _detail(row: LikenessConsent) -> dict[str, Any]:
        """What the audit entry keeps: no name, no evidence, only its hash."""
        return {"kind": row.kind, "uses": row.uses, "app_id": row.app_id, "user_id": row.user_id,
                "method": row.method, "evidence_sha256": row.evidence_sha256, "deceased": row.deceased,
                "party": row.party, "relation": row.relation, "likeness_id": row.likeness_id,
                "valid_from": _aware(row.valid_from), "valid_until": _aware(row.valid_until),
                "revoked_at": _aware(row.revoked_at)}


def in_force(row: LikenessConsent, at: dt.datetime) -> bool:
    """Valid at ``at``: started, not ended, not revoked by then."""
    at = _aware(at) or utcnow()
    start, end, revoked = _aware(row.valid_from), _aware(row.valid_until), _aware(row.revoked_at)
    return (start is None or start <= at) and (end is None or at < end) and (revoked is None or at < revoked)


def decide(row: LikenessConsent | None, kind: str, use: str, consent_id: str | None, app_id: str | None,
           user_id: str | None, at: dt.datetime) -> ConsentDecision:
    """The decision for one request, with a zh/en reason naming the consent that is missing."""
    what_en = f"{use.replace('_', ' ')} of a {kind}"
    what_zh = f"{_KIND_ZH.get(kind, kind)}（{use}）"
    need_en = (f"a separate consent of the person whose {kind} is used, for {use}, granted to this app "
               f"(POST /v1/hegui/consents) and passed as consent_id")
    need_zh = f"被使用{_KIND_ZH.get(kind, kind)}者本人（死者为其近亲属）对 {use} 的单独同意，授予本应用（POST /v1/hegui/consents）并以 consent_id 传入"
    if not consent_id or not consent_id.strip():
        return ConsentDecision("missing", f"no consent_id was given; {what_en} needs {need_en}",
                               f"未提供 consent_id；{what_zh}需要{need_zh}")
    cid = consent_id.strip()[:64]
    if row is None or (row.app_id is not None and row.app_id != app_id):
        return ConsentDecision("not_found", f"consent {cid} does not exist for this app; {what_en} needs {need_en}",
                               f"本应用不存在单独同意 {cid}；{what_zh}需要{need_zh}", cid)
    lid = row.likeness_id
    if row.kind != kind or use not in (row.uses or ()):
        return ConsentDecision("wrong_use", f"consent {cid} covers {', '.join(row.uses or ())} of a {row.kind}, "
                               f"not {what_en}", f"单独同意 {cid} 的范围为{_KIND_ZH.get(row.kind, row.kind)}的 "
                               f"{', '.join(row.uses or ())}，不包括{what_zh}", cid, lid)
    if row.user_id is not None and row.user_id != user_id:
        return ConsentDecision("wrong_user", f"consent {cid} was granted for another user of this app",
                               f"单独同意 {cid} 授予的是本应用的其他用户", cid, lid)
    revoked = _aware(row.revoked_at)
    if revoked is not None and revoked <= at:
        return ConsentDecision("revoked", f"consent {cid} was revoked at {revoked:%Y-%m-%d %H:%M} UTC",
                               f"单独同意 {cid} 已于 {revoked:%Y-%m-%d %H:%M}（UTC）撤回", cid, lid)
    start, end = _aware(row.valid_from), _aware(row.valid_until)
    if start is not None and at < start:
        return ConsentDecision("not_yet_valid", f"consent {cid} is valid only from {start:%Y-%m-%d %H:%M} UTC",
                               f"单独同意 {cid} 自 {start:%Y-%m-%d %H:%M}（UTC）起方才有效", cid, lid)
    if end is not None and at >= end:
        return ConsentDecision("expired", f"consent {cid} expired at {end:%Y-%m-%d %H:%M} UTC",
                               f"单独同意 {cid} 已于 {end:%Y-%m-%d %H:%M}（UTC）到期", cid, lid)
    return ConsentDecision("ok", f"consent {cid} is in force for {what_en}", f"单独同意 {cid} 对{what_zh}有效", cid, lid)


def view(row: LikenessConsent, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The consent as the API and CLI show it: no name, no evidence (its hash only)."""
    now = now or utcnow()
    return {"id": row.id, "kind": row.kind, "uses": list(row.uses or ()), "app_id": row.app_id,
            "user_id": row.user_id, "deceased": row.deceased, "party": row.party, "relation": row.relation,
            "method": row.method, "evidence_sha256": row.evidence_sha256, "likeness_id": row.likeness_id,
            "has_reference": row.reference_enc is not None,
            "valid_from": _iso(row.valid_from), "valid_until": _iso(row.valid_until),
            "revoked_at": _iso(row.revoked_at), "revoked_reason": row.revoked_reason,
            "recorded_by": row.recorded_by, "created_at": _iso(row.created_at), "in_force": in_force(row, now)}


def _iso(t: dt.datetime | None) -> str | None:
    t = _aware(t)
    return t.isoformat() if t else None
