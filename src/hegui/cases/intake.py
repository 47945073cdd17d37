"""Complaint and request intake (Interim Measures Art 15; DS Art 11; PIPL Art 50).

One function, :func:`submit`, serves the public web form, the API and the console. It validates
everything first, stores evidence (sealed, 0600: :mod:`hegui.cases.sealing`) with content-sniffed
types and size limits, gives the case an unguessable tracking number and a deadline in working
days, and audits the intake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.cases import deadlines, sealing
from hegui.cases.calendar import WorkingCalendar
from hegui.cases.config import CasesConfig
from hegui.cases.errors import TooManyRequests, UploadRejected
from hegui.cases.models import Case, CaseEvent, CaseEvidence
from hegui.errors import ValidationFailed
from hegui.fileio import private_dir, write_atomic
from hegui.records import audit
from hegui.storage.base import new_id
from hegui.storage.models import EndUser

TZ = ZoneInfo("Asia/Shanghai")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Upload:
    filename: str
    data: bytes


def tracking_number(today: dt.date) -> str:
    return f"HG{today:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


def sniff(data: bytes) -> str | None:
    """Media type from the content's magic bytes (never from the file name)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else "text/plain"


class TokenBucket:
    """Per-client token bucket for the public form and API (abuse resistance without CAPTCHA)."""

    def __init__(self, burst: int, per_hour: int) -> None:
        self.burst, self.rate = burst, per_hour / 3600.0
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._state) > 50_000:
                self._state.clear()
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._state[key] = (tokens, now)
                raise TooManyRequests()
            self._state[key] = (tokens - 1, now)


def clean_text(text: str, limit: int, what: str) -> str:
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n")).strip()
    if len(text) > limit:
        raise ValidationFailed(message_en=f"{what} is longer than {limit} characters",
                               message_zh=f"{what}超过 {limit} 个字符")
    return text


def check_uploads(cfg: CasesConfig, uploads: list[Upload]) -> list[tuple[Upload, str, str]]:
    lim = cfg.intake
    uploads = [u for u in uploads if u.data or u.filename]
    if len(uploads) > lim.max_files:
        raise UploadRejected(detail=f"at most {lim.max_files} files / 最多 {lim.max_files} 个文件")
    out = []
    for u in uploads:
        if len(u.data) > lim.max_file_bytes:
            raise UploadRejected(message_en=f"{u.filename}: larger than {lim.max_file_bytes // 1_000_000} MB",
                                 message_zh=f"{u.filename}：超过 {lim.max_file_bytes // 1_000_000} MB 上限")
        if not u.data:
            raise UploadRejected(detail=f"{u.filename}: empty file / 空文件")
        media = sniff(u.data)
        if media not in lim.allowed_types:
            raise UploadRejected(message_en=f"{u.filename}: file type not accepted (allowed: PNG, JPEG, WebP, PDF, "
                                            "plain text)",
                                 message_zh=f"{u.filename}：文件类型不被接受（允许 PNG、JPEG、WebP、PDF、纯文本）")
        out.append((u, media, lim.allowed_types[media]))
    return out


def due_date(calendar: WorkingCalendar, cfg: CasesConfig, case_type: str, received: dt.date) -> dt.date:
    """The deadline, provisional where the calendar lacks a year (see :mod:`hegui.cases.deadlines`)."""
    return deadlines.compute(calendar, cfg, case_type, received).due_on


def submit(s: Session, cfg: CasesConfig, calendar: WorkingCalendar, evidence_dir: Path, *, case_type: str,
           text: str, contact: str = "", lang: str = "zh", channel: str = "web", account: str = "",
           app_id: str | None = None, content_id: str = "", uploads: list[Upload] | None = None,
           actor: str | None = None) -> Case:
    if case_type not in cfg.case_types:
        raise ValidationFailed(message_en=f"unknown case type {case_type!r}", message_zh=f"未知的案件类型 {case_type!r}")
    text = clean_text(text, cfg.intake.max_text_chars, "description / 描述")
    if len(text) < 5:
        raise ValidationFailed(message_en="please describe the matter (at least 5 characters)",
                               message_zh="请描述具体情况（至少 5 个字符）")
    contact = clean_text(contact, 200, "contact / 联系方式")
    account = clean_text(account, 200, "account / 账号")
    content_id = clean_text(content_id, 48, "content ID / 内容标识")
    if cfg.case_types[case_type].pi and not account:
        raise ValidationFailed(message_en="a personal-information request needs the account it concerns",
                               message_zh="个人信息权利请求须填写所涉及的账号")
    checked = check_uploads(cfg, uploads or [])
    keys = sealing.require_keys(s)  # text, contact and evidence are sealed at rest, never plain
    received = dt.datetime.now(TZ).date()
    deadline = deadlines.compute(calendar, cfg, case_type, received)
    case = Case(id=new_id(), tracking=tracking_number(received), type=case_type, channel=channel,
                lang="en" if lang == "en" else "zh", text=text, contact=contact or None,
                content_id=content_id or None, received_on=received, result={})
    deadlines.apply(case, deadline, calendar)
    if account:
        q = select(EndUser.id).where((EndUser.external_id == account) | (EndUser.id == account))
        if app_id:
            q = q.where(EndUser.app_id == app_id)
        found = list(s.scalars(q.limit(2)))
        if len(found) == 1:
            case.subject_user = found[0]
        else:
            case.result = {**case.result, "unresolved_account": True}
        case.subject_app = app_id
    s.add(case)
    s.flush()
    written: list[Path] = []
    try:
        folder = evidence_dir / case.id
        if checked:
            private_dir(folder)
        for u, media, ext in checked:
            ev = CaseEvidence(id=new_id(), case_id=case.id, filename=Path(u.filename or "file").name[:200],
                              media_type=media, size=len(u.data), sha256=hashlib.sha256(u.data).hexdigest(),
                              stored_as=f"{new_id()}.{ext}")
            written.append(write_atomic(folder / ev.stored_as, sealing.seal_evidence(keys, case.id, ev.id, u.data),
                                        mode=0o600))
            s.add(ev)
        note = deadlines.note_for(deadline)
        s.add(CaseEvent(case_id=case.id, actor=actor or f"public:{channel}", kind="transition", dst="received", note=note))
        audit.append(s, actor or f"public:{channel}", "case.received", f"case:{case.tracking}",
                     {"type": case_type, "channel": channel, "evidence": len(checked), "due_on": case.due_on,
                      "due_provisional": deadline.provisional})
        s.flush()
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        shutil.rmtree(evidence_dir / case.id, ignore_errors=True)
        raise
    return case



