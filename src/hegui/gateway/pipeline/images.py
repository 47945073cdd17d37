"""Image generations through the same steps as chat; every image is labeled before it leaves
(Labeling Measures Art 4; GB 45438 §§5.2, 6): ReadImages → Admit → CheckParent → ModerateInput →
CallUpstream → Blocklist → Label → RecordProvenance, then Commit. A refused prompt or a taken-down
image is an error response (:class:`ContentRefused`), sent once the record is committed. The
negative prompt is text a model reads: it is moderated with the prompt."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any, ClassVar

from hegui.errors import ContentRefused, ValidationFailed
from hegui.gateway.pipeline import label, provenance
from hegui.gateway.pipeline.base import Pipeline, Step
from hegui.gateway.pipeline.blocklist import Blocklist
from hegui.gateway.pipeline.call import CallUpstream
from hegui.gateway.pipeline.copies import IMAGE_EN, IMAGE_ZH, CheckCopies, FingerprintOutputs
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.gateway.pipeline.identity import Admit
from hegui.gateway.pipeline.moderate import ModerateInput
from hegui.gateway.pipeline.record import Commit
from hegui.gateway.pipeline.request import _number, invalid, read_body

if TYPE_CHECKING:
    from hegui.app.services import Services

DEFAULT_MODEL = "hegui-demo-image"
MAX_PROMPT_CHARS = 32_000
# the creative parameters a court asks about (*Li v. Liu*), sent by the OpenAI SDK as ``extra_body``
PARAMETERS = {"seed": _number(0, 2 ** 63 - 1, integer=True), "steps": _number(1, 500, integer=True),
              "guidance": _number(0, 100), "n": _number(1, 10, integer=True)}


def check_image_body(body: dict[str, Any]) -> None:
    """Types and ranges of the image parameters; a wrong one is a 400 naming it (zh/en)."""
    for name, check in PARAMETERS.items():
        if body.get(name) is not None:
            check(name, body[name])
    for name in ("prompt", "negative_prompt"):
        v = body.get(name)
        if v is not None and (not isinstance(v, str) or len(v) > MAX_PROMPT_CHARS):
            raise invalid(name, f"must be a string of at most {MAX_PROMPT_CHARS} characters",
                          f"须为不超过 {MAX_PROMPT_CHARS} 个字符的字符串")
    if body.get("size") is not None and not isinstance(body["size"], str):
        raise invalid("size", "must be a string such as '1024x1024'", "须为形如 1024x1024 的字符串")


class ReadImages(Step):
    name: ClassVar[str] = "read_images"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        body = await read_body(ex)
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValidationFailed(detail="'prompt' must be a non-empty string")
        check_image_body(body)
        if (body.get("response_format") or "url") not in ("b64_json", "url"):  # OpenAI's default: url
            raise ValidationFailed(detail="response_format must be 'b64_json' or 'url'")
        model = ex.record.model = body.get("model") or DEFAULT_MODEL
        ex.upstream = self.services.router.for_model(model)
        return Flow.CONTINUE


def _prompt(body: dict[str, Any]) -> str:
    """What the model reads: the prompt and the negative prompt (both moderated)."""
    negative = body.get("negative_prompt")
    return body["prompt"] + (f"\n[negative_prompt] {negative}" if negative else "")


def pipeline(services: Services, base_url: str) -> Pipeline:
    return Pipeline([ReadImages(services), Admit(services), provenance.CheckParent(services),
                     ModerateInput(services, provenance.with_edit(_prompt)), CallUpstream(),
                     Blocklist(services), CheckCopies(services), label.Label(services, base_url=base_url),
                     provenance.RecordProvenance(services), FingerprintOutputs(services)],
                    Commit(services))


async def generate(services: Services, ex: Exchange, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
    async with contextlib.aclosing(pipeline(services, base_url).run(ex)) as run:
        async for _ in run:
            pass
    verdict = ex.input_verdict
    if ex.status == "refused" and verdict is not None:
        raise ContentRefused(message_en=verdict.message_en or "prompt refused",
                             message_zh=verdict.message_zh or "提示词未通过审核")
    if ex.block is not None:
        raise ContentRefused(message_en="this image was taken down as illegal and is no longer provided",
                             message_zh="该图片已因违法违规被下架，不再提供")
    if ex.copy_match is not None:  # draft AIGC Regulation Arts 4-5: no copy of a protected work leaves
        raise ContentRefused(message_en=IMAGE_EN, message_zh=IMAGE_ZH)
    content_id = ex.record.content_id or ""
    headers = {"X-Hegui-Content-Id": content_id, "X-AIGC-Label": label.label_header(services, content_id)}
    return {"created": int(time.time()), "data": ex.outputs,
            "hegui": {"content_id": content_id,
                      "moderation": {"input": verdict.to_api_dict() if verdict else None, "output": None}}}, headers
