"""Speech from an HTTP upstream and through the official ``openai`` client: the upstream's audio
is decoded to PCM with ffmpeg and labelled like the demo voice's (GB 45438 §5.3, §6); an
undecodable answer is an upstream error, never passed through unlabelled."""

from __future__ import annotations

import io
import json
import shutil
import wave

import httpx
import numpy as np
import pytest

from hegui.gateway.upstream import HttpUpstream
from hegui.labeling import inspect
from hegui.settings import UpstreamSettings

pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")),
                                reason="needs espeak-ng and ffmpeg (scripts/setup.sh installs them)")


def _wav(seconds: float = 1.0, rate: int = 24000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def _upstream(answer: bytes, seen: list[dict]) -> HttpUpstream:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/audio/speech"
        seen.append(json.loads(request.content))
        return httpx.Response(200, content=answer, headers={"content-type": "audio/wav"})

    cfg = UpstreamSettings(name="tts-up", base_url="http://upstream.test/v1", models=["real-tts"], retries=0)
    return HttpUpstream(cfg, transport=httpx.MockTransport(handler))


def test_an_http_upstreams_speech_is_decoded_and_labelled(gateway_factory, tmp_path):
    seen: list[dict] = []
    gw = gateway_factory(upstreams=[_upstream(_wav(), seen)])
    r = gw.post("/v1/audio/speech", {"model": "real-tts", "input": "hello", "voice": "nova", "user": "demo-user",
                                     "response_format": "flac", "speed": 1.5})
    assert r.status_code == 200, r.text
    assert seen == [{"input": "hello", "voice": "nova", "speed": 1.5, "model": "real-tts", "response_format": "wav"}]
    path = tmp_path / "out.flac"
    path.write_bytes(r.content)
    res = inspect(path)
    assert res.klass == "confirmed" and res.explicit_audio_cue is True


def test_an_undecodable_upstream_answer_is_a_502(gateway_factory):
    gw = gateway_factory(upstreams=[_upstream(b"not audio at all" * 10, [])])
    r = gw.post("/v1/audio/speech", {"model": "real-tts", "input": "hello", "voice": "nova", "user": "demo-user"})
    assert r.status_code == 502 and r.json()["error"]["code"] == "UPSTREAM_ERROR"


def test_the_openai_client_gets_labelled_speech(gateway, tmp_path):
    from tests.gateway.conftest import sdk_for

    sdk = sdk_for(gateway)
    resp = sdk.audio.speech.create(model="hegui-demo-tts", voice="alloy", input="你好，世界",
                                   extra_headers={"X-Hegui-User": "demo-user"})
    path = tmp_path / "sdk.mp3"
    path.write_bytes(resp.content)
    assert resp.response.headers["content-type"] == "audio/mpeg"
    cid = resp.response.headers["x-hegui-content-id"]
    res = inspect(path)
    assert res.klass == "confirmed" and res.implicit["ProduceID"] == cid and res.explicit_audio_cue is True
    with sdk.audio.speech.with_streaming_response.create(model="hegui-demo-tts", voice="alloy", input="hi",
                                                         response_format="opus",
                                                         extra_headers={"X-Hegui-User": "demo-user"}) as streamed:
        streamed.stream_to_file(tmp_path / "sdk.opus")
    assert inspect(tmp_path / "sdk.opus").klass == "confirmed"


def test_the_openai_client_sees_a_bad_speed_as_a_bad_request(gateway):
    import openai

    from tests.gateway.conftest import sdk_for

    with pytest.raises(openai.BadRequestError) as e:
        sdk_for(gateway).audio.speech.create(model="hegui-demo-tts", voice="alloy", input="hi", speed=9,
                                             extra_headers={"X-Hegui-User": "demo-user"})
    assert e.value.code == "INVALID_INPUT" and "speed" in str(e.value)
