"""Text-to-speech (``POST /v1/audio/speech``) through the same steps as images; every audio is
labelled before it leaves (Labeling Measures Art 4; Deep Synthesis Provisions Art 17; GB 45438-2025
§5.3 explicit cue at the start, §6 implicit label in the file's metadata):
ReadSpeech → Admit → CheckParent → ModerateInput → CallSpeech → ProtectedVoice → LabelSpeech →
RecordProvenance, then Commit. A refused ``input`` is
an error response (:class:`ContentRefused`), sent once the record is committed."""

from __future__ import annotations

import contextlib
import math
import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.concurrency import run_in_threadpool

from hegui.errors import ContentRefused, ValidationFailed
from hegui.gateway.pipeline import label, provenance
from hegui.gateway.pipeline.base import Pipeline, Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.gateway.pipeline.identity import Admit
from hegui.gateway.pipeline.moderate import ModerateInput
from hegui.gateway.pipeline.record import Commit
from hegui.gateway.pipeline.request import read_body
from hegui.labeling import gateway_audio
from hegui.labeling.watermark.audio import AudioWatermark
from hegui.likeness.errors import LikenessCheckFailed, ProtectedLikenessBlocked
from hegui.records.usage import new_content_id
from hegui.synthesis.media_io import wav_bytes
from hegui.synthesis.tts import MAX_INPUT_CHARS

if TYPE_CHECKING:
    from hegui.app.services import Services

FORMATS = tuple(gateway_audio.AUDIO_FORMATS)  # mp3 (OpenAI's default), wav, flac, opus
SPEED_RANGE = (0.25, 4.0)
KEYS = {"model", "input", "voice", "response_format", "speed", "user", "instructions", "stream_format",
        "hegui_parent", "hegui_edit"}
UPSTREAM_KEYS = ("input", "voice", "speed", "instructions")


def _bad(en: str, zh: str) -> ValidationFailed:
    return ValidationFailed(message_en=f"Invalid input: {en}", message_zh=f"输入无效：{zh}")


def check_speech_body(body: dict[str, Any]) -> None:
    """OpenAI's request shape; anything else is a 400 naming the field (zh/en)."""
    unknown = sorted(set(body) - KEYS)
    if unknown:
        raise _bad(f"unknown field(s) {', '.join(unknown)}", f"未知字段 {', '.join(unknown)}")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise _bad("'model' must be a non-empty string", "model 须为非空字符串")
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise _bad("'input' must be a non-empty string", "input 须为非空字符串")
    if len(text) > MAX_INPUT_CHARS:
        raise _bad(f"'input' is longer than {MAX_INPUT_CHARS} characters ({len(text)})",
                   f"input 超过 {MAX_INPUT_CHARS} 个字符（{len(text)}）")
    voice = body.get("voice")
    if not isinstance(voice, str) or not 0 < len(voice.strip()) <= 64:
        raise _bad("'voice' must be a non-empty string of at most 64 characters", "voice 须为不超过 64 个字符的非空字符串")
    fmt = body.get("response_format", "mp3")
    if fmt not in FORMATS:
        raise _bad(f"'response_format' must be one of {', '.join(FORMATS)}", f"response_format 须为 {'、'.join(FORMATS)} 之一")
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed) \
            or not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        raise _bad("'speed' must be a number from 0.25 to 4.0", "speed 须为 0.25 到 4.0 之间的数")
    instructions = body.get("instructions")
    if instructions is not None and (not isinstance(instructions, str) or len(instructions) > MAX_INPUT_CHARS):
        raise _bad(f"'instructions' must be a string of at most {MAX_INPUT_CHARS} characters",
                   f"instructions 须为不超过 {MAX_INPUT_CHARS} 个字符的字符串")
    if body.get("stream_format", "audio") != "audio":
        raise _bad("'stream_format' must be 'audio' (streamed speech is not offered)", "stream_format 须为 audio（不提供流式语音）")


class ReadSpeech(Step):
    name: ClassVar[str] = "read_speech"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        body = await read_body(ex)
        check_speech_body(body)
        ex.audio_format = body.get("response_format", "mp3")
        ex.record.model = body["model"]
        ex.upstream = self.services.router.for_model(body["model"])
        return Flow.CONTINUE


def _spoken_text(body: dict[str, Any]) -> str:
    """What the model reads: the text, and the style instructions when given (both moderated)."""
    return body["input"] + (f"\n{body['instructions']}" if body.get("instructions") else "")


