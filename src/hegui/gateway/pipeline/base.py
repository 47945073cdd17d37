"""The pipeline: a list of small steps over one :class:`~.exchange.Exchange`, committed in one
``finally`` (the datatrove shape: one step contract, one record type, a plain list of steps).

A step does one job and returns :class:`~.exchange.Flow`. ``STOP`` means the answer is decided
(a refused input): the remaining steps are skipped except those marked ``finishing`` (labels go on
every answer). A streamed answer is not a second orchestrator: a streaming step wraps
``exchange.pieces`` in an iterator of its own, and :meth:`Pipeline.run` releases what comes out.
Whatever happens — an answer, an error, a client gone, a cancelled task — the usage record is
written once, by :class:`~.record.Commit`, shielded from cancellation (Interim Measures Art 11).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar, Protocol

from hegui.errors import HeguiError
from hegui.gateway.pipeline.exchange import Exchange, Flow

READY = ""  # the first item :meth:`Pipeline.run` yields: every check that ends in an HTTP error is behind


class Step(ABC):
    """One job on the exchange."""

    name: ClassVar[str]
    finishing: ClassVar[bool] = False  # runs after a STOP too

    @abstractmethod
    async def run(self, ex: Exchange) -> Flow: ...


class Finisher(Protocol):
    async def run(self, ex: Exchange) -> None: ...


class Pipeline:
    def __init__(self, steps: Sequence[Step], commit: Finisher) -> None:
        self.steps = tuple(steps)
        self.commit = commit

    async def run(self, ex: Exchange) -> AsyncIterator[str]:
        """Run the steps; yield :data:`READY`, then each piece of a streamed answer as it is
        released; return once the record is committed (the caller then sends the final answer)."""
        ready = False
        try:
            stopped = False
            for step in self.steps:
                if stopped and not step.finishing:
                    continue
                stopped = await step.run(ex) is Flow.STOP or stopped
            ready = True
            yield READY
            if ex.pieces is not None:
                async with contextlib.aclosing(ex.pieces) as pieces:  # closed (and noted) before Commit
                    async for piece in pieces:
                        yield piece
        except (GeneratorExit, asyncio.CancelledError):
            ex.status, ex.cut_short = "client_closed", True  # the client went away, or the task was cancelled
            raise
        except HeguiError as exc:
            if ready:  # mid-answer: the record keeps what was sent
                ex.status, ex.cut_short = "error", True
                ex.record.error_code = ex.record.error_code or exc.code
            else:  # no answer yet: a failure record, and the error goes to the client
                ex.failure = exc
            raise
        except BaseException as exc:
            ex.status, ex.cut_short = "error", True
            ex.record.error_code = ex.record.error_code or getattr(exc, "code", HeguiError.code)
            raise
        finally:
            await self.commit.run(ex)
