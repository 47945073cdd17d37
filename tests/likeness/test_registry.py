"""The registry of protected voices and faces (Deep Synthesis Provisions Art 14; PIPL Art 28):
register → match blocks; removed → no match; samples stored as ciphertext; fail closed."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from sqlalchemy import select

from hegui.likeness.face import FaceEncoder
from hegui.likeness.modelfile import LikenessInputUnreadable, LikenessModelUnavailable
from hegui.likeness.models import ProtectedLikeness
from hegui.likeness.protocols import Match, ProtectedMatcher
from hegui.likeness.registry import LikenessRegistry, Thresholds
from hegui.likeness.speaker import SpeakerEncoder
from hegui.storage.models import AuditEntry

PORTRAIT = Path(__file__).resolve().parents[1] / "data" / "likeness" / "astronaut_collins.jpg"


@pytest.fixture(scope="module")
def encoders() -> tuple[SpeakerEncoder, FaceEncoder]:
    return SpeakerEncoder.load(), FaceEncoder.load()


@pytest.fixture
def services(make_services):  # noqa: ANN001, ANN201
    return make_services()


def _registry(services, encoders, **kw) -> LikenessRegistry:  # noqa: ANN001
    return LikenessRegistry(services.db, services.keys, encoders[0], encoders[1], Thresholds.load(), **kw)


def _say(tmp: Path, voice: str, text: str) -> bytes:
    out = tmp / f"{voice.replace('+', '_')}_{len(text)}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True, capture_output=True)
    return out.read_bytes()


def _mirrored_jpeg() -> bytes:
    buf = io.BytesIO()
    ImageOps.mirror(Image.open(PORTRAIT).convert("RGB")).save(buf, "JPEG", quality=50)
    return buf.getvalue()


def test_a_registered_portrait_blocks_and_removal_lifts_it(services, encoders) -> None:  # noqa: ANN001
    reg = _registry(services, encoders)
    matcher: ProtectedMatcher = reg  # the protocol the gateway calls
    assert callable(matcher.match)
    assert reg.match("face", _mirrored_jpeg()) is None  # nothing registered yet
    data = PORTRAIT.read_bytes()
    row = reg.register("face", data, "Eileen Collins 柯林斯", "NASA", "admin:alice", subject_ref="subj-1")
    found = reg.match("face", _mirrored_jpeg())
    assert isinstance(found, Match) and found.likeness_id == row.id and found.kind == "face"
    assert found.score >= found.threshold == Thresholds.load().face
    # a face-free image does not match; an unreadable one is an error, not a silent pass
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (20, 120, 200)).save(buf, "PNG")
    assert reg.match("face", buf.getvalue()) is None
    with pytest.raises(LikenessInputUnreadable):
        reg.match("face", b"garbage")
    reg.remove(row.id, "admin:alice")
    assert reg.match("face", _mirrored_jpeg()) is None
    assert [r.id for r in reg.list("face", include_removed=True)] == [row.id] and reg.list("face") == []
    with services.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert "likeness.registered" in actions and "likeness.removed" in actions


def test_samples_labels_and_embeddings_are_stored_only_as_ciphertext(services, encoders) -> None:  # noqa: ANN001
    reg = _registry(services, encoders)
    data = PORTRAIT.read_bytes()
    row = reg.register("face", data, "Eileen Collins", "NASA", "admin:alice", subject_ref="subj-1")
    with services.db.session() as s:
        stored = s.get(ProtectedLikeness, row.id)
        assert stored is not None
        assert stored.sample_enc is not None and data[:64] not in stored.sample_enc and len(stored.sample_enc) > len(data)
        assert b"Eileen" not in stored.label_enc and stored.subject_hmac != "subj-1" and len(stored.subject_hmac) == 64
        assert len(stored.embedding_enc) == 12 + 128 * 4 + 16  # nonce + float32 vector + tag
        assert stored.sample_sha256 == __import__("hashlib").sha256(data).hexdigest()
    assert reg.sample(row) == data and reg.label(row) == "Eileen Collins"
    # the ciphertext is bound to its row: swapping two rows' embeddings does not decrypt
    with pytest.raises(Exception):
        services.keys.unseal(row.embedding_enc, f"hegui/likeness/{'0' * 32}/embedding".encode())


def test_another_process_sees_changes(services, encoders) -> None:  # noqa: ANN001
    first, second = _registry(services, encoders), _registry(services, encoders)
    assert second.match("face", _mirrored_jpeg()) is None  # caches the empty registry
    row = first.register("face", PORTRAIT.read_bytes(), "Collins", "NASA", "admin:a")
    assert second.match("face", _mirrored_jpeg()) is not None
    first.remove(row.id, "admin:a")
    assert second.match("face", _mirrored_jpeg()) is None


def test_a_registered_voice_blocks_the_same_voice_only(services, encoders, tmp_path: Path) -> None:  # noqa: ANN001
    reg = _registry(services, encoders)
    row = reg.register("voice", _say(tmp_path, "en+m3", "Please call Stella and ask her to bring these things "
                                     "with her from the store."), "Speaker M3", "voice actor's agent", "admin:a")
    same = reg.match("voice", _say(tmp_path, "en+m3", "We will meet at the station at half past seven and take "
                                   "the early train north."))
    assert same is not None and same.likeness_id == row.id
    assert reg.match("voice", _say(tmp_path, "en+f4", "We will meet at the station at half past seven and "
                                   "take the early train north.")) is None
    with pytest.raises(LikenessInputUnreadable, match="at least 3 s"):
        reg.register("voice", _say(tmp_path, "en+m3", "Hello there."), "Short", "agent", "admin:a")


def test_a_degraded_kind_fails_closed(services, encoders) -> None:  # noqa: ANN001
    reg = LikenessRegistry(services.db, services.keys, None, encoders[1], Thresholds.load(),
                           degraded={"voice": "model altered / 模型被改动"})
    with pytest.raises(LikenessModelUnavailable) as err:
        reg.match("voice", b"RIFF....")
    assert "模型被改动" in err.value.message("zh")
    assert reg.degraded == {"voice": "model altered / 模型被改动"}
    with pytest.raises(Exception, match="voice or face"):
        reg.match("fingerprint", b"x")


def test_an_entry_from_another_encoder_is_not_silently_skipped(services, encoders) -> None:  # noqa: ANN001
    reg = _registry(services, encoders)
    row = reg.register("face", PORTRAIT.read_bytes(), "Collins", "NASA", "admin:a")
    with services.db.session() as s:
        s.get(ProtectedLikeness, row.id).encoder = "other-model/v9"
    with pytest.raises(LikenessModelUnavailable, match="re-register"):
        _registry(services, encoders).match("face", _mirrored_jpeg())


def test_thresholds_file_errors_name_the_file(tmp_path: Path) -> None:
    from hegui.errors import ConfigError

    bad = tmp_path / "t.yaml"
    bad.write_text("voice:\n  threshold: 2\nface:\n  threshold: 0.9\n")
    with pytest.raises(ConfigError, match="t.yaml"):
        Thresholds.load(bad)
    bad.write_text("voice: [\n")
    with pytest.raises(ConfigError, match=r"t\.yaml:\d"):
        Thresholds.load(bad)
