"""Tables for the likeness duty (Deep Synthesis Provisions Arts 14, 17; PIPL Arts 28–29):
separate consents to edit or synthesise a person's face or voice, and the registry of protected
voices and faces.

Biometric information is sensitive personal information (PIPL Art 28): names, reference samples and
embeddings are stored only as AES-GCM ciphertext (``hegui.identity.crypto``); a subject is found by
a keyed HMAC of the operator's subject reference, never by the clear value.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.storage.base import Base, new_id, utcnow


class LikenessConsent(Base):
    """The separate consent of the person whose face or voice is edited or synthesised (DS Art 14(2);
    PIPL Art 29). For a deceased person: a close relative's consent (Civil Code Art 994), ``party``
    says who gave it. Checked before generation, linked from the usage record, revocable with effect."""

    __tablename__ = "likeness_consents"
    __table_args__ = (Index("ix_likeness_consent_subject", "subject_hmac", "kind"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    app_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)  # None: any app
    user_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)  # None: any user of the app
    kind: Mapped[str] = mapped_column(String(8))  # voice | face
    uses: Mapped[list] = mapped_column(JSON, default=list)  # voice_clone | face_swap | face_edit | tts_voice …
    subject_hmac: Mapped[str] = mapped_column(String(64))  # HMAC of the operator's subject reference
    subject_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    deceased: Mapped[bool] = mapped_column(Boolean, default=False)
    party: Mapped[str] = mapped_column(String(16), default="subject")  # subject | relative (deceased)
    relation: Mapped[str | None] = mapped_column(String(32), default=None)  # spouse | child | parent | …
    method: Mapped[str] = mapped_column(String(24))  # signed_upload | in_app_confirmation
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), default=None)  # the signed document
    evidence_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # the subject's enrolled reference (embedding, encrypted): a request's reference must match it
    reference_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    likeness_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)  # a protected entry
    valid_from: Mapped[dt.datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProtectedLikeness(Base):
    """A voice or portrait that operators or rights holders registered for protection: synthesis
    whose reference or output matches it is blocked unless a consent for it is in force."""

    __tablename__ = "protected_likenesses"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8), index=True)  # voice | face
    label_enc: Mapped[bytes] = mapped_column(LargeBinary)  # who this is (encrypted)
    holder: Mapped[str] = mapped_column(String(200))  # the rights holder or operator who registered it
    subject_hmac: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    encoder: Mapped[str] = mapped_column(String(64))  # model id + version of the embedding
    embedding_enc: Mapped[bytes] = mapped_column(LargeBinary)  # float32 vector, encrypted
    sample_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # reference sample, encrypted
    sample_sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
