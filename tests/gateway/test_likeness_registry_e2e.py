"""The registry of protected voices and faces with its real encoders, through the gateway (issue 14
"done when": a registered voice/face is blocked): the speaker model over resemblyzer's weights and
dlib's face model compare the request's reference and the output with the registered samples."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(subprocess.run(["which", "espeak-ng"], capture_output=True).returncode != 0,
                                reason="espeak-ng missing (scripts/setup.sh installs it)")

PORTRAIT = Path(__file__).parents[1] / "data" / "likeness" / "astronaut_collins.jpg"


def _speech(text: str) -> bytes:
    return subprocess.run(["espeak-ng", "-v", "en+f3", "-p", "70", "--stdout", text],
                          capture_output=True, check=True).stdout


def _consent(gw, kind: str, use: str) -> str:
    r = gw.post("/v1/hegui/consents", {"kind": kind, "uses": [use], "subject_ref": "someone",
                                       "method": "in_app_confirmation", "confirmation": "tap-1"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_registered_voice_is_blocked_even_with_a_consent_for_someone_else(gateway):
    gateway.verified_user("alice")
    consent = _consent(gateway, "voice", "voice_clone")
    ref = {"reference": ("ref.wav", _speech("Hello, this is my own voice, recorded for the demo."), "audio/wav")}
    ok = gateway.client.post("/v1/hegui/voice/clone", headers=gateway.headers,
                             data={"text": "你好", "user": "alice", "consent_id": consent}, files=ref)
    assert ok.status_code == 200, ok.text  # nothing registered yet: the consent is enough
    registry = gateway.services.likeness_matcher.registry()
    entry = registry.register("voice", _speech("The quick brown fox jumps over the lazy dog, twice over, "
                                               "so that the sample is long enough to enrol."),
                              label="voice actor A", holder="studio", actor="cli:op")
    r = gateway.client.post("/v1/hegui/voice/clone", headers=gateway.headers,
                            data={"text": "你好", "user": "alice", "consent_id": consent}, files=ref)
    assert r.status_code == 403 and r.json()["error"]["code"] == "LIKENESS_PROTECTED", r.text
    assert entry.id in r.text
    registry.remove(entry.id, actor="cli:op")
    r = gateway.client.post("/v1/hegui/voice/clone", headers=gateway.headers,
                            data={"text": "你好", "user": "alice", "consent_id": consent}, files=ref)
    assert r.status_code == 200, r.text


def test_a_registered_face_is_blocked(gateway):
    gateway.verified_user("alice")
    consent = _consent(gateway, "face", "face_swap")
    portrait = PORTRAIT.read_bytes()
    registry = gateway.services.likeness_matcher.registry()
    entry = registry.register("face", portrait, label="astronaut", holder="estate", actor="cli:op")
    from PIL import Image
    import io

    target = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 60, 90)).save(target, "PNG")
    r = gateway.client.post("/v1/hegui/face/swap", headers=gateway.headers,
                            data={"user": "alice", "consent_id": consent},
                            files={"source": ("s.jpg", portrait, "image/jpeg"),
                                   "target": ("t.png", target.getvalue(), "image/png")})
    assert r.status_code == 403 and r.json()["error"]["code"] == "LIKENESS_PROTECTED", r.text
    assert entry.id in r.text


def test_speech_that_sounds_like_a_registered_voice_is_refused(gateway):
    """Text-to-speech output is compared too: register the demo voice's own sound as protected."""
    gateway.verified_user("alice")
    body = {"model": "hegui-demo-tts", "input": "Good morning, this is the demo voice.", "voice": "alloy", "user": "alice",
            "response_format": "wav"}
    assert gateway.post("/v1/audio/speech", body).status_code == 200
    from hegui.synthesis.media_io import wav_bytes
    from hegui.synthesis.tts import synthesize

    voice = synthesize("The quick brown fox jumps over the lazy dog, and then it runs away into the woods.")
    entry = gateway.services.likeness_matcher.registry().register(
        "voice", wav_bytes(voice.samples, voice.sample_rate), label="demo voice", holder="ops", actor="cli:op")
    r = gateway.post("/v1/audio/speech", body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "LIKENESS_PROTECTED", r.text
    assert entry.id in r.text


def test_a_consent_with_an_enrolled_voice_serves_only_that_voice(gateway):
    """A consent cited with another person's voice is refused: the request's reference must match the
    sample enrolled with the consent (DS Art 14(2): the consent of *the person edited*)."""
    import base64

    gateway.verified_user("alice")
    own = _speech("Hello, this is my own voice, recorded for the demo.")
    r = gateway.post("/v1/hegui/consents", {"kind": "voice", "uses": ["voice_clone"], "subject_ref": "p-1",
                                            "method": "in_app_confirmation", "confirmation": "tap-2",
                                            "reference_sample_b64": base64.b64encode(own).decode()})
    assert r.status_code == 201 and r.json()["has_reference"], r.text
    consent = r.json()["id"]

    def clone(ref: bytes):
        return gateway.client.post("/v1/hegui/voice/clone", headers=gateway.headers,
                                   data={"text": "你好", "user": "alice", "consent_id": consent},
                                   files={"reference": ("ref.wav", ref, "audio/wav")})

    assert clone(own).status_code == 200
    other = subprocess.run(["espeak-ng", "-v", "en+m1", "-p", "30", "--stdout",
                            "Hello, this is my own voice, recorded for the demo."], capture_output=True, check=True).stdout
    r = clone(other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "LIKENESS_CONSENT_SUBJECT_MISMATCH", r.text
    assert consent in r.json()["error"]["message_en"] and "同一人" in r.json()["error"]["message_zh"]
