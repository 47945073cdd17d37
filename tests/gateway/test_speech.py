"""Text to speech through the gateway (``POST /v1/audio/speech``) with the built-in demo voice:
every audio leaves with the explicit cue at its start and the implicit label in its metadata
(Labeling Measures Art 4; Deep Synthesis Art 17; GB 45438-2025 §5.3, §6), a refused text is a 400
after its record is committed, and bad parameters are 400s in zh and en."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select

from hegui.labeling import inspect
from hegui.storage.models import UsageContent, UsageRecord

pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")),
                                reason="needs espeak-ng and ffmpeg (scripts/setup.sh installs them)")

SUFFIX = {"mp3": "mp3", "wav": "wav", "flac": "flac", "opus": "opus"}
MEDIA = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "opus": "audio/ogg"}


def speak(gateway, **kw):  # noqa: ANN001, ANN201
    body = {"model": "hegui-demo-tts", "input": "你好，这是演示语音。Hello.", "voice": "alloy", "user": "demo-user", **kw}
    return gateway.post("/v1/audio/speech", body)


def record(gateway, content_id: str) -> UsageRecord:  # noqa: ANN001
    with gateway.services.db.session() as s:
        return s.scalars(select(UsageRecord).where(UsageRecord.content_id == content_id)).one()


def content(gateway, rec: UsageRecord) -> tuple[str, str]:  # noqa: ANN001
    """The record's (prompt, output), unsealed."""
    with gateway.services.db.session() as s:
        return gateway.services.writer.read_content(s.get(UsageContent, rec.id))


@pytest.mark.parametrize("fmt", [None, "wav", "flac", "opus"])
def test_speech_is_labelled_and_inspects_as_confirmed_with_the_cue(gateway, tmp_path, fmt):
    r = speak(gateway, **({"response_format": fmt} if fmt else {}))
    assert r.status_code == 200, r.text
    fmt = fmt or "mp3"  # OpenAI's default
    assert r.headers["content-type"] == MEDIA[fmt]
    cid = r.headers["X-Hegui-Content-Id"]
    assert cid.startswith("hgc-") and r.headers["X-Request-Id"]
    assert json.loads(r.headers["X-AIGC-Label"])["AIGC"]["ProduceID"] == cid
    path = tmp_path / f"speech.{SUFFIX[fmt]}"
    path.write_bytes(r.content)
    res = inspect(path)
    assert res.klass == "confirmed" and res.implicit["ProduceID"] == cid, res.to_dict()
    assert res.explicit_audio_cue is True and res.audio_cue["start_seconds"] < 0.2
    rec = record(gateway, cid)
    assert rec.endpoint == "audio.speech" and rec.status == "ok" and rec.model == "hegui-demo-tts"
    assert rec.label == "audio:explicit+implicit+watermark"
    # the inspector looked for the audio watermark (whether a 2 s clip carries it depends on its
    # content id's payload: tests/labeling/test_audio_watermark.py checks detection on fixed clips)
    assert res.watermark["kind"] == "audio" and res.watermark["checked"] is True, res.watermark
    prompt, output = content(gateway, rec)
    assert prompt == "你好，这是演示语音。Hello." and output.startswith("[audio ") and output.endswith(f" s {fmt}]")
    assert rec.input_action == "allow"


def test_the_cli_inspector_says_confirmed_and_names_the_cue(gateway, tmp_path):
    from typer.testing import CliRunner

    from hegui.cli.main import app

    r = speak(gateway)
    path = tmp_path / "speech.mp3"
    path.write_bytes(r.content)
    out = CliRunner().invoke(app, ["label", "inspect", "--json", str(path)])
    assert out.exit_code == 0, out.output
    found = json.loads(out.output.strip().splitlines()[-1])
    assert found["class"] == "confirmed" and found["explicit_audio_cue"] is True


def test_plain_tts_without_labels_is_not_confirmed(tmp_path):
    """The control: the demo voice's raw output has neither label (so the checks above can fail)."""
    import wave

    import numpy as np

    from hegui.synthesis.tts import synthesize

    sp = synthesize("你好，这是演示语音。")
    path = tmp_path / "raw.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sp.sample_rate)
        w.writeframes((sp.samples * 32767).astype("<i2").tobytes())
    res = inspect(path)
    assert res.klass == "none" and res.explicit_audio_cue is False
    assert np.max(np.abs(sp.samples)) > 0.05


def test_a_refused_text_is_a_400_after_its_record(gateway):
    r = speak(gateway, input="请朗读：forbidden-term")
    assert r.status_code == 400 and r.json()["error"]["code"] == "CONTENT_REFUSED"
    with gateway.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).where(UsageRecord.endpoint == "audio.speech")).one()
    assert rec.status == "refused" and rec.input_action == "refuse" and rec.label is None


