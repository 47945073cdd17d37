"""Personal-information requests executed by the system (PIPL Arts 44–47).

- access / copy (Art 45): an archive (JSON + CSV) of everything held about the user;
- correct / supplement (Art 46): edit with a history that keeps only masked values;
- delete (Art 47): erase the user's content and personal data everywhere it lives. Usage logs
  that the CSL requires (≥ 6 months) are kept but re-keyed to a keyed hash that no longer
  identifies anyone; audit entries only ever name users by keyed hash;
- withdraw consent (Art 15): training opt-out set and further processing stopped.
Each function runs inside the caller's transaction and writes its audit entry there.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import String, delete, select, update
from sqlalchemy.orm import Session

from hegui import codes
from hegui.cases.errors import SubjectNotFound
from hegui.cases.models import Case, PiChange, Sanction, ViolationCounter

from hegui.errors import ValidationFailed
from hegui.identity.crypto import KeyRing, mask_phone
from hegui.identity.users import IdentityService
from hegui.records import audit
from hegui.storage.models import (
    AgreementAcceptance,
    EndUser,
    OtpChallenge,
    ReviewItem,
    UsageContent,
    UsageRecord,
)

USER_FIELDS = ("id", "external_id", "kind", "status", "verified_by", "verified_at", "phone_masked", "id_masked",
               "uscc", "adult_on", "guardian_consent_at", "agreement_version", "agreement_accepted_at",
               "training_opt_out", "processing_stopped", "created_at")
RECORD_FIELDS = ("created_at", "request_id", "content_id", "endpoint", "model", "status", "input_action",
                 "output_action", "taken_down_at")
CORRECTABLE = ("phone", "id_number", "uscc")


def find_subject(s: Session, user: str, app_id: str | None = None) -> EndUser:
    """The end user by internal id, or by external id (within ``app_id`` when given)."""
    row = s.get(EndUser, user)
    if row is None:
        q = select(EndUser).where(EndUser.external_id == user)
        if app_id:
            q = q.where(EndUser.app_id == app_id)
        rows = list(s.scalars(q.limit(2)))
        if len(rows) > 1:
            raise ValidationFailed(message_en=f"{user!r} exists in several apps; name the app",
                                   message_zh=f"{user!r} 存在于多个应用中，请指明应用")
        row = rows[0] if rows else None
    if row is None:
        raise SubjectNotFound(user=user)
    return row


def export(s: Session, keys: KeyRing, user: EndUser, actor: str) -> bytes:
    """Access/copy archive: ``data.json`` (everything) and ``records.csv`` (one row per request)."""
    records = list(s.scalars(select(UsageRecord).where(UsageRecord.user_id == user.id).order_by(UsageRecord.created_at)))
    contents = {c.record_id: c for c in s.scalars(select(UsageContent).where(UsageContent.user_id == user.id))}
    rows: list[dict[str, Any]] = []
    for r in records:
        item = {f: _plain(getattr(r, f)) for f in RECORD_FIELDS}
        c = contents.get(r.id)
        item["prompt"], item["output"] = ("", "")
        if c is not None:
            aad = r.id.encode()
            item["prompt"] = keys.unseal(c.prompt_enc, aad).decode() if c.prompt_enc else ""
            item["output"] = keys.unseal(c.output_enc, aad).decode() if c.output_enc else ""
        rows.append(item)
    data = {
        "user": {f: _plain(getattr(user, f)) for f in USER_FIELDS},
        "agreements": [{"version": a.version, "accepted_at": _plain(a.accepted_at)} for a in
                       s.scalars(select(AgreementAcceptance).where(AgreementAcceptance.user_id == user.id))],
        "records": rows,
        "sanctions": [{"kind": x.kind, "reason": x.reason, "starts_at": _plain(x.starts_at), "ends_at": _plain(x.ends_at),
                       "lifted_at": _plain(x.lifted_at)} for x in
                      s.scalars(select(Sanction).where(Sanction.user_id == user.id))],
        "corrections": [{"field": p.field, "old": p.old_masked, "new": p.new_masked, "at": _plain(p.at)} for p in
                        s.scalars(select(PiChange).where(PiChange.user_id == user.id))],
        "note": "手机号、身份证号仅以掩码形式保存；完整号码不在本服务保存或仅加密保存。/ Phone and ID numbers are "
                "held only in masked form (full values only encrypted, if at all).",
    }
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[*RECORD_FIELDS, "prompt", "output"])
    w.writeheader()
    w.writerows(rows)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        z.writestr("records.csv", "\ufeff" + buf.getvalue())
    audit.append(s, actor, "pi.export", audit.user_ref(keys, user.id), {"records": len(rows)})
    return out.getvalue()


def correct(s: Session, keys: KeyRing, identity: IdentityService, user: EndUser, field: str, value: str, actor: str,
            case_id: str | None = None, *, store_full: bool = False) -> PiChange:
    """Correct or supplement one identity field; the history keeps masked values only (Art 46)."""
    if field not in CORRECTABLE:
        raise ValidationFailed(detail=f"field must be one of {', '.join(CORRECTABLE)}")
    value = (value or "").strip()
    if field == "phone":
        old = user.phone_masked
        phone = codes.check_mobile(value)
        user.phone_hmac, user.phone_masked = keys.pseudonym(phone, "phone"), mask_phone(phone)
        user.phone_enc = keys.seal(phone, user.id.encode()) if store_full else None
        new = user.phone_masked
    elif field == "id_number":
        old = user.id_masked
        identity.verify_id_card(s, user, value)
        new = user.id_masked
    else:
        old = user.uscc
        identity.verify_uscc(s, user, value)
        new = user.uscc
    row = PiChange(user_id=user.id, case_id=case_id, field=field, old_masked=old, new_masked=new, actor=actor)
    s.add(row)
    audit.append(s, actor, "pi.corrected" if old else "pi.supplemented", audit.user_ref(keys, user.id),
                 {"field": field, "case": case_id})
    return row


def withdraw_consent(s: Session, keys: KeyRing, user: EndUser, actor: str) -> None:
    """Training opt-out and processing stop; stored content is no longer usable for training."""
    user.training_opt_out = True
    user.processing_stopped = True
    s.execute(update(UsageContent).where(UsageContent.user_id == user.id).values(training_allowed=False))
    audit.append(s, actor, "pi.consent_withdrawn", audit.user_ref(keys, user.id), {})


class Erased(NamedTuple):
    counts: dict[str, int]
    content_ids: list[str]  # output files the caller removes (:func:`remove_output_files`)
    archives: list[str]  # earlier access/copy archives the caller removes


def erase(s: Session, keys: KeyRing, user: EndUser, actor: str) -> Erased:
    """Erase the user's content and personal data everywhere (Art 47).

    Returns counts per table, the content IDs of output files and the names of earlier PI archives
    (plain-text copies of the user's records); the caller removes those files once the
    transaction has committed.
    """
    uid, ext = user.id, user.external_id
    ref = "erased-" + keys.pseudonym(uid, "erased")[:25]  # fits usage_records.user_id (32)
    counts: dict[str, int] = {}
    content_ids = [c for c in s.scalars(select(UsageRecord.content_id).where(UsageRecord.user_id == uid)) if c]
    counts["usage_content"] = s.execute(delete(UsageContent).where(UsageContent.user_id == uid)).rowcount
    counts["review_queue"] = s.execute(delete(ReviewItem).where(ReviewItem.user_id == uid)).rowcount
    counts["usage_records_rekeyed"] = s.execute(
        update(UsageRecord).where(UsageRecord.user_id == uid).values(user_id=ref)).rowcount
    counts["otp_challenges"] = s.execute(delete(OtpChallenge).where(OtpChallenge.user_id == uid)).rowcount
    counts["agreement_acceptances"] = s.execute(
        delete(AgreementAcceptance).where(AgreementAcceptance.user_id == uid)).rowcount
    counts["violation_counters"] = s.execute(delete(ViolationCounter).where(ViolationCounter.user_id == uid)).rowcount
    counts["sanctions_rekeyed"] = s.execute(update(Sanction).where(Sanction.user_id == uid).values(user_id=ref)).rowcount
    counts["pi_changes"] = s.execute(delete(PiChange).where(PiChange.user_id == uid)).rowcount
    counts.update(_rekey_other_tables(s, uid, ref))
    archives: list[str] = []
    for case in s.scalars(select(Case).where(Case.subject_user == uid)):
        case.subject_user = ref
        case.text = case.text.replace(ext, "[已删除 erased]") if ext else case.text
        result = dict(case.result or {})
        if result.get("archive"):
            archives.append(str(result.pop("archive")))
            case.result = {**result, "archive_removed": "erased"}
    counts["pi_exports"] = len(archives)
    s.delete(user)
    s.flush()
    audit.append(s, actor, "pi.erased", audit.user_ref(keys, uid), counts)
    return Erased(counts, content_ids, archives)


HANDLED = {"usage_content", "review_queue", "usage_records", "otp_challenges", "agreement_acceptances",
           "violation_counters", "sanctions", "pi_changes", "end_users", "cases"}


def _rekey_other_tables(s: Session, uid: str, ref: str) -> dict[str, int]:
    """Tables of other duties (e.g. labeling's unlabelled-export log, kept ≥ 6 months under Labeling
    Measures Art 9) that name the user in a ``user_id`` column: keep the rows, re-key them."""
    from hegui.storage.all_models import load_all

    out = {}
    for table in load_all().metadata.sorted_tables:
        col = table.c.get("user_id")
        if table.name in HANDLED or col is None or not isinstance(col.type, String):
            continue
        n = s.execute(update(table).where(col == uid).values(user_id=ref)).rowcount
        if n:
            out[f"{table.name}_rekeyed"] = n
    return out


def remove_output_files(outputs_dir: Path, content_ids: list[str]) -> int:
    n = 0
    if outputs_dir.exists():
        for cid in content_ids:
            for p in outputs_dir.glob(f"{cid}*"):
                p.unlink(missing_ok=True)
                n += 1
    return n


def _plain(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v
