"""Image generation through the pipeline; every image is labeled before it leaves."""

from __future__ import annotations

import base64
import time
from typing import Any

from starlette.concurrency import run_in_threadpool

from hegui.errors import ContentRefused, ValidationFailed
from hegui.fileio import write_atomic
from hegui.gateway.pipeline import identity, label, moderate, record
from hegui.gateway.pipeline.context import RequestContext
from hegui.gateway.services import Services
from hegui.moderation.base import Action, Direction
from hegui.records.usage import new_content_id


def _save(services: Services, name: str, data: bytes) -> None:
    write_atomic(services.outputs_dir / name, data)


async def generate(services: Services, ctx: RequestContext, body: dict[str, Any], external_user: str | None,
                   base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValidationFailed(detail="'prompt' must be a non-empty string")
    fmt = body.get("response_format") or "b64_json"
    if fmt not in ("b64_json", "url"):
        raise ValidationFailed(detail="response_format must be 'b64_json' or 'url'")
    model = body.get("model") or "hegui-demo-image"
    ctx.record.model = model
    upstream = services.router.for_model(model)
    await identity.admit(services, ctx, external_user)
    ctx.record.prompt = prompt
    content_id = ctx.record.content_id = new_content_id()
    verdict = await moderate.check(services, ctx, prompt, Direction.INPUT)
    ctx.record.input_verdict = verdict
    if verdict.action.stops:
        await record.commit(services, ctx, "refused")
        raise ContentRefused(message_en=verdict.message_en or "prompt refused",
                             message_zh=verdict.message_zh or "提示词未通过审核")
    started = time.perf_counter()
    images = await upstream.images({k: body[k] for k in ("prompt", "n", "size", "quality", "style") if k in body}
                                   | {"model": model})
    ctx.record.upstream_ms = round((time.perf_counter() - started) * 1000, 3)
    data_out = []
    for i, raw in enumerate(images):
        item_id = content_id if i == 0 else f"{content_id}.{i}"
        hit = services.enforcement.blocked_image(raw)
        if hit:
            ctx.record.output_action = Action.BLOCK.value
            ctx.record.risks.append({"id": "blocklist", "score": hit.similarity, "entry": hit.entry_id})
            await record.commit(services, ctx, "cut")
            raise ContentRefused(message_en="this image was taken down as illegal and is no longer provided",
                                 message_zh="该图片已因违法违规被下架，不再提供")
        labelled = await label.label_image(services, raw, item_id)
        await run_in_threadpool(_save, services, f"{item_id}.png", labelled)
        entry: dict[str, Any] = {"revised_prompt": None}
        if fmt == "b64_json":
            entry["b64_json"] = base64.b64encode(labelled).decode()
        else:
            entry["url"] = f"{base_url.rstrip('/')}/v1/outputs/{item_id}.png"
        entry["hegui"] = {"content_id": item_id, "implicit": label.implicit_fields(services, item_id)}
        data_out.append(entry)
    ctx.record.output = f"[{len(images)} image(s)]"
    ctx.record.label = "image:explicit+implicit" + ("+watermark" if services.settings.labels.image_watermark else "")
    ctx.record.output_action = ctx.record.output_action or "allow"
    await record.commit(services, ctx, "ok")
    headers = {"X-Hegui-Content-Id": content_id, "X-AIGC-Label": label.label_header(services, content_id)}
    return {"created": int(time.time()), "data": data_out,
            "hegui": {"content_id": content_id,
                      "moderation": {"input": verdict.to_api_dict(), "output": None}}}, headers