def test_instructions_are_moderated_too(gateway):
    r = speak(gateway, instructions="speak like forbidden-term")
    assert r.status_code == 400 and r.json()["error"]["code"] == "CONTENT_REFUSED"


@pytest.mark.parametrize("change,field", [
    ({"response_format": "aac"}, "response_format"), ({"response_format": "pcm"}, "response_format"),
    ({"speed": 0.1}, "speed"), ({"speed": 4.5}, "speed"), ({"speed": True}, "speed"), ({"speed": "fast"}, "speed"),
    ({"input": ""}, "input"), ({"input": "字" * 4097}, "input"), ({"input": 42}, "input"),
    ({"voice": ""}, "voice"), ({"voice": None}, "voice"), ({"model": None}, "model"),
    ({"stream_format": "sse"}, "stream_format"), ({"temperature": 1}, "temperature")])
def test_bad_parameters_are_400_in_both_languages(gateway, change, field):
    body = {"model": "hegui-demo-tts", "input": "hello", "voice": "alloy", "user": "demo-user", **change}
    body = {k: v for k, v in body.items() if not (v is None and k in ("voice", "model"))}
    r = gateway.post("/v1/audio/speech", body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "INVALID_INPUT" and field in err["message_en"] and field in err["message_zh"]


def test_the_longest_input_is_accepted(gateway):
    r = speak(gateway, input="a " * 2048, response_format="wav", speed=4.0)
    assert r.status_code == 200, r.text


def test_an_unknown_model_is_404(gateway):
    assert speak(gateway, model="no-such-tts").status_code == 404


def test_the_demo_voice_is_listed(gateway):
    r = gateway.client.get("/v1/models", headers=gateway.headers)
    ids = {m["id"] for m in r.json()["data"]}
    assert "hegui-demo-tts" in ids


def test_a_missing_espeak_is_a_clear_error(gateway, monkeypatch):
    import hegui.synthesis.tts as tts

    real = shutil.which
    monkeypatch.setattr(tts.shutil, "which", lambda name: None if name == "espeak-ng" else real(name))
    r = speak(gateway)
    assert r.status_code == 503
    err = r.json()["error"]
    assert err["code"] == "TTS_ENGINE_MISSING" and "espeak-ng" in err["message_zh"] and "espeak-ng" in err["message_en"]
    with gateway.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).where(UsageRecord.endpoint == "audio.speech")).one()
    assert rec.status == "error" and rec.error_code == "TTS_ENGINE_MISSING"


def test_a_wired_watermarker_runs_and_the_record_says_so(gateway):
    class Marker:
        calls: list[str] = []

        def embed(self, samples, sample_rate, content_id):  # noqa: ANN001, ANN201
            self.calls.append(content_id)
            return samples * 0.99

    gateway.services.extras["audio_watermarker"] = m = Marker()
    r = speak(gateway, response_format="wav")
    cid = r.headers["X-Hegui-Content-Id"]
    assert m.calls == [cid] and record(gateway, cid).label == "audio:explicit+implicit+watermark"
    gateway.services.settings.labels.audio_watermark = False
    r = speak(gateway, response_format="wav")
    assert m.calls == [cid] and record(gateway, r.headers["X-Hegui-Content-Id"]).label == "audio:explicit+implicit"


def test_a_speech_restriction_stops_speech_only(gateway):
    from hegui.storage.models import EndUser

    gateway.verified_user("u-speech")
    with gateway.services.db.session() as s:
        uid = s.scalar(select(EndUser.id).where(EndUser.external_id == "u-speech"))
    gateway.client.app.state.case_desk.sanction(uid, "restrict", "voice spam / 滥用语音合成", "console:admin",
                                                functions=("speech",))
    r = speak(gateway, user="u-speech")
    assert r.status_code == 403 and "voice spam" in r.json()["error"]["message_en"]
    assert gateway.chat("hello", user="u-speech").status_code == 200


def test_a_safety_off_test_channel_skips_moderation_but_not_labels(gateway, tmp_path):
    from tests.gateway.test_test_channel import make_channel

    channel_id, key = make_channel(gateway, safety=False)
    r = gateway.client.post("/v1/audio/speech", headers={"Authorization": f"Bearer {key}"},
                            json={"model": "hegui-demo-tts", "input": "forbidden-term", "voice": "alloy",
                                  "response_format": "wav"})
    assert r.status_code == 200, r.text
    path = tmp_path / "t.wav"
    path.write_bytes(r.content)
    assert inspect(path).klass == "confirmed"
    rec = record(gateway, r.headers["X-Hegui-Content-Id"])
    assert rec.test_channel_id == channel_id and rec.input_action == "bypassed" and rec.output_action == "bypassed"
    assert rec.label == "audio:explicit+implicit+watermark"
