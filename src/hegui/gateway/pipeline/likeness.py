"""Voice cloning and face swapping through the gateway's steps (Deep Synthesis Provisions Art 14(2):
separate consent of the person edited; Art 17 and GB 45438-2025 §§5, 6: prominent labels on
synthesised voices and face swaps; Interim Measures Arts 11, 14: records and moderation):

ReadLikeness → Admit → CheckConsent → ModerateInput (the clone text) → LikenessCheck (inputs) →
Synthesize → LikenessCheck (output) → LabelMedia, then Commit.

A request without a consent in force for this use, app and user is refused (403, the reason names
the missing consent) and leaves a failure record; a served one's usage record carries the
``consent_id`` it relied on. ``services.likeness_matcher`` (a :class:`~hegui.likeness.protocols.
ProtectedMatcher`), when set, compares the reference inputs and the output with the registry of
protected voices and faces: a match is refused unless the consent is for that entry.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from hegui.errors import ContentRefused, NotFound, ValidationFailed
from hegui.fileio import write_atomic
from hegui.gateway.pipeline import label, speech
from hegui.gateway.pipeline.base import Pipeline, Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.gateway.pipeline.identity import Admit
from hegui.gateway.pipeline.moderate import ModerateInput
from hegui.gateway.pipeline.record import Commit
from hegui.likeness.consent import ConsentDecision, ConsentRegistry
from hegui.likeness.errors import ConsentSubjectMismatch, LikenessCheckFailed, ProtectedLikenessBlocked
from hegui.labeling import gateway_audio
from hegui.records.usage import new_content_id
from hegui.synthesis import face as demo_face
from hegui.synthesis import voice as demo_voice
from hegui.synthesis.media_io import decode_audio, read_wav, wav_bytes
from hegui.synthesis.remote import post_form

if TYPE_CHECKING:
    from hegui.app.services import Services

VOICE, FACE = "voice.clone", "face.swap"
#: endpoint → (kind, consent use, demo model, the form's file fields)
SPEC: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    VOICE: ("voice", "voice_clone", demo_voice.MODEL, ("reference",)),
    FACE: ("face", "face_swap", demo_face.MODEL, ("source", "target"))}
AUDIO_FORMATS = {"wav": "audio/wav", "mp3": "audio/mpeg"}
_KIND = {"voice": ("voice", "声音"), "face": ("face", "人脸")}


@dataclass(eq=False)
class LikenessExchange(Exchange):
    """An :class:`Exchange` with the media of a face or voice edit."""

    files: dict[str, bytes] = field(default_factory=dict)
    consent_given: str | None = None
    consent: ConsentDecision | None = None
    media: bytes = b""  # the generated audio (16-bit WAV) or image, then the labelled file
    media_type: str = ""


def _one_line(value: Any, field_name: str, limit: int) -> str:
    v = value if isinstance(value, str) else ""
    if len(v) > limit:
        raise ValidationFailed(message_en=f"'{field_name}' is longer than {limit} characters",
                               message_zh=f"{field_name} 超过 {limit} 个字符")
    return v.strip()


class ReadLikeness(Step):
    """The multipart form: files bounded by ``likeness_api.max_upload_bytes``, fields by length."""

    name: ClassVar[str] = "read_likeness"

    def __init__(self, services: Services, request: Request) -> None:
        self.services = services
        self.request = request

    async def run(self, ex: Exchange) -> Flow:
        assert isinstance(ex, LikenessExchange)
        cfg = self.services.settings.likeness_api
        kind, _, demo_model, file_fields = SPEC[ex.endpoint]
        ctype = self.request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise ValidationFailed(message_en="send multipart/form-data", message_zh="请以 multipart/form-data 提交")
        try:
            form = await self.request.form(max_files=len(file_fields), max_fields=16,
                                           max_part_size=cfg.max_text_chars * 4 + 1024)
        except Exception as exc:  # noqa: BLE001 - starlette's multipart errors: a bad request, said so
            raise ValidationFailed(message_en=f"the multipart form could not be read: {getattr(exc, 'detail', exc)}",
                                   message_zh=f"无法读取 multipart 表单：{getattr(exc, 'detail', exc)}") from exc
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(form.close)
            for name in file_fields:
                part = form.get(name)
                if part is None or isinstance(part, str):
                    raise ValidationFailed(message_en=f"the file '{name}' is required", message_zh=f"缺少文件 {name}")
                data = await part.read(cfg.max_upload_bytes + 1)
                if len(data) > cfg.max_upload_bytes:
                    limit = cfg.max_upload_bytes
                    raise ValidationFailed(message_en=f"the file '{name}' is larger than {limit} bytes",
                                           message_zh=f"文件 {name} 超过 {limit} 字节")
                ex.files[name] = data
            fields = {k: form.get(k) for k in ("text", "format", "model", "user", "consent_id")}
        text = _one_line(fields["text"], "text", cfg.max_text_chars)
        if ex.endpoint == VOICE and not text:
            raise ValidationFailed(message_en="'text' (what the cloned voice says) is required",
                                   message_zh="缺少 text（克隆声音要朗读的文本）")
        fmt = _one_line(fields["format"], "format", 8).lower() or "wav"
        if ex.endpoint == VOICE and fmt not in AUDIO_FORMATS:
            raise ValidationFailed(message_en=f"format must be one of {', '.join(AUDIO_FORMATS)}",
                                   message_zh=f"format 须为 {', '.join(AUDIO_FORMATS)} 之一")
        ex.body = {"text": text, "format": fmt}
        ex.external_user = _one_line(fields["user"], "user", 200) or ex.external_user
        ex.consent_given = _one_line(fields["consent_id"], "consent_id", 64) or \
            (self.request.headers.get("x-hegui-consent") or "").strip()[:64] or None
        model = ex.record.model = _one_line(fields["model"], "model", 100) or demo_model
        upstream = cfg.voice_clone_upstream if kind == "voice" else cfg.face_swap_upstream
        if not upstream and (model != demo_model or not self.services.settings.demo_model):
            key = f"likeness_api.{SPEC[ex.endpoint][1]}_upstream"
            raise NotFound(message_en=f"no {kind} model {model!r}: configure {key}",
                           message_zh=f"没有{_KIND[kind][1]}模型 {model!r}：请配置 {key}")
        return Flow.CONTINUE


class CheckConsent(Step):
    """The separate consent of the person whose face or voice is used (DS Art 14(2)), in force for
    this use, this app and this user, now — or a 403 naming the consent that is missing."""

    name: ClassVar[str] = "check_consent"

    def __init__(self, services: Services) -> None:
        self.registry = ConsentRegistry(services.db, services.keys)
        self.db = services.db

    async def run(self, ex: Exchange) -> Flow:
        assert isinstance(ex, LikenessExchange)
        kind, use, _, _ = SPEC[ex.endpoint]
        decision = await self.db.run(self.registry.check, kind, use, ex.consent_given, ex.app_id, ex.record.user_id)
        decision.raise_if_refused()
        ex.consent = decision
        ex.record.consent_id = decision.consent_id
        return Flow.CONTINUE


class CheckConsentSubject(Step):
    """The person in the request is the person who consented (DS Art 14(2)): when the consent has an
    enrolled reference, the request's reference voice or source face must match it at the protected
    register's threshold. A check that cannot run refuses (fail closed)."""

    name: ClassVar[str] = "check_consent_subject"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.registry = ConsentRegistry(services.db, services.keys)

    def _enrolled(self, ex: LikenessExchange) -> bytes | None:
        if ex.consent is None or not ex.consent.consent_id:
            return None
        return self.registry.reference_embedding(self.registry.get(ex.consent.consent_id, app_id=ex.app_id))

    async def run(self, ex: Exchange) -> Flow:
        assert isinstance(ex, LikenessExchange)
        if ex.status != "ok":
            return Flow.CONTINUE
        enrolled = await self.services.db.run(self._enrolled, ex)
        if enrolled is None:
            return Flow.CONTINUE
        kind, _, _, fields = SPEC[ex.endpoint]
        matcher = self.services.likeness_matcher
        try:
            if matcher is None or not hasattr(matcher, "similarity"):
                raise RuntimeError("no encoder to compare the consent's enrolled reference")
            score, threshold = await run_in_threadpool(matcher.similarity, kind, ex.files[fields[0]], enrolled)
        except Exception as exc:  # noqa: BLE001 - whatever failed: nothing is generated
            raise LikenessCheckFailed(detail=f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        if score < threshold:
            raise ConsentSubjectMismatch(consent_id=ex.consent.consent_id, kind_en=_KIND[kind][0],
                                         kind_zh=_KIND[kind][1])
        return Flow.CONTINUE


class LikenessCheck(Step):
    """The seam of the protected-voices/faces registry: each input (``where="input"``) or the output
    is compared; a match is refused unless the consent is for that entry. A matcher that fails
    refuses the request (fail closed)."""

    name: ClassVar[str] = "likeness_check"

    def __init__(self, services: Services, where: str) -> None:
        self.services = services
        self.where = where

    async def run(self, ex: Exchange) -> Flow:
        assert isinstance(ex, LikenessExchange)
        matcher = getattr(self.services, "likeness_matcher", None)
        if matcher is None or ex.status != "ok":
            return Flow.CONTINUE
        kind = SPEC[ex.endpoint][0]
        items = list(ex.files.items()) if self.where == "input" else [("output", ex.media)]
        for name, data in items:
            try:
                found = await run_in_threadpool(matcher.match, kind, data)
            except Exception as exc:  # noqa: BLE001 - whatever the matcher raised: nothing is generated
                raise LikenessCheckFailed(detail=f"{type(exc).__name__}: {str(exc)[:200]}") from exc
            if found is None:
                continue
            ex.record.risks.append({"id": f"likeness:{found.likeness_id}", "score": round(float(found.score), 4),
                                    "direction": "output" if name == "output" else "input"})
            if ex.consent is None or ex.consent.likeness_id != found.likeness_id:
                zh_where = {"output": "生成结果", "reference": "参考音频", "source": "源人脸图像", "target": "目标图像"}
                raise ProtectedLikenessBlocked(where_en=f"{name} {'file' if name != 'output' else ''}".strip(),
                                               where_zh=zh_where.get(name, name), kind_en=_KIND[kind][0],
                                               kind_zh=_KIND[kind][1], likeness_id=found.likeness_id)
        return Flow.CONTINUE


class Synthesize(Step):
    """The demo model on a worker thread, or the configured HTTP upstream (``likeness_api``)."""

    name: ClassVar[str] = "synthesize"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        assert isinstance(ex, LikenessExchange)
        cfg = self.services.settings.likeness_api
        voice = ex.endpoint == VOICE
        url = cfg.voice_clone_upstream if voice else cfg.face_swap_upstream
        started = ex.elapsed_ms()
        if url:
            files = {k: (k, v, "application/octet-stream") for k, v in ex.files.items()}
            fields = {"model": ex.record.model or "", **({"text": ex.body["text"]} if voice else {})}
            body, _ = await post_form(url, fields=fields, files=files, api_key=cfg.upstream_api_key,
                                      timeout=cfg.timeout_seconds, max_bytes=cfg.max_upload_bytes * 4)
            if voice:  # any audio the upstream answers: to 16-bit WAV, which the label step writes on
                body = await run_in_threadpool(lambda: wav_bytes(decode_audio(body, 24_000), 24_000))
            ex.media = body
        elif voice:
            ex.media = (await run_in_threadpool(demo_voice.clone, ex.files["reference"], ex.body["text"])).wav
        else:
            ex.media = (await run_in_threadpool(demo_face.swap, ex.files["source"], ex.files["target"])).png
        ex.record.upstream_ms = round(ex.elapsed_ms() - started, 3)
        return Flow.CONTINUE


def _label_audio(services: Services, wav: bytes, *, content_id: str, fmt: str) -> tuple[bytes, str]:
    """GB 45438-2025 §5.3 explicit cue, the §6 implicit label and the audio watermark — the same
    labeller as the speech endpoint (:func:`hegui.labeling.gateway_audio.label_generated_audio`);
    returns the file and the record's label kind."""
    samples, rate = read_wav(wav)
    mark = speech.watermarker(services)
    data = gateway_audio.label_generated_audio(samples, rate, fmt, content_id=content_id,
                                               producer_code=services.settings.service.provider_code,
                                               watermark=mark, mode=services.settings.labels.audio_explicit)
    return data, "audio:explicit+implicit" + ("+watermark" if mark is not None else "")


class LabelMedia(Step):
    """Labels on every generated voice and face (DS Art 17; GB 45438-2025 §§5.2, 5.3, 6): audio gets
    the rhythm cue and the implicit label; an image the explicit mark, the watermark and the
    implicit label (:func:`~hegui.gateway.pipeline.label.label_image`)."""

    name: ClassVar[str] = "label_media"
    finishing: ClassVar[bool] = True

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        assert isinstance(ex, LikenessExchange)
        sv = self.services
        content_id = ex.record.content_id = ex.record.content_id or new_content_id()
        if ex.status != "ok":  # refused: nothing leaves, nothing is labelled
            return Flow.CONTINUE
        if ex.endpoint == VOICE:
            fmt = ex.body["format"]
            ex.media, kind = await run_in_threadpool(_label_audio, sv, ex.media, content_id=content_id, fmt=fmt)
            ex.media_type = AUDIO_FORMATS[fmt]
            ex.record.output, ex.record.label = "[1 audio clip]", kind
        else:
            ex.media = await label.label_image(sv, ex.media, content_id)
            await run_in_threadpool(write_atomic, sv.outputs_dir / f"{content_id}.png", ex.media)
            ex.media_type = "image/png"
            ex.record.output = "[1 image]"
            ex.record.label = "image:explicit+implicit" + ("+watermark" if sv.settings.labels.image_watermark else "")
        return Flow.CONTINUE


def _text(body: dict[str, Any]) -> str:
    return body.get("text") or ""


def pipeline(services: Services, request: Request, endpoint: str) -> Pipeline:
    steps: list[Step] = [ReadLikeness(services, request), Admit(services), CheckConsent(services)]
    if endpoint == VOICE:  # the only text the model reads (Interim Measures Art 14)
        steps.append(ModerateInput(services, _text))
    steps += [CheckConsentSubject(services), LikenessCheck(services, "input"), Synthesize(services), LikenessCheck(services, "output"),
              LabelMedia(services)]
    return Pipeline(steps, Commit(services))


async def generate(services: Services, ex: LikenessExchange, request: Request) -> tuple[bytes, str, dict[str, str]]:
    """``(labelled media, media type, headers)``; a refusal or failure raises once it is recorded."""
    async with contextlib.aclosing(pipeline(services, request, ex.endpoint).run(ex)) as steps:
        async for _ in steps:
            pass
    verdict = ex.input_verdict
    if ex.status == "refused" and verdict is not None:
        raise ContentRefused(message_en=verdict.message_en or "text refused",
                             message_zh=verdict.message_zh or "文本未通过审核")
    content_id = ex.record.content_id or ""
    headers = {"X-Hegui-Content-Id": content_id, "X-AIGC-Label": label.label_header(services, content_id),
               "X-Hegui-Consent": ex.record.consent_id or "", "X-Hegui-Model": ex.record.model or ""}
    return ex.media, ex.media_type, headers
