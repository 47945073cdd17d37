"""Chat completions: the step list, and the two shapes an answer leaves in — one JSON completion,
or SSE chunks (Interim Measures Arts 11, 14; GB 45438 §5).

Both run the same pipeline; a stream differs only in the variant each output step takes (an
async iterator instead of a whole text)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from hegui.gateway.pipeline import label, provenance, request
from hegui.gateway.pipeline.base import READY, Pipeline
from hegui.gateway.pipeline.blocklist import Blocklist
from hegui.gateway.pipeline.call import CallUpstream
from hegui.gateway.pipeline.copies import CheckCopies, FingerprintOutputs
from hegui.gateway.pipeline.exchange import Exchange
from hegui.gateway.pipeline.identity import Admit
from hegui.gateway.pipeline.moderate import ModerateInput, ModerateOutput
from hegui.gateway.pipeline.record import Commit
from hegui.moderation.base import Verdict

if TYPE_CHECKING:
    from hegui.app.services import Services


def pipeline(services: Services) -> Pipeline:
    """ReadChat → Admit → CheckParent → ModerateInput → CallUpstream → ModerateOutput → Blocklist →
    CheckCopies → Label → RecordProvenance → FingerprintOutputs, then Commit."""
    return Pipeline([request.ReadChat(services), Admit(services), provenance.CheckParent(services),
                     ModerateInput(services, provenance.with_edit(request.moderated_text)), CallUpstream(),
                     ModerateOutput(services), Blocklist(services), CheckCopies(services), label.Label(services),
                     provenance.RecordProvenance(services), FingerprintOutputs(services)],
                    Commit(services))


def moderation_info(input_verdict: Verdict | None, output_verdict: Verdict | None) -> dict[str, Any]:
    """``hegui.moderation`` in every answer, JSON or SSE: ``{input, output}``, output ``null`` when
    the input was refused. The API form of a verdict carries no evidence text (PIPL Art 51)."""
    return {"input": input_verdict.to_api_dict() if input_verdict is not None else None,
            "output": output_verdict.to_api_dict() if output_verdict is not None else None}


def headers(services: Services, ex: Exchange) -> dict[str, str]:
    content_id = ex.record.content_id or ""
    return {"X-Hegui-Content-Id": content_id, "X-AIGC-Label": label.label_header(services, content_id)}


async def answer(services: Services, ex: Exchange) -> tuple[dict[str, Any] | AsyncIterator[bytes], dict[str, str]]:
    """Run the pipeline up to READY — every check that can fail with an HTTP error is behind — then
    the answer: a JSON completion (its record already committed), or for ``stream: true`` the SSE
    chunks, whose last write leaves once the record is committed."""
    run = pipeline(services).run(ex)
    try:
        if await run.__anext__() != READY:
            raise RuntimeError("the pipeline did not start with READY")
        if ex.stream:
            events = _events(services, ex, run)
            await events.__anext__()  # started: closing the events now closes the pipeline
            return events, headers(services, ex)
        async for _ in run:  # nothing more is yielded; the pipeline commits and ends
            pass
    except BaseException:
        await run.aclose()
        raise
    return completion(services, ex), headers(services, ex)


def completion(services: Services, ex: Exchange) -> dict[str, Any]:
    content_id = ex.record.content_id
    info = label.text_label_info(services, content_id or "")
    info["moderation"] = moderation_info(ex.input_verdict, ex.output_verdict)
    if ex.notice:  # anti-dependence reminder (Interim Measures Art 10)
        info["notice"] = ex.notice
    usage = ex.result.usage if ex.result is not None else {}
    return {"id": content_id, "object": "chat.completion", "created": int(time.time()), "model": ex.body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ex.answer},
                         "finish_reason": ex.finish}],
            "usage": usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "hegui": info}


def _sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


_DONE = b"data: [DONE]\n\n"


class _Chunks:
    """SSE chunk bytes for one answer (same id, created and model on every chunk, as OpenAI does).

    Content deltas, one per released piece, are the hot path: their frame is pre-built and only
    the text is encoded per chunk (orjson)."""

    def __init__(self, content_id: str, model: str) -> None:
        self.head = {"id": content_id, "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": model}
        frame = _sse({**self.head, "choices": [{"index": 0, "delta": {"content": "\x00"}, "finish_reason": None}]})
        self._before, _, self._after = frame.rpartition(b'"\\u0000"')  # the delta is the last string

    def content(self, text: str) -> bytes:
        return self._before + orjson.dumps(text) + self._after

    def event(self, delta: dict[str, Any], finish: str | None = None, extra: dict[str, Any] | None = None) -> bytes:
        obj: dict[str, Any] = {**self.head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if extra is not None:
            obj["hegui"] = extra
        return _sse(obj)


async def _events(services: Services, ex: Exchange, run: AsyncGenerator[str, None]) -> AsyncIterator[bytes]:
    """SSE chunks. Events that leave together are joined into one write (one system call and one
    wake-up of the client each, the main per-event cost in the profiles). Whatever happens to the
    client — a disconnect or cancellation at any point, an unexpected error — the pipeline's
    ``finally`` commits the record with the text sent so far (Interim Measures Art 11)."""
    async with contextlib.aclosing(run) as pieces:  # closing the events closes the pipeline
        yield b""  # to :func:`answer`, never sent
        content_id = ex.record.content_id or ""
        chunks = _Chunks(content_id, ex.body["model"])
        info = label.text_label_info(services, content_id)
        if ex.notice:  # anti-dependence reminder (Interim Measures Art 10)
            info["notice"] = ex.notice
        first = chunks.event({"role": "assistant", "content": ""}, extra=info)
        if ex.pieces is None:  # the input was refused: the whole answer in one write, once committed
            async for _ in pieces:
                pass
            yield (first + chunks.content(ex.answer)
                   + chunks.event({}, ex.finish, {"moderation": moderation_info(ex.input_verdict, None),
                                                  "content_id": content_id}) + _DONE)
            return
        if ex.head:
            ex.sent.append(ex.head)
            first += chunks.content(ex.head)
        yield first
        async for piece in pieces:
            ex.sent.append(piece)
            yield chunks.content(piece)
    # the pipeline has ended: the record is committed; the rest of the answer goes in one write
    yield (b"".join(chunks.content(t) for t in ex.tail)
           + chunks.event({}, ex.finish, {"moderation": moderation_info(ex.input_verdict, ex.output_verdict),
                                          "content_id": content_id})
           + _DONE)
