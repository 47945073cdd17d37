"""Tables of the provenance duty (issue 15).

``provenance_records``: one per generated output, linked by content ID, its creative inputs sealed
(AES-GCM, ``hegui.identity.crypto.KeyRing``), hash-chained per user so a removed or altered entry is
seen; kept as long as the user chooses (apart from the content retention of Interim Measures Art 11).
``protected_works``: operators' register of others' protected works (texts, images) that outputs
must not reproduce (draft AIGC Regulation Arts 4–5, 15). ``output_fingerprints``: perceptual and
MinHash fingerprints of our labelled outputs, for finding copies of them. ``copy_findings``: an output
that matched a protected work (takedown-style record).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.storage.base import Base, new_id, utcnow


class ProvenanceRecord(Base):
    """How one output was made: model, upstream, prompts, negative prompts, parameters (sealed in
    ``inputs_enc`` as JSON), the output it derives from and the edit, the user's selection."""

    __tablename__ = "provenance_records"
    __table_args__ = (Index("ix_provenance_user_seq", "user_id", "seq", unique=True),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    content_id: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str | None] = mapped_column(String(32), default=None)
    request_id: Mapped[str] = mapped_column(String(40))
    endpoint: Mapped[str] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(120), default=None)
    upstream: Mapped[str | None] = mapped_column(String(120), default=None)
    inputs_enc: Mapped[bytes] = mapped_column(LargeBinary)  # sealed JSON: prompts, negative prompts, parameters
    inputs_sha256: Mapped[str] = mapped_column(String(64))  # of the canonical JSON before sealing
    output_sha256: Mapped[str] = mapped_column(String(64))  # of the labelled output as delivered
    parent_content_id: Mapped[str | None] = mapped_column(String(40), index=True, default=None)
    selected_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    seq: Mapped[int] = mapped_column(Integer)  # position in the user's chain, from 1
    prev_hash: Mapped[str] = mapped_column(String(64))  # the user's previous entry_hash ("0" * 64 first)
    entry_hash: Mapped[str] = mapped_column(String(64))
    keep_until: Mapped[dt.datetime | None] = mapped_column(default=None)  # None: until the user deletes it
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)  # inputs erased; the chain entry stays


class ProtectedWork(Base):
    """A protected work of others (or of a rights holder) that outputs must not copy."""

    __tablename__ = "protected_works"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8), index=True)  # text | image
    title: Mapped[str] = mapped_column(String(300))
    holder: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    length: Mapped[int] = mapped_column(Integer, default=0)  # characters (text) or pixels (image)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # packed uint32 signature (text)
    ngrams: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # sorted uint64 n-gram hashes (text)
    phash: Mapped[str | None] = mapped_column(String(64), default=None)  # perceptual hash, hex (image)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class OutputFingerprint(Base):
    """Fingerprints of one labelled output, to find copies of it later."""

    __tablename__ = "output_fingerprints"
    content_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)  # text | image | audio
    phash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class CopyFinding(Base):
    """An output (or a request) that reproduced a protected work: what matched, how, what was done."""

    __tablename__ = "copy_findings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    content_id: Mapped[str | None] = mapped_column(String(40), index=True, default=None)
    request_id: Mapped[str | None] = mapped_column(String(40), default=None)
    work_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # text | image
    method: Mapped[str] = mapped_column(String(16))  # ngram | minhash | phash
    score: Mapped[float] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(16))  # blocked | flagged
    detail: Mapped[str | None] = mapped_column(Text, default=None)  # no content: lengths, spans
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
