"""Step 6 — the usage record, committed before the client gets its answer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hegui.errors import HeguiError
from hegui.gateway.pipeline.context import RequestContext
from hegui.gateway.services import Services
from hegui.storage.models import EndUser


async def commit(services: Services, ctx: RequestContext, status: str) -> str:
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

    return await services.db.run(services.writer.write, rec, escalation)


async def commit_failure(services: Services, ctx: RequestContext, err: HeguiError) -> None:
    """Best effort: a failure record for a request that could not be served."""
    rec = ctx.record
    rec.status = "refused" if err.code in ("CONTENT_REFUSED",) else "error"
    rec.error_code = err.code
    rec.output = ""
    rec.total_ms = round(ctx.elapsed_ms(), 3)
    try:
        await services.db.run(services.writer.write, rec)
    except HeguiError:
        pass
