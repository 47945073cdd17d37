"""Usage records: one per request, written and committed *before* the response is acknowledged.

Prompt and output text are sealed with AES-GCM (record id as associated data) in
``usage_content``, with their own retention (Interim Measures Art 11).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hegui.identity.crypto import KeyRing
from hegui.storage.base import new_id, utcnow
from hegui.storage.db import Database
from hegui.storage.models import ReviewItem, UsageContent, UsageRecord


WITHHELD_BY = "system:withheld"  # review items holding generated text that was cut, not delivered
WITHHELD_NOTE = "生成后被拦截、未发送给用户的内容（留存备查） / generated, cut and not sent to the user (kept as evidence)"

_RECORD_INSERT = UsageRecord.__table__.insert()
_CONTENT_INSERT = UsageContent.__table__.insert()


def new_content_id() -> str:
    """Content ID carried by every output; leads back to its usage record."""
    return "hgc-" + uuid.uuid4().hex


@dataclass
class PendingRecord:
    request_id: str
    endpoint: str
    user_id: str | None = None
    app_id: str | None = None
    model: str | None = None
    stream: bool = False
    status: str = "error"
    content_id: str | None = None
    input_action: str | None = None
    output_action: str | None = None
    risks: list[dict[str, Any]] = field(default_factory=list)
    decided_by: str | None = None
    error_code: str | None = None
    prompt: str = ""
    output: str = ""
    upstream_ms: float | None = None
    total_ms: float | None = None
    label: str | None = None
    training_allowed: bool = True
    test_channel_id: str | None = None  # a regulator test channel's request (security-requirements §9)
    notice: str | None = None  # an anti-dependence reminder went with the answer (Interim Measures Art 10)
    safety_off: bool = False  # its moderation was bypassed (the verdicts say so); labels were not
    consent_id: str | None = None  # the likeness consent a face/voice synthesis relied on (DS Art 14(2))
    review: list[tuple[str, list[dict], str]] = field(default_factory=list)  # (direction, risks, text)
    input_verdict: Any = None  # the input Verdict, for the repeat-violator rule
    # what the model generated when the answer was cut (refused, blocked, taken down): not sent,
    # kept sealed as evidence for reviewers and reports (Interim Measures Art 14)
    withheld: str = ""


def stopped_item(rec: PendingRecord) -> tuple[str, str, str] | None:
    """The review item a stopped request adds to the queue: ``(direction, reason, text)``.

    A refused input (``refused``, the prompt), a refused whole answer (``refused``) or a cut
    stream (``cut``) with what the model generated (the withheld text when kept). A request whose
    direction was already queued as ``flag`` is not queued twice; errors and blocklist replays of
    an earlier takedown are not queued (already decided by a person)."""
    if rec.status == "refused":
        direction, reason, text = "input", "refused", rec.prompt
    elif rec.status == "cut":
        if rec.output_action == "block" and any(r.get("id") == "blocklist" for r in rec.risks):
            return None
        direction, reason, text = "output", "cut" if rec.stream else "refused", rec.withheld or rec.output
    else:
        return None
    if any(d == direction for d, _, _ in rec.review):
        return None
    return direction, reason, text


class RecordWriter:
    def __init__(self, db: Database, keys: KeyRing, content_days: int) -> None:
        self.db = db
        self.keys = keys
        self.content_days = content_days

    def write(self, rec: PendingRecord, also: Callable[[Session], None] | None = None) -> str:
        """Insert the record, its sealed content and any review items in one transaction.

        ``also`` runs in the same transaction (e.g. the repeat-violator rule), so the request
        costs one commit. The two rows every request writes go in as Core INSERTs (cached
        compiled statements), which costs a fraction of the ORM unit of work on this hot path.
        """
        rid = new_id()
        now = utcnow()
        with self.db.session() as s:
            s.execute(_RECORD_INSERT, {
                "id": rid, "request_id": rec.request_id, "content_id": rec.content_id, "user_id": rec.user_id,
                "app_id": rec.app_id, "endpoint": rec.endpoint, "model": rec.model, "stream": rec.stream,
                "status": rec.status, "input_action": rec.input_action, "output_action": rec.output_action,
                "risks": rec.risks, "decided_by": rec.decided_by, "error_code": rec.error_code,
                "prompt_chars": len(rec.prompt), "output_chars": len(rec.output), "upstream_ms": rec.upstream_ms,
                "total_ms": rec.total_ms, "label": rec.label, "taken_down_at": None, "created_at": now,
                "test_channel_id": rec.test_channel_id, "safety_off": rec.safety_off,
                "notice": rec.notice, "consent_id": rec.consent_id})
            if rec.prompt or rec.output:
                aad = rid.encode()
                s.execute(_CONTENT_INSERT, {
                    "record_id": rid, "user_id": rec.user_id,
                    "prompt_enc": self.keys.seal(rec.prompt, aad) if rec.prompt else None,
                    "output_enc": self.keys.seal(rec.output, aad) if rec.output else None,
                    "training_allowed": rec.training_allowed,
                    "expires_at": now + dt.timedelta(days=self.content_days)})
            for direction, risks, text in rec.review:
                s.add(ReviewItem(record_id=rid, user_id=rec.user_id, direction=direction, risks=risks,
                                 text_enc=self.keys.seal(text, b"review")))
            if (queued := stopped_item(rec)) is not None:  # refusals and cuts are reviewable too (DS Art 10)
                direction, reason, text = queued
                s.add(ReviewItem(record_id=rid, user_id=rec.user_id, direction=direction, reason=reason,
                                 risks=[r for r in rec.risks if r.get("direction", direction) == direction],
                                 text_enc=self.keys.seal(text, b"review")))
            if rec.withheld:  # already decided by the gateway: kept, not queued
                s.add(ReviewItem(record_id=rid, user_id=rec.user_id, direction="output", status="blocked",
                                 reason="cut" if rec.stream else "refused",
                                 risks=[r for r in rec.risks if r.get("direction") != "input"],
                                 text_enc=self.keys.seal(rec.withheld, b"review"), decided_by=WITHHELD_BY,
                                 decided_at=now, note=WITHHELD_NOTE))
            if also is not None:
                also(s)
        return rid

    def read_content(self, content: UsageContent) -> tuple[str, str]:
        aad = content.record_id.encode()
        prompt = self.keys.unseal(content.prompt_enc, aad).decode() if content.prompt_enc else ""
        output = self.keys.unseal(content.output_enc, aad).decode() if content.output_enc else ""
        return prompt, output
