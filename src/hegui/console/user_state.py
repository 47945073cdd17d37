"""One end user's compliance state, as the console's user page shows it.

Real identity (Deep Synthesis Provisions Art 9), the agreement accepted (Interim Measures Art 9),
minor mode and guardian consent (Interim Measures Art 10; PIPL Art 31), training opt-out
(TC260-003 7c), sanctions (Interim Measures Art 14) and recent use (GB/T 45654 7 e, the usage log).
Everything is read from stored rows; masked identifiers only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hegui.cases import sanctions
from hegui.identity.agreement import Agreement
from hegui.identity.minors import is_minor
from hegui.storage.base import utcnow
from hegui.storage.models import EndUser, UsageRecord

#: the window of the "recent requests" counts
RECENT_DAYS = 30


@dataclass(frozen=True)
class UserState:
    verified_by: str | None
    verified_at: dt.datetime | None
    agreement_version: str | None
    agreement_accepted_at: dt.datetime | None
    agreement_current: bool  # the version and text accepted are the ones served now
    age_confirmed: bool  # an identity check established the age (a mobile number does not)
    minor: bool  # under 18 today, or age unknown (minor mode applies until an adult is confirmed)
    adult_on: dt.date | None
    guardian_needed: bool  # under 14 (PIPL Art 31): no use without a recorded consent
    guardian_consent_at: dt.datetime | None
    training_opt_out: bool
    processing_stopped: bool
    active_sanctions: int
    requests: int  # in the last RECENT_DAYS days
    refused: int  # of those, refused or cut
    last_request_at: dt.datetime | None


def user_state(s: Session, user: EndUser, agreement: Agreement, today: dt.date | None = None,
               now: dt.datetime | None = None) -> UserState:
    """The user's state now; the request counts use the (user_id, created_at) index."""
    today, now = today or dt.date.today(), now or utcnow()
    person = user.kind == "person"
    confirmed = user.adult_on is not None
    since = now - dt.timedelta(days=RECENT_DAYS)
    recent = (UsageRecord.user_id == user.id, UsageRecord.created_at >= since)
    requests = s.scalar(select(func.count()).select_from(UsageRecord).where(*recent)) or 0
    refused = s.scalar(select(func.count()).select_from(UsageRecord).where(
        *recent, UsageRecord.status.in_(("refused", "cut")))) or 0
    last = s.scalar(select(func.max(UsageRecord.created_at)).where(UsageRecord.user_id == user.id))
    return UserState(
        verified_by=user.verified_by, verified_at=user.verified_at,
        agreement_version=user.agreement_version, agreement_accepted_at=user.agreement_accepted_at,
        agreement_current=(user.agreement_version == agreement.version and user.agreement_hash == agreement.text_hash),
        age_confirmed=confirmed, minor=person and (not confirmed or is_minor(user.adult_on, today)),
        adult_on=user.adult_on,
        guardian_needed=person and user.age14_on is not None and today < user.age14_on,
        guardian_consent_at=user.guardian_consent_at,
        training_opt_out=user.training_opt_out, processing_stopped=user.processing_stopped,
        active_sanctions=len(sanctions.active(s, user.id, now)),
        requests=requests, refused=refused, last_request_at=last)
