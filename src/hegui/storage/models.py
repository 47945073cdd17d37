"""Core tables: applications, end users, usage records, audit log, admins, review queue.

Personal information is minimised (PIPL Arts 6, 28): phone and ID numbers are kept as a keyed
HMAC plus a masked form; full values only as AES-GCM ciphertext when the operator enables it.
Prompt and output text live in ``usage_content`` with their own, shorter retention
(Interim Measures Art 11), apart from the usage log kept ≥ 6 months (CSL).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from hegui.storage.base import Base, new_id, utcnow


class App(Base):
    """A client application of the provider (authenticates with API keys)."""

    __tablename__ = "apps"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)  # shown to admins, e.g. "hg-AbC123"
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA256 of the key
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class TestChannel(Base):
    """A regulator test channel (large-model filing, security-requirements §9): its own app, one
    API key and one test end user; ``safety`` off means moderation is bypassed for its requests.
    Always expiring; revocable; every step is in the audit log."""

    __tablename__ = "test_channels"
    __test__ = False  # not a pytest class
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="regulator-test")
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[str | None] = mapped_column(String(32), default=None)  # the test end user
    safety: Mapped[bool] = mapped_column(Boolean)  # True: the service as users meet it
    allow_ips: Mapped[list] = mapped_column(JSON, default=list)  # CIDR list; empty = any address
    note: Mapped[str] = mapped_column(Text, default="")
    issued_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(120), default=None)
    first_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    expiry_noted_at: Mapped[dt.datetime | None] = mapped_column(default=None)  # "expired" audited


class EndUser(Base):
    """An end user of a client app; ``external_id`` is the request's ``user`` field."""

    __tablename__ = "end_users"
    __table_args__ = (Index("uq_end_users_app_external", "app_id", "external_id", unique=True),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default="person")  # person | organisation
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | verified | deleted
    verified_by: Mapped[str | None] = mapped_column(String(32), default=None)  # mobile | id_card | uscc | national_id
    verified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    phone_hmac: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    phone_masked: Mapped[str | None] = mapped_column(String(20), default=None)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    id_hmac: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    id_masked: Mapped[str | None] = mapped_column(String(24), default=None)
    id_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # the verified person behind the account (verified_identities.ref): sanctions, minor status
    # and the per-person account cap follow the person, not the account
    identity_ref: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    uscc: Mapped[str | None] = mapped_column(String(18), default=None)  # organisations' code is public
    adult_on: Mapped[dt.date | None] = mapped_column(Date, default=None)  # 18th birthday
    age14_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    age16_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    guardian_consent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    guardian_ref: Mapped[str | None] = mapped_column(String(64), default=None)  # HMAC of guardian's ID
    agreement_version: Mapped[str | None] = mapped_column(String(32), default=None)
    agreement_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    agreement_accepted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    training_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    processing_stopped: Mapped[bool] = mapped_column(Boolean, default=False)  # consent withdrawn
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OtpChallenge(Base):
    __tablename__ = "otp_challenges"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"), index=True)
    phone_hmac: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class AgreementAcceptance(Base):
    """Every acceptance of a service-agreement version (Interim Measures Art 9)."""

    __tablename__ = "agreement_acceptances"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    text_hash: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UsageRecord(Base):
    """One row per gateway request, success or failure (CSL network log, ≥ 6 months)."""

    __tablename__ = "usage_records"
    # ix_usage_created_id: the console's keyset paging on (created_at, id) and time-range scans;
    # ix_usage_status_time: the dashboard's rates per day
    __table_args__ = (Index("ix_usage_user_time", "user_id", "created_at"),
                      Index("ix_usage_created_id", "created_at", "id"),
                      Index("ix_usage_status_time", "status", "created_at"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(String(40), index=True)
    content_id: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    user_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    app_id: Mapped[str | None] = mapped_column(String(32), default=None)
    endpoint: Mapped[str] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(120), default=None)
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # ok | refused | cut | error
    input_action: Mapped[str | None] = mapped_column(String(12), default=None)
    output_action: Mapped[str | None] = mapped_column(String(12), default=None)
    risks: Mapped[list] = mapped_column(JSON, default=list)
    decided_by: Mapped[str | None] = mapped_column(String(120), default=None)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    prompt_chars: Mapped[int] = mapped_column(Integer, default=0)
    output_chars: Mapped[int] = mapped_column(Integer, default=0)
    upstream_ms: Mapped[float | None] = mapped_column(default=None)
    total_ms: Mapped[float | None] = mapped_column(default=None)
    label: Mapped[str | None] = mapped_column(String(40), default=None)  # explicit label form applied
    # a request through a regulator test channel (security-requirements §9): its id, and whether
    # moderation was bypassed (safety off); labels and this record are never bypassed
    test_channel_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    safety_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    taken_down_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # an anti-dependence reminder went with the answer (Interim Measures Art 10): "reminder"
    notice: Mapped[str | None] = mapped_column(String(16), default=None)
    # the likeness consent a face or voice synthesis relied on (Deep Synthesis Art 14(2))
    consent_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UsageContent(Base):
    """Encrypted prompt and output text, separate table and retention (Interim Measures Art 11)."""

    __tablename__ = "usage_content"
    record_id: Mapped[str] = mapped_column(ForeignKey("usage_records.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    prompt_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    output_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    training_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """Append-only, hash-chained log of administrative and enforcement actions."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AdminUser(Base):
    __tablename__ = "admin_users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    role: Mapped[str] = mapped_column(String(16))  # admin | reviewer | auditor
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReviewItem(Base):
    """A decision for a human reviewer (DS Art 10: technical or manual review): a ``flag`` verdict,
    or a refused input/output or a cut stream (``reason``), linked to its usage record."""

    __tablename__ = "review_queue"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    record_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    user_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    direction: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16), default="flag", server_default="flag")  # flag|refused|cut
    risks: Mapped[list] = mapped_column(JSON, default=list)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|approved|blocked
    decided_by: Mapped[str | None] = mapped_column(String(80), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VerifiedIdentity(Base):
    """A person confirmed by an identity verifier, named by a keyed HMAC of the normalised ID
    number (key outside the database, PIPL Art 51). Holds only the age marks the rules need."""

    __tablename__ = "verified_identities"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # id_card | national_id
    verifier: Mapped[str] = mapped_column(String(60))  # which verifier confirmed it
    adult_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    age14_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    age16_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_verified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RateCounter(Base):
    """Fixed-window event counter with an optional lockout, shared by every gateway process."""

    __tablename__ = "rate_counters"
    bucket: Mapped[str] = mapped_column(String(120), primary_key=True)  # rule:pseudonym of the subject
    window_start: Mapped[int] = mapped_column(BigInteger)  # epoch seconds
    count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[int] = mapped_column(BigInteger, default=0, index=True)  # epoch seconds


class ConsoleSession(Base):
    """A server-side console session; the cookie holds a random token, this row its SHA-256."""

    __tablename__ = "console_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[str] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
