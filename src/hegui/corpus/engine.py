"""Engines: run per-record steps over a stream of records, in this machine's processes or on Ray
Data, with the same decisions (Interim Measures Art 7; GB/T 45654 Annex B.2.1 at corpus scale).

The steps travel as a pickled list of *unset-up* step objects (their configuration only); each
worker unpickles it and calls ``setup()`` once (load models there, not in ``__init__``). Steps must
be deterministic per record — batches only exist for throughput, and their boundaries differ
between engines. An engine checks the step contract: a batch comes back with the same records in the
same order (a step that drops or adds records raises :class:`EngineError`).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import pickle
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, Protocol

from hegui.corpus.record import CorpusRecord, RecordStep
from hegui.errors import HeguiError


class EngineError(HeguiError):
    code = "CORPUS_ENGINE_FAILED"
    http_status = 500
    message_zh = "语料处理引擎出错：{detail}"
    message_en = "The corpus engine failed: {detail}"


class Engine(Protocol):
    name: str

    def run(self, records: Iterable[CorpusRecord], steps: Sequence[RecordStep]) -> Iterator[CorpusRecord]: ...


def _spec(steps: Sequence[RecordStep]) -> bytes:
    try:
        return pickle.dumps(list(steps))
    except Exception as exc:  # noqa: BLE001 - any pickling failure is a contract error
        raise EngineError(detail=f"steps must be picklable before setup() ({exc})") from exc


def _batches(records: Iterable[CorpusRecord], size: int) -> Iterator[list[CorpusRecord]]:
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


def apply_steps(steps: Sequence[RecordStep], batch: list[CorpusRecord]) -> list[CorpusRecord]:
    """Run ``steps`` over ``batch`` in order, checking that each returns the same records."""
    ids = [r.id for r in batch]
    for step in steps:
        batch = list(step.process(batch))
        if [r.id for r in batch] != ids:
            raise EngineError(detail=f"step {step.name!r} changed the batch (records must come back 1:1, in order)")
    return batch


_WORKER_STEPS: list[RecordStep] | None = None


def _init_worker(spec: bytes) -> None:
    global _WORKER_STEPS
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER_STEPS = pickle.loads(spec)
    for step in _WORKER_STEPS:
        step.setup()


def _work(batch: list[CorpusRecord]) -> list[CorpusRecord]:
    assert _WORKER_STEPS is not None
    return apply_steps(_WORKER_STEPS, batch)


class LocalEngine:
    """Multiprocessing on this machine (``spawn``: safe with threads, CUDA and Ray in the parent).

    Streaming with bounded memory: at most ``2 × workers`` batches are in flight; results come back
    in input order. ``workers <= 1`` runs in this process (no pool) — same results.
    """

    name = "local"

    def __init__(self, workers: int | None = None, batch_size: int = 256) -> None:
        self.workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self.batch_size = max(1, batch_size)

    def run(self, records: Iterable[CorpusRecord], steps: Sequence[RecordStep]) -> Iterator[CorpusRecord]:
        spec = _spec(steps)
        if self.workers <= 1:
            local = pickle.loads(spec)  # the same copy semantics as a worker: the caller's objects stay untouched
            for step in local:
                step.setup()
            for batch in _batches(records, self.batch_size):
                yield from apply_steps(local, batch)
            return
        ctx = mp.get_context("spawn")
        with ctx.Pool(self.workers, initializer=_init_worker, initargs=(spec,)) as pool:
            pending: deque[Any] = deque()
            for batch in _batches(records, self.batch_size):
                pending.append(pool.apply_async(_work, (batch,)))
                while len(pending) >= 2 * self.workers:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()


class _RayStepRunner:
    """The ``map_batches`` callable class: builds the steps and calls ``setup()`` once per actor."""

    def __init__(self, spec: bytes) -> None:
        self.steps = pickle.loads(spec)
        for step in self.steps:
            step.setup()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        records = [CorpusRecord.from_row(json.loads(r)) for r in batch["row"]]
        out = apply_steps(self.steps, records)
        return {"i": batch["i"], "row": [json.dumps(r.to_row(), ensure_ascii=False) for r in out]}


class RayEngine:
    """Ray Data: ``from_items`` → ``map_batches(_RayStepRunner)`` → rows collected back in order.

    Records travel as JSON strings (``to_row``/``from_row``), one column, so heterogeneous
    ``findings`` need no Arrow schema. Bounded memory: the input is cut into chunks of
    ``chunk_records`` records, one Ray dataset each (actors run ``setup()`` once per chunk).
    ``address``: ``None`` starts (or joins) a local Ray; ``"auto"`` or ``"ray://host:10001"`` a cluster.
    """

    name = "ray"

    def __init__(self, address: str | None = None, batch_size: int = 256, num_cpus: int | None = None,
                 concurrency: int | None = None, chunk_records: int = 100_000) -> None:
        self.address = address
        self.batch_size = max(1, batch_size)
        self.num_cpus = num_cpus
        self.concurrency = concurrency
        self.chunk_records = max(self.batch_size, chunk_records)

    def _ray(self) -> Any:
        try:
            import ray
        except ModuleNotFoundError as exc:
            raise EngineError(detail="Ray is not installed: pip install 'hegui[ray]'") from exc
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "ignore_reinit_error": True, "log_to_driver": False}
            if self.address is None:
                kwargs["num_cpus"] = self.num_cpus
            ray.init(address=self.address, **kwargs)
        return ray

    def run(self, records: Iterable[CorpusRecord], steps: Sequence[RecordStep]) -> Iterator[CorpusRecord]:
        spec = _spec(steps)
        ray = self._ray()
        import ray.data

        workers = self.concurrency or max(1, int(self.num_cpus or ray.cluster_resources().get("CPU", 1)))
        it = iter(records)
        while chunk := list(islice(it, self.chunk_records)):
            items = [{"i": i, "row": json.dumps(r.to_row(), ensure_ascii=False)} for i, r in enumerate(chunk)]
            del chunk
            ds = ray.data.from_items(items, override_num_blocks=max(1, min(len(items) // self.batch_size, 4 * workers)))
            ds = ds.map_batches(_RayStepRunner, fn_constructor_args=(spec,), batch_size=self.batch_size,
                                batch_format="numpy", num_cpus=1,
                                compute=ray.data.ActorPoolStrategy(size=min(workers, max(1, len(items) // self.batch_size))))
            out: list[str | None] = [None] * len(items)
            try:
                for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                    for i, row in zip(batch["i"], batch["row"]):
                        out[int(i)] = str(row)
            except Exception as exc:  # noqa: BLE001 - a step failing on an actor surfaces as a Ray error
                raise EngineError(detail=f"Ray job failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
                    from exc
            if any(r is None for r in out):
                raise EngineError(detail="Ray returned fewer records than it was given")
            for row in out:
                yield CorpusRecord.from_row(json.loads(row))  # type: ignore[arg-type]


def make_engine(kind: str, *, workers: int | None = None, ray_address: str | None = None,
                batch_size: int = 256) -> Engine:
    """``local`` or ``ray`` (the CLI's ``--engine``)."""
    if kind == "local":
        return LocalEngine(workers=workers, batch_size=batch_size)
    if kind == "ray":
        return RayEngine(address=ray_address, batch_size=batch_size, num_cpus=workers if ray_address is None else None)
    raise EngineError(detail=f"unknown engine {kind!r} (local | ray)")