class CallSpeech(Step):
    """The model: the checked fields only, as mono PCM (Interim Measures Art 7)."""

    name: ClassVar[str] = "call_speech"

    async def run(self, ex: Exchange) -> Flow:
        if ex.upstream is None or ex.input_verdict is None:
            raise RuntimeError("CallSpeech runs after ReadSpeech and ModerateInput")
        started = time.perf_counter()
        ex.speech = await ex.upstream.speech({k: ex.body[k] for k in UPSTREAM_KEYS if k in ex.body}
                                             | {"model": ex.record.model})
        ex.record.upstream_ms = round((time.perf_counter() - started) * 1000, 3)
        return Flow.CONTINUE


class ProtectedVoice(Step):
    """The generated voice against the registry of protected voices (DS Art 14(2)): speech that
    sounds like a registered person is refused (text-to-speech carries no consent); a matcher that
    cannot judge refuses too (fail closed)."""

    name: ClassVar[str] = "protected_voice"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        matcher = self.services.likeness_matcher
        if matcher is None or ex.speech is None:
            return Flow.CONTINUE
        wav = await run_in_threadpool(wav_bytes, ex.speech.samples, ex.speech.sample_rate)
        try:
            found = await run_in_threadpool(matcher.match, "voice", wav)
        except Exception as exc:  # noqa: BLE001 - whatever the matcher raised: nothing leaves
            raise LikenessCheckFailed(detail=f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        if found is not None:
            ex.record.risks.append({"id": f"likeness:{found.likeness_id}", "score": round(float(found.score), 4),
                                    "direction": "output"})
            raise ProtectedLikenessBlocked(where_en="output", where_zh="生成结果", kind_en="voice", kind_zh="声音",
                                           likeness_id=found.likeness_id)
        return Flow.CONTINUE


def watermarker(services: Services) -> gateway_audio.AudioWatermarker | None:
    """The audio watermark when ``labels.audio_watermark`` is on: one given in
    ``services.extras["audio_watermarker"]``, else :class:`~hegui.labeling.watermark.audio.AudioWatermark`
    at ``labels.audio_watermark_strength``."""
    cfg = services.settings.labels
    if not cfg.audio_watermark:
        return None
    found = services.extras.get("audio_watermarker")
    if found is not None and hasattr(found, "embed"):
        return found
    return AudioWatermark(strength=cfg.audio_watermark_strength)


class LabelSpeech(Step):
    """Explicit cue + implicit label (+ watermark) on the audio that leaves; the record says which."""

    name: ClassVar[str] = "label_speech"
    finishing: ClassVar[bool] = True

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        ex.record.content_id = ex.record.content_id or new_content_id()
        if ex.status != "ok" or ex.speech is None:  # refused: nothing leaves, nothing is labelled
            return Flow.CONTINUE
        sv, cid, fmt, sp = self.services, ex.record.content_id, ex.audio_format, ex.speech
        mode = sv.settings.labels.audio_explicit
        wm = watermarker(sv)
        ex.audio = await run_in_threadpool(lambda: gateway_audio.label_generated_audio(
            sp.samples, sp.sample_rate, fmt, content_id=cid, producer_code=sv.settings.service.provider_code,
            watermark=wm, mode=mode))
        seconds = await run_in_threadpool(gateway_audio.labelled_seconds, sp.samples, sp.sample_rate, mode)
        ex.record.output = f"[audio {seconds:.1f} s {fmt}]"
        ex.record.label = "audio:explicit+implicit" + ("+watermark" if wm is not None else "")
        ex.record.output_action = ex.record.output_action or ("bypassed" if ex.safety_off else "allow")
        return Flow.CONTINUE


def pipeline(services: Services) -> Pipeline:
    return Pipeline([ReadSpeech(services), Admit(services), provenance.CheckParent(services),
                     ModerateInput(services, provenance.with_edit(_spoken_text)), CallSpeech(),
                     ProtectedVoice(services), LabelSpeech(services), provenance.RecordProvenance(services)],
                    Commit(services))


async def generate(services: Services, ex: Exchange) -> tuple[bytes, str, dict[str, str]]:
    """Run the pipeline; ``(audio bytes, media type, headers)`` or :class:`ContentRefused`."""
    async with contextlib.aclosing(pipeline(services).run(ex)) as run:
        async for _ in run:
            pass
    verdict = ex.input_verdict
    if ex.status == "refused" and verdict is not None:
        raise ContentRefused(message_en=verdict.message_en or "text refused",
                             message_zh=verdict.message_zh or "待合成文本未通过审核")
    content_id = ex.record.content_id or ""
    headers = {"X-Hegui-Content-Id": content_id, "X-AIGC-Label": label.label_header(services, content_id)}
    return ex.audio, gateway_audio.AUDIO_FORMATS[ex.audio_format][0], headers
