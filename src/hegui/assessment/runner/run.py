"""Ask every pending item of a run and store each answer as it arrives (GB/T 45654 B.2; Interim
Measures Art 17: the assessment before launch and after every major change).

Durability: answers are committed by a writer task that wakes as soon as any answer arrives and
commits everything that arrived since its last commit in one transaction (SQLite WAL,
``synchronous=FULL``; the fsync runs in a worker thread, so a commit never stalls the requests).
A kill -9 therefore loses only the requests in flight and the answers that arrived while the
previous commit was under way (one fsync's worth, a few milliseconds); those items have no answer in
the state and are asked again on the next run — an answered item is never asked twice. Cancelling (Ctrl-C) saves every
answer received before it stops.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from hegui.assessment.errors import AssessmentError
from hegui.assessment.models import Answer, AnswerStatus, BankItem
from hegui.assessment.runner.client import EndpointClient
from hegui.assessment.runner.config import RunConfig
from hegui.assessment.runner.progress import ProgressSink
from hegui.assessment.runner.state import RunState

STARTUP_ABORT = 3  # the endpoint looks down from the start: stop after this many failures


@dataclass(frozen=True, slots=True)
class RunStats:
    """This call's work: answers stored by status, items already answered before it (``skipped``),
    seconds spent and answers per second."""

    ok: int
    refused: int
    error: int
    skipped: int
    elapsed_s: float

    @property
    def asked(self) -> int:
        return self.ok + self.refused + self.error

    @property
    def per_s(self) -> float:
        return self.asked / self.elapsed_s if self.elapsed_s > 0 else 0.0


def down(answer: Answer) -> bool:
    """An answer that says the endpoint is not serving (no HTTP reply, 429, 5xx)."""
    return answer.status is AnswerStatus.ERROR and (answer.http_status in (0, 429) or answer.http_status >= 500)


class _Writer:
    """Group commit: one transaction for every answer that arrived since the last one. The commit
    (an fsync) runs in a worker thread so the event loop keeps serving requests meanwhile; answers
    stay in ``buffer`` until their transaction has committed."""

    def __init__(self, state: RunState, on_saved: Callable[[list[Answer]], None]) -> None:
        self.state, self.on_saved = state, on_saved
        self.buffer: list[Answer] = []
        self.wake = asyncio.Event()
        self._commit: asyncio.Future[None] | None = None
        self._batch: list[Answer] = []

    def add(self, answer: Answer) -> None:
        self.buffer.append(answer)
        self.wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.buffer:
                self._batch = list(self.buffer)
                self._commit = loop.run_in_executor(None, self.state.save_answers, self._batch)
                await asyncio.shield(self._commit)  # a cancel waits in close(), never mid-commit
                self._settled()

    def _settled(self) -> None:
        batch, self._batch, self._commit = self._batch, [], None
        del self.buffer[:len(batch)]
        self.on_saved(batch)

    async def close(self) -> None:
        """After the writer task has stopped: let a commit under way finish, then commit the rest."""
        if self._commit is not None:
            await asyncio.wait([self._commit])
            if self._commit.exception() is None:
                self._settled()
        if self.buffer:
            self._batch = list(self.buffer)
            self.state.save_answers(self._batch)
            self._settled()


async def ask_all(config: RunConfig, state: RunState, items: Sequence[BankItem] | None = None, *,
                  progress: ProgressSink | None = None,
                  transport: httpx.AsyncBaseTransport | None = None) -> RunStats:
    """Ask ``items`` (default: all of the run) that are still pending in ``state``; each answer is
    stored as it arrives. Raises :class:`AssessmentError` when the endpoint is unusable (bad key or
    model, or down) — every answer received until then is kept, and the same command resumes."""
    pending = state.pending()
    wanted = {it.id for it in (state.items() if items is None else items)}
    queue = deque(it for it in pending if it.id in wanted)
    skipped = len(wanted) - len(queue)
    counts = {s: 0 for s in AnswerStatus}

    def saved(batch: list[Answer]) -> None:
        for answer in batch:
            counts[answer.status] += 1
            if progress is not None:
                progress.advance(answer)

    writer = _Writer(state, saved)
    streak = {"down": 0, "served": 0}
    started = time.perf_counter()

    async def worker(client: EndpointClient) -> None:
        while queue:
            answer = await client.ask(queue.popleft())
            writer.add(answer)
            if down(answer):
                streak["down"] += 1
            else:
                streak["down"] = 0
                streak["served"] += 1
            limit = config.abort_after if streak["served"] else min(STARTUP_ABORT, config.abort_after)
            if streak["down"] >= limit:
                raise AssessmentError(detail=(
                    f"the endpoint stopped answering ({streak['down']} failures in a row, last: {answer.error}); "
                    f"answers so far are saved, run the same command again to resume "
                    f"/ 接口连续 {streak['down']} 次无法应答，已保存已有回答，再次执行同一命令即可继续"))

    async with EndpointClient(config, transport=transport) as client:
        workers = [asyncio.create_task(worker(client)) for _ in range(min(config.concurrency, len(queue)))]
        writing = asyncio.create_task(writer.run())
        gathered = asyncio.gather(*workers)
        try:
            await asyncio.wait({gathered, writing}, return_when=asyncio.FIRST_COMPLETED)
            if writing.done():
                writing.result()  # the writer failed (disk full, state broken): raise it
            await gathered
        finally:
            for task in (*workers, writing):
                task.cancel()
            await asyncio.gather(gathered, writing, return_exceptions=True)
            await writer.close()
    return RunStats(ok=counts[AnswerStatus.OK], refused=counts[AnswerStatus.REFUSED], error=counts[AnswerStatus.ERROR],
                    skipped=skipped, elapsed_s=time.perf_counter() - started)
