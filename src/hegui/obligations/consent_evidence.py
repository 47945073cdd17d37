"""DS-14-B — separate consent before a face or voice is edited (Deep Synthesis Provisions Art 14(2);
PIPL Art 29), on live evidence:

1. a self-test on a scratch database: the consent check that ``/v1/hegui/voice/clone`` runs
   (:meth:`hegui.likeness.consent.ConsentRegistry.check`) refuses a request without a consent,
   admits it once a consent is granted, and refuses it again right after the revocation — and the
   grant and the revocation are in the audit chain;
2. the records: every ``voice.clone`` / ``face.swap`` usage record with status ``ok`` names a
   consent that existed, covered that use, that app and that user, and was in force at the time.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hegui.obligations.register import Finding, Status

if TYPE_CHECKING:
    from hegui.app.services import Services
    from hegui.identity.crypto import KeyRing
    from hegui.storage.db import Database

#: the usage-record endpoints that edit a person's likeness → (kind, consent use)
LIKENESS_ENDPOINTS = {"voice.clone": ("voice", "voice_clone"), "face.swap": ("face", "face_swap")}
_SHOWN = 5


def consent_self_test(keys: KeyRing) -> str:
    """'' when refuse → admit → refuse-after-revoke held on a scratch database, else what failed."""
    from sqlalchemy import select

    from hegui.likeness.consent import ConsentRegistry
    from hegui.records.protection import protect
    from hegui.storage.base import Base
    from hegui.storage.db import Database
    from hegui.storage.models import AuditEntry

    with tempfile.TemporaryDirectory(prefix="hegui-consent-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'self-test.db'}")
        try:
            Base.metadata.create_all(db.engine)
            protect(db, keys, tmp)
            reg = ConsentRegistry(db, keys)
            args = ("voice", "voice_clone")
            before = reg.check(*args, None, "self-test-app", "self-test-user")
            if before.ok or before.status != "missing":
                return f"a request without a consent was not refused ({before.status})"
            row = reg.grant(kind="voice", uses=["voice_clone"], subject_ref="self-test subject",
                            method="in_app_confirmation", confirmation="self-test", actor="system:register",
                            app_id="self-test-app")
            granted = reg.check(*args, row.id, "self-test-app", "self-test-user")
            if not granted.ok:
                return f"a request with a granted consent was refused ({granted.status})"
            other = reg.check(*args, row.id, "another-app", "self-test-user")
            if other.ok:
                return "another app could use this app's consent"
            reg.revoke(row.id, "self-test", "system:register")
            after = reg.check(*args, row.id, "self-test-app", "self-test-user")
            if after.ok or after.status != "revoked":
                return f"a request after the revocation was not refused ({after.status})"
            with db.session() as s:
                actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
            if actions != ["likeness.consent.grant", "likeness.consent.revoke"]:
                return f"the grant and revocation were not audited ({actions})"
        finally:
            db.dispose()
    return ""


def unconsented_records(db: Database) -> tuple[int, list[str]]:
    """``(served, problems)``: the ok likeness records, and one line per record without a consent
    in force for it at the time (record id: why)."""
    from sqlalchemy import select

    from hegui.likeness.consent import decide
    from hegui.likeness.models import LikenessConsent
    from hegui.storage.models import UsageRecord

    served, problems = 0, []
    cache: dict[str, LikenessConsent | None] = {}
    with db.session() as s:
        rows = s.execute(select(UsageRecord.id, UsageRecord.endpoint, UsageRecord.consent_id, UsageRecord.app_id,
                                UsageRecord.user_id, UsageRecord.created_at)
                         .where(UsageRecord.endpoint.in_(tuple(LIKENESS_ENDPOINTS)), UsageRecord.status == "ok")
                         .execution_options(yield_per=1000))
        for rid, endpoint, cid, app_id, user_id, created in rows:
            served += 1
            if cid and cid not in cache:
                cache[cid] = s.get(LikenessConsent, cid)
            kind, use = LIKENESS_ENDPOINTS[endpoint]
            at = created if created.tzinfo else created.replace(tzinfo=dt.timezone.utc)
            d = decide(cache.get(cid) if cid else None, kind, use, cid, app_id, user_id, at)
            if not d.ok:
                problems.append(f"{rid}: {d.status}")
    return served, problems


def biometric_consent_finding(sv: Services) -> Finding:
    why = consent_self_test(sv.keys)
    if why:
        return Finding(Status.NOT_MET, f"单独同意自检失败：{why}", f"separate-consent self-test failed: {why}")
    served, problems = unconsented_records(sv.db)
    if problems:
        shown = "; ".join(problems[:_SHOWN]) + ("…" if len(problems) > _SHOWN else "")
        return Finding(Status.NOT_MET,
                       f"{len(problems)} 条声音克隆/人脸替换记录在生成时没有有效的单独同意：{shown}",
                       f"{len(problems)} voice-clone/face-swap record(s) were served without a separate consent "
                       f"in force at the time: {shown}")
    return Finding(Status.MET,
                   f"单独同意自检通过（无同意被拒绝、授予后放行、撤回后立即拒绝，均记入审计）；已生成的 {served} 条声音克隆/人脸替换"
                   "记录均有生成时有效的单独同意",
                   f"separate-consent self-test passed (refused without consent, served once granted, refused "
                   f"again at once after revocation, each change audited); all {served} voice-clone/face-swap "
                   "record(s) served had a consent in force at the time")
