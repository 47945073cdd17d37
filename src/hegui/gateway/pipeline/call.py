"""CallUpstream — the model: a whole answer, a stream, or images (Interim Measures Art 7).

The body sent is the checked one (:func:`~.request.upstream_body`), with the guidance of a guided
input as its first system message. An upstream failure mid-stream ends the answer in-band: the
client gets the error text and ``finish_reason: error``, the record status ``error``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import ClassVar

from hegui.errors import HeguiError
from hegui.gateway.pipeline import moderate, request
from hegui.gateway.pipeline.base import Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.gateway.upstream import Upstream

IMAGE_KEYS = ("prompt", "n", "size", "quality", "style", "seed", "negative_prompt", "steps", "guidance")


class CallUpstream(Step):
    name: ClassVar[str] = "call_upstream"

    async def run(self, ex: Exchange) -> Flow:
        up = ex.upstream
        if up is None:
            raise RuntimeError("CallUpstream needs a reader step that routes the model")
        if ex.endpoint == "images.generations":
            started = time.perf_counter()
            ex.images = await up.images({k: ex.body[k] for k in IMAGE_KEYS if k in ex.body}
                                        | {"model": ex.record.model})
            ex.record.upstream_ms = _ms_since(started)
            return Flow.CONTINUE
        if ex.input_verdict is None:
            raise RuntimeError("CallUpstream runs after ModerateInput")
        sent = request.upstream_body(moderate.guided(ex.body, ex.input_verdict, ex.lang))
        if ex.stream:
            ex.pieces = _streamed(ex, up, sent)
            return Flow.CONTINUE
        started = time.perf_counter()
        ex.result = await up.chat(sent)
        ex.record.upstream_ms = _ms_since(started)
        return Flow.CONTINUE


async def _streamed(ex: Exchange, up: Upstream, sent: dict) -> AsyncIterator[str]:
    started = time.perf_counter()
    try:
        async with contextlib.aclosing(up.chat_stream(sent)) as pieces:
            async for piece in pieces:
                ex.generated.append(piece)
                yield piece
    except HeguiError as exc:  # in-band: the answer so far stands, the error text follows it
        ex.status, ex.finish = "error", "error"
        ex.record.error_code = exc.code
        ex.tail.append("\n" + exc.message(ex.lang))
    finally:
        ex.record.upstream_ms = _ms_since(started)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
