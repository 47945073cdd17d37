"""The registry of protected voices and faces (Deep Synthesis Provisions Art 14; PIPL Arts 28–29):
operators and rights holders register a reference sample; every synthesis reference and output is
compared with it (speaker / face embeddings) and blocked above a calibrated threshold unless a
consent is in force (the gateway checks the consent for the ``likeness_id`` returned here).

Samples, labels and embeddings are stored only as AES-GCM ciphertext bound to the row id; the
decrypted embeddings are cached per process and refreshed when the table changes. A kind whose
encoder is missing or altered is *degraded*: ``match`` raises :class:`LikenessModelUnavailable`
(fail closed) instead of answering "no match".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml
from sqlalchemy import func, select

from hegui.errors import ConfigError, NotFound, ValidationFailed
from hegui.identity.crypto import KeyRing
from hegui.likeness.modelfile import LikenessInputUnreadable, LikenessModelUnavailable
from hegui.likeness.models import ProtectedLikeness
from hegui.likeness.protocols import Match
from hegui.records import audit
from hegui.storage.base import new_id, utcnow

KINDS = ("voice", "face")
MAX_SAMPLE_BYTES = 25 * 1024 * 1024
#: shorter references give unstable embeddings (bench: 1.4 s natural clips score 0.68–0.89 against
#: each other, ~5.5 s halves 0.88–0.95), so enrolment asks for at least this much audio
MIN_VOICE_SECONDS = 3.0
THRESHOLDS_FILE = Path(__file__).resolve().parents[1] / "data" / "likeness" / "thresholds.yaml"
SUBJECT_PURPOSE = "likeness_subject"


class _Speaker(Protocol):
    encoder_id: str

    def embed_file(self, data: bytes) -> np.ndarray: ...


class _Face(Protocol):
    encoder_id: str

    def embed_faces(self, image_bytes: bytes) -> list[Any]: ...


@dataclass(frozen=True)
class Thresholds:
    """Cosine operating points per kind (policy as data: ``data/likeness/thresholds.yaml``)."""

    voice: float
    face: float
    source: str = ""

    @classmethod
    def load(cls, path: Path | str | None = None) -> Thresholds:
        where = Path(path) if path is not None else THRESHOLDS_FILE
        try:
            doc = yaml.safe_load(where.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(detail=f"{where}{line}: {exc}") from exc
        values = {}
        for kind in KINDS:
            entry = doc.get(kind) if isinstance(doc, dict) else None
            value = entry.get("threshold") if isinstance(entry, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1.0 < float(value) < 1.0:
                raise ConfigError(detail=f"{where}: {kind}.threshold must be a number in (-1, 1) "
                                  f"/ {kind}.threshold 须为 (-1, 1) 之间的数")
            values[kind] = float(value)
        return cls(voice=values["voice"], face=values["face"], source=str(where))

    def of(self, kind: str) -> float:
        return self.voice if kind == "voice" else self.face


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationFailed(detail=f"kind must be voice or face, not {kind[:20]!r} / 类型须为 voice 或 face")


def _aad(entry_id: str, field: str) -> bytes:
    return f"hegui/likeness/{entry_id}/{field}".encode()


class LikenessRegistry:
    """Register, remove, list and match protected voices and faces (the ``ProtectedMatcher``)."""

    def __init__(self, db: Any, keys: KeyRing, speaker: _Speaker | None, face: _Face | None,
                 thresholds: Thresholds | None = None, *, degraded: dict[str, str] | None = None) -> None:
        self.db = db
        self.keys = keys
        self.speaker = speaker
        self.face = face
        self.thresholds = thresholds or Thresholds.load()
        self.degraded: dict[str, str] = dict(degraded or {})
        for kind, enc in (("voice", speaker), ("face", face)):
            if enc is None and kind not in self.degraded:
                self.degraded[kind] = "encoder not loaded / 未加载比对模型"
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Any, list[str], np.ndarray]] = {}

    @classmethod
    def open(cls, db: Any, keys: KeyRing, thresholds: Thresholds | None = None) -> LikenessRegistry:
        """Load both encoders; one that fails leaves its kind degraded (reason kept, bilingual)."""
        from hegui.likeness.face import FaceEncoder
        from hegui.likeness.speaker import SpeakerEncoder

        degraded: dict[str, str] = {}
        speaker: Any = None
        face: Any = None
        try:
            speaker = SpeakerEncoder.load()
        except LikenessModelUnavailable as exc:
            degraded["voice"] = exc.bilingual()
        try:
            face = FaceEncoder.load()
        except LikenessModelUnavailable as exc:
            degraded["face"] = exc.bilingual()
        return cls(db, keys, speaker, face, thresholds, degraded=degraded)

    # --- embeddings ---------------------------------------------------------------------------
    def _encoder(self, kind: str) -> Any:
        _check_kind(kind)
        enc = self.speaker if kind == "voice" else self.face
        if enc is None or kind in self.degraded:
            raise LikenessModelUnavailable(model=kind, detail=self.degraded.get(kind, "not loaded"))
        return enc

    def embeddings(self, kind: str, data: bytes) -> list[np.ndarray]:
        """Every embedding in a sample: one per voice clip, one per detected face."""
        enc = self._encoder(kind)
        if not data or len(data) > MAX_SAMPLE_BYTES:
            raise LikenessInputUnreadable(detail=f"sample must be 1 byte to {MAX_SAMPLE_BYTES >> 20} MiB "
                                          f"/ 样本大小须在 1 字节到 {MAX_SAMPLE_BYTES >> 20} MiB 之间")
        if kind == "voice":
            return [np.asarray(enc.embed_file(data), dtype=np.float32)]
        return [np.asarray(f.vector, dtype=np.float32) for f in enc.embed_faces(data)]

    # --- writes -------------------------------------------------------------------------------
    def register(self, kind: str, data: bytes, label: str, holder: str, actor: str,
                 subject_ref: str | None = None) -> ProtectedLikeness:
        """Enrol a reference sample (the detector's most confident face, or the whole voice clip);
        sample, label and embedding are sealed at rest, the subject reference kept as an HMAC."""
        found = self.embeddings(kind, data)
        if not found:
            raise LikenessInputUnreadable(detail="no face found in the portrait / 肖像中未检测到人脸")
        if not label.strip() or not holder.strip() or len(label) > 200 or len(holder) > 200:
            raise ValidationFailed(detail="label and holder are required (≤ 200 chars) / 须填写名称与权利人（≤200 字）")
        if kind == "voice" and len(data) and self._too_short(data):
            raise LikenessInputUnreadable(detail=f"a reference voice needs at least {MIN_VOICE_SECONDS:.0f} s of audio "
                                          f"/ 参考声音样本至少需要 {MIN_VOICE_SECONDS:.0f} 秒")
        vector = found[0]
        entry_id = new_id()
        enc = self._encoder(kind)
        row = ProtectedLikeness(
            id=entry_id, kind=kind, label_enc=self.keys.seal(label, _aad(entry_id, "label")),
            holder=holder.strip(), encoder=enc.encoder_id,
            subject_hmac=self.keys.pseudonym(subject_ref, SUBJECT_PURPOSE) if subject_ref else None,
            embedding_enc=self.keys.seal(vector.astype("<f4").tobytes(), _aad(entry_id, "embedding")),
            sample_enc=self.keys.seal(data, _aad(entry_id, "sample")),
            sample_sha256=hashlib.sha256(data).hexdigest(), active=True, recorded_by=actor[:120])
        with self.db.session() as s:
            s.add(row)
            s.flush()
            audit.append(s, actor, "likeness.registered", f"likeness:{entry_id}",
                         {"kind": kind, "holder": row.holder, "encoder": row.encoder,
                          "sample_sha256": row.sample_sha256, "subject": bool(subject_ref)})
            s.expunge(row)
        self._invalidate(kind)
        return row

    def remove(self, likeness_id: str, actor: str) -> ProtectedLikeness:
        """Deactivate an entry (kept for the record, no longer matched)."""
        with self.db.session() as s:
            row = s.get(ProtectedLikeness, likeness_id)
            if row is None:
                raise NotFound(detail=f"protected likeness {likeness_id[:40]} / 受保护条目")
            if row.active:
                row.active = False
                row.removed_at = utcnow()
                audit.append(s, actor, "likeness.removed", f"likeness:{row.id}", {"kind": row.kind})
            s.flush()
            s.expunge(row)
        self._invalidate(row.kind)
        return row

    @staticmethod
    def _too_short(data: bytes) -> bool:
        from hegui.likeness.speaker import SAMPLE_RATE, decode_audio

        return len(decode_audio(data)) < MIN_VOICE_SECONDS * SAMPLE_RATE

    # --- reads --------------------------------------------------------------------------------
    def list(self, kind: str | None = None, *, include_removed: bool = False) -> list[ProtectedLikeness]:
        with self.db.session() as s:
            q = select(ProtectedLikeness).order_by(ProtectedLikeness.created_at)
            if kind is not None:
                _check_kind(kind)
                q = q.where(ProtectedLikeness.kind == kind)
            if not include_removed:
                q = q.where(ProtectedLikeness.active.is_(True))
            rows = list(s.scalars(q))
            for r in rows:
                s.expunge(r)
            return rows

    def label(self, row: ProtectedLikeness) -> str:
        return self.keys.unseal(row.label_enc, _aad(row.id, "label")).decode()

    def sample(self, row: ProtectedLikeness) -> bytes | None:
        return None if row.sample_enc is None else self.keys.unseal(row.sample_enc, _aad(row.id, "sample"))

    def match(self, kind: str, data: bytes) -> Match | None:
        """Best cosine of ``data`` against the active entries of ``kind``, when at or above the
        calibrated threshold. Degraded kind or an undecodable sample raises (fail closed)."""
        enc = self._encoder(kind)
        ids, matrix = self._active(kind, enc.encoder_id)
        if not ids:
            return None
        found = self.embeddings(kind, data)
        if not found:
            return None  # no face in the image: nothing to protect
        scores = np.stack(found) @ matrix.T  # (faces, entries)
        flat = int(np.argmax(scores))
        best = float(scores.flat[flat])
        threshold = self.thresholds.of(kind)
        if best < threshold:
            return None
        return Match(likeness_id=ids[flat % len(ids)], kind=kind, score=round(best, 4), threshold=threshold)

    # --- cache --------------------------------------------------------------------------------
    def _invalidate(self, kind: str) -> None:
        with self._lock:
            self._cache.pop(kind, None)

    def _fingerprint(self, kind: str) -> tuple[Any, ...]:
        with self.db.session() as s:
            row = s.execute(select(func.count(), func.max(ProtectedLikeness.created_at),
                                   func.max(ProtectedLikeness.removed_at))
                            .where(ProtectedLikeness.kind == kind)).one()
            active = s.scalar(select(func.count()).where(ProtectedLikeness.kind == kind,
                                                         ProtectedLikeness.active.is_(True)))
        return (row[0], _iso(row[1]), _iso(row[2]), active)

    def _active(self, kind: str, encoder_id: str) -> tuple[list[str], np.ndarray]:
        """Decrypted embeddings of active entries, cached until another process or call changes them."""
        fingerprint = self._fingerprint(kind)
        with self._lock:
            cached = self._cache.get(kind)
            if cached is not None and cached[0] == fingerprint:
                return cached[1], cached[2]
        ids: list[str] = []
        vectors: list[np.ndarray] = []
        for row in self.list(kind):
            if row.encoder != encoder_id:
                raise LikenessModelUnavailable(
                    model=encoder_id, detail=f"entry {row.id} was enrolled with {row.encoder}; re-register it "
                    f"/ 条目 {row.id} 由 {row.encoder} 登记，请重新登记")
            raw = self.keys.unseal(row.embedding_enc, _aad(row.id, "embedding"))
            ids.append(row.id)
            vectors.append(np.frombuffer(raw, dtype="<f4").astype(np.float32))
        matrix = np.stack(vectors) if vectors else np.zeros((0, 1), np.float32)
        with self._lock:
            self._cache[kind] = (fingerprint, ids, matrix)
        return ids, matrix


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class LazyMatcher:
    """The registry as the gateway's :class:`~hegui.likeness.protocols.ProtectedMatcher` (DS Art 14):
    the encoders load, once per process, on the first request that has an active entry of its kind
    to compare against — an empty registry costs one ``COUNT``. Loading or matching failures raise,
    so the caller refuses the request (fail closed)."""

    def __init__(self, db: Any, keys: KeyRing, thresholds: Thresholds | None = None) -> None:
        self.db, self.keys, self.thresholds = db, keys, thresholds
        self._lock = threading.Lock()
        self._registry: LikenessRegistry | None = None

    def registry(self) -> LikenessRegistry:
        with self._lock:
            if self._registry is None:
                self._registry = LikenessRegistry.open(self.db, self.keys, self.thresholds)
            return self._registry

    def similarity(self, kind: str, data: bytes, enrolled: bytes) -> tuple[float, float]:
        """``(best cosine of data's voice or faces with the enrolled float32 embedding, threshold)``
        — whether a request's sample is the person a consent enrolled (DS Art 14(2)); -1 when the
        sample holds no face. Raises when it cannot judge (the caller fails closed)."""
        reg = self.registry()
        ref = np.frombuffer(enrolled, dtype=np.float32)
        found = reg.embeddings(kind, data)
        if any(v.shape != ref.shape for v in found):
            raise LikenessModelUnavailable(model=kind, detail=f"enrolled embedding has {ref.size} values, the "
                                           f"encoder gives {found[0].size} / 登记的特征维度与模型不符")
        ref = ref / (float(np.linalg.norm(ref)) or 1.0)
        best = max((float(v @ ref) for v in found), default=-1.0)
        return best, reg.thresholds.of(kind)

    def enrol(self, kind: str, data: bytes) -> bytes:
        """The float32 embedding of a sample with exactly one voice or face (a consent's reference)."""
        found = self.registry().embeddings(kind, data)
        if len(found) != 1:
            raise ValidationFailed(message_en=f"the reference sample must hold exactly one {kind}, found {len(found)}",
                                   message_zh=f"参考样本须恰含一个{'人声' if kind == 'voice' else '人脸'}，实际 {len(found)} 个")
        return np.asarray(found[0], dtype=np.float32).tobytes()

    def match(self, kind: str, data: bytes) -> Match | None:
        _check_kind(kind)
        with self.db.session() as s:
            active = s.scalar(select(func.count()).where(ProtectedLikeness.kind == kind,
                                                         ProtectedLikeness.active.is_(True)))
        return self.registry().match(kind, data) if active else None
