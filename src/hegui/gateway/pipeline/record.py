"""Step 6 — the usage record, committed before the client gets its answer, and committed anyway
when the request is cut short (Interim Measures Art 11; CSL Art 21: every request leaves a record)."""

from __future__ import annotations

import logging

import anyio
from sqlalchemy.orm import Session

from hegui.errors import HeguiError
from hegui.gateway.pipeline.context import RequestContext
from hegui.gateway.services import Services
from hegui.storage.models import EndUser

log = logging.getLogger("hegui.gateway")


async def commit(services: Services, ctx: RequestContext, status: str) -> str:
    ctx.committed = True  # one write per request, whatever its outcome
    rec = ctx.record
    rec.status = status
    rec.total_ms = round(ctx.elapsed_ms(), 3)

    def escalation(s: Session) -> None:
        """Repeat-violator rule on the input decision, in the record's transaction.

        The identity gate's user row is attached with ``merge(load=False)``: no second SELECT of
        the same row, yet changes a hook makes to it are still written in this transaction."""
        if rec.input_verdict is not None and rec.user_id:
            user = s.merge(ctx.user, load=False) if ctx.user is not None else s.get(EndUser, rec.user_id)
            if user is not None:
                services.enforcement.after_input_verdict(s, user, rec.input_verdict)

    try:
        return await services.db.run(services.writer.write, rec, escalation)
    except HeguiError:
        ctx.committed = False  # rolled back, nothing written: a failure record may still be tried
        raise


async def commit_failure(services: Services, ctx: RequestContext, err: HeguiError) -> None:
    """Best effort: a failure record for a request that could not be served."""
    if ctx.committed:
        return
    ctx.committed = True
    rec = ctx.record
    rec.status = "refused" if err.code in ("CONTENT_REFUSED",) else "error"
    rec.error_code = err.code
    rec.output = ""
    rec.total_ms = round(ctx.elapsed_ms(), 3)
    try:
        await services.db.run(services.writer.write, rec)
    except HeguiError:
        pass


async def commit_unfinished(services: Services, ctx: RequestContext, status: str) -> None:
    """The record of a request cut short — the client went away (``client_closed``), the task was
    cancelled, an unexpected error — unless it was already written. Shielded from cancellation:
    it runs while the request's task is being cancelled. Never raises (the caller is unwinding)."""
    if ctx.committed:
        return
    with anyio.CancelScope(shield=True):
        try:
            await commit(services, ctx, status)
        except Exception as exc:  # noqa: BLE001 - logged; the original exception goes on
            log.error("usage record of %s (%s) not written: %s", ctx.request_id, status, exc)
