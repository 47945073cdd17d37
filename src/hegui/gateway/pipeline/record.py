"""Commit — the usage record, written once per request, in the pipeline's ``finally`` and
shielded from cancellation (Interim Measures Art 11; CSL Art 21: every request leaves a record).

- an answer (``ok``, ``cut``, ``refused``, or a stream ended in-band by an upstream ``error``): the
  record is committed before the client gets the answer (or the stream's final event), and the
  repeat-violator rule runs in its transaction; if that write fails, a failure record is tried and
  the error goes on;
- an error before any answer: a failure record (status ``error``, or ``refused`` for a refusal),
  best effort;
- cut short (the client went away, the task was cancelled, an unexpected error): the record holds
  the text actually sent; never raises, the original exception goes on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio
from sqlalchemy.orm import Session

from hegui.errors import HeguiError
from hegui.gateway.pipeline.exchange import Exchange
from hegui.gateway.pipeline.label import text_label_kind
from hegui.storage.models import EndUser

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.gateway")


class Commit:
    name = "commit"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> None:
        if ex.committed:
            return
        with anyio.CancelScope(shield=True):
            if ex.failure is not None:
                await self._failure(ex, ex.failure)
            elif ex.cut_short:
                await self._unfinished(ex)
            else:
                await self._answer(ex)

    async def _write(self, ex: Exchange, *, escalate: bool) -> None:
        ex.committed = True  # one write per request, whatever its outcome
        rec, sv = ex.record, self.services
        rec.status = ex.status
        rec.total_ms = round(ex.elapsed_ms(), 3)

        def escalation(s: Session) -> None:
            """Repeat-violator rule on the input decision, in the record's transaction.

            A test channel's user is left out: the regulator's banks violate on purpose, and an
            automatic sanction would end the test (an operator may still sanction it by hand).
            The identity gate's user row is attached with ``merge(load=False)``: no second SELECT of
            the same row, yet changes a hook makes to it are still written in this transaction."""
            if rec.input_verdict is not None and rec.user_id and rec.test_channel_id is None:
                user = s.merge(ex.user, load=False) if ex.user is not None else s.get(EndUser, rec.user_id)
                if user is not None:
                    sv.enforcement.after_input_verdict(s, user, rec.input_verdict)

        await sv.db.run(sv.writer.write, rec, escalation if escalate else None)

    async def _answer(self, ex: Exchange) -> None:
        try:
            await self._write(ex, escalate=True)
        except HeguiError as exc:
            ex.committed = False  # rolled back, nothing written: the failure record is tried
            await self._failure(ex, exc)
            raise

    async def _failure(self, ex: Exchange, err: HeguiError) -> None:
        """Best effort: a failure record for a request that could not be served."""
        ex.status = "refused" if err.code == "CONTENT_REFUSED" else "error"
        ex.record.error_code = err.code
        ex.record.output = ""
        try:
            await self._write(ex, escalate=False)
        except HeguiError:
            pass

    async def _unfinished(self, ex: Exchange) -> None:
        if ex.stream and ex.sent:  # what the client was actually sent
            ex.record.output = "".join(ex.sent)
            ex.record.label = text_label_kind(self.services)
        try:
            await self._write(ex, escalate=True)
        except Exception as exc:  # noqa: BLE001 - logged; the original exception goes on
            log.error("usage record of %s (%s) not written: %s", ex.request_id, ex.status, exc)
