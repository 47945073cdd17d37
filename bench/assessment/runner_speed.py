"""Runner overhead against a fast local stub (issue 10, "Benchmark": questions/s at concurrency 32,
goal ≥ 300/s on 2 cores).

The stub is the gateway benchmark's raw-asyncio upstream (``bench/gateway/upstream.py``: a 1,000-
character answer, nothing slept) in its own process pinned to CPU 1; the runner runs in this process
pinned to CPU 0, with its real state (SQLite WAL, ``synchronous=FULL``, group commit) in a temp
directory. Each row is a fresh run of ``QUESTIONS`` items; "runner CPU" is this process's user+system
seconds over the run (a share of one core).

Usage: ``python bench/assessment/runner_speed.py [--questions 2000] [--concurrency 32 8] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "gateway"))
sys.path.insert(0, str(ROOT / "src"))

from procs import AUX_CPU, SUT_CPU, Procs, cpus  # noqa: E402

from hegui.assessment.models import BankItem, BankKind  # noqa: E402
from hegui.assessment.runner import RunConfig, RunState, ask_all  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def one_run(url: str, n: int, concurrency: int) -> dict[str, float]:
    items = [BankItem(id=f"b{i}", prompt=f"测试问题 {i}：请介绍一下中国的传统节日。", bank=BankKind.GENERATED,
                      risk="A5a") for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="hegui-runner-bench-") as tmp:
        state = RunState(Path(tmp) / "run").init({"endpoint": url, "model": "fast-model", "seed": 0}, items)
        config = RunConfig(endpoint=url, model="fast-model", concurrency=concurrency, timeout_s=30, retries=2)
        cpu0, t0 = time.process_time(), time.perf_counter()
        stats = asyncio.run(ask_all(config, state))
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        answers = state.answers()
        state.close()
    lat = [a.latency_ms for a in answers.values()]
    if stats.ok != n:
        raise SystemExit(f"expected {n} ok answers, got ok={stats.ok} refused={stats.refused} error={stats.error}")
    return {"qps": n / wall, "p50": percentile(lat, 0.5), "p95": percentile(lat, 0.95), "cpu_s": cpu,
            "cpu_pct": 100 * cpu / wall, "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[32, 8])
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    runner_cpus, stub_cpus = sorted(cpus(SUT_CPU)), sorted(cpus(AUX_CPU))
    with tempfile.TemporaryDirectory(prefix="hegui-runner-bench-procs-") as work:
        procs = Procs(Path(work))
        try:
            port, _ = procs.upstream()  # pinned to the stub's CPU before this process pins itself
            os.sched_setaffinity(0, set(runner_cpus))
            url = f"http://127.0.0.1:{port}/v1"
            one_run(url, 200, 8)  # warm-up: imports, connections, page cache
            rows = []
            for c in a.concurrency:
                runs = [one_run(url, a.questions, c) for _ in range(a.repeat)]
                best = max(runs, key=lambda r: r["qps"])
                rows.append((c, best, statistics.median(r["qps"] for r in runs)))
        finally:
            procs.close()
    print(f"runner vs fast stub · {a.questions} questions · runner on CPU {runner_cpus}, stub on CPU "
          f"{stub_cpus} · {os.cpu_count()} CPUs · Python {sys.version.split()[0]} · "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine lowers every number)")
    print(f"{'concurrency':>11} | {'q/s best':>8} | {'q/s median':>10} | {'p50 ms':>7} | {'p95 ms':>7} | "
          f"{'runner CPU s':>12} | {'CPU % of 1 core':>15}")
    print("-" * 88)
    for c, r, med in rows:
        print(f"{c:>11} | {r['qps']:>8.0f} | {med:>10.0f} | {r['p50']:>7.1f} | {r['p95']:>7.1f} | "
              f"{r['cpu_s']:>12.2f} | {r['cpu_pct']:>15.0f}")


if __name__ == "__main__":
    main()
