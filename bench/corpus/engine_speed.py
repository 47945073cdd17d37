"""Corpus engine speed: records/s per core and peak memory, local (1 and 2 workers) vs Ray on 2 cores.

    PYTHONPATH=src python bench/corpus/engine_speed.py --gb 0.2 [--steps synthetic|fast|default] [--no-ray]

Writes a synthetic JSONL corpus (mixed Chinese/English lines, some duplicates) of ``--gb`` GB to a
temporary folder, runs :func:`hegui.corpus.audit.run_audit` once per engine and prints a table.
Peak RSS is sampled every 0.2 s over this process and all its descendants (pool workers, raylet and
Ray workers; the Ray run includes starting Ray, ~5 s). ``--steps synthetic`` is a CPU-only stand-in (character classes, a hash); ``fast`` /
``default`` use :func:`hegui.corpus.steps.default_steps` when that module is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))  # Ray / spawn workers import this module by path

from hegui.corpus.audit import run_audit  # noqa: E402
from hegui.corpus.engine import LocalEngine, RayEngine  # noqa: E402
from hegui.corpus.record import CorpusRecord  # noqa: E402

WORDS = ["数据", "训练", "模型", "安全", "合规", "标注", "语料", "the", "model", "data", "license", "你好", "世界"]


class SyntheticStep:
    """CPU work per record comparable to light text filters: counts and a SHA-256."""

    name: ClassVar[str] = "synthetic"
    version: ClassVar[str] = "1"

    def setup(self) -> None:
        pass

    def process(self, batch: Sequence[CorpusRecord]) -> list[CorpusRecord]:
        for r in batch:
            cjk = sum(1 for c in r.text if "\u4e00" <= c <= "\u9fff")
            r.findings["synthetic"] = {"cjk": cjk, "len": len(r.text),
                                       "h": hashlib.sha256(r.text.encode()).hexdigest()[:8]}
            if "禁" in r.text:
                r.exclude("banned")
        return list(batch)


def write_corpus(folder: Path, gb: float, seed: int = 7) -> tuple[Path, int]:
    rng = random.Random(seed)
    path, target, n = folder / "synthetic.jsonl", int(gb * 1e9), 0
    with open(path, "w", encoding="utf-8") as f:
        size = 0
        while size < target:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 400)))
            line = json.dumps({"text": text}, ensure_ascii=False) + "\n"
            f.write(line)
            size += len(line.encode())
            n += 1
    return path, n


def tree_rss(root: int) -> int:
    """RSS in bytes of ``root`` and its descendants (psutil when installed, else Linux ``/proc``)."""
    try:
        import psutil
    except ModuleNotFoundError:
        psutil = None
    if psutil is not None:
        proc, total = psutil.Process(root), 0
        for p in [proc, *proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:  # noqa: BLE001 - a process that just ended
                pass
        return total
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grew = {root}, True
    while grew:
        new = {pid for pid, pp in parent.items() if pp in tree and pid not in tree}
        tree |= new
        grew = bool(new)
    total = 0
    for pid in tree:
        try:
            total += int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


class PeakRSS:
    def __init__(self) -> None:
        self.peak, self._stop = 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(os.getpid()))
            time.sleep(0.2)

    def __enter__(self) -> PeakRSS:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def steps_for(kind: str) -> list:
    if kind == "synthetic":
        import engine_speed  # by module name, not __main__, so Ray workers can unpickle it

        return [engine_speed.SyntheticStep()]
    from hegui.corpus.steps import default_steps

    return default_steps(fast=kind == "fast")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=0.2)
    ap.add_argument("--steps", default="synthetic", choices=["synthetic", "fast", "default"])
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--keep", type=Path, help="corpus folder to reuse / keep")
    ap.add_argument("--local-workers", default="1,2", help="comma-separated worker counts of the local runs")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hegui-bench-"))
    folder = a.keep or tmp
    folder.mkdir(parents=True, exist_ok=True)
    existing = folder / "synthetic.jsonl"
    t = time.monotonic()
    if existing.exists():
        path, n = existing, sum(1 for _ in open(existing, "rb"))
    else:
        path, n = write_corpus(folder, a.gb)
    print(f"corpus {path.stat().st_size / 1e9:.3f} GB, {n} records (prepared in {time.monotonic() - t:.1f} s); "
          f"steps={a.steps}; cpus={os.cpu_count()}")
    runs = [("local", w, lambda w=w: LocalEngine(workers=w, batch_size=a.batch_size))
            for w in (int(x) for x in a.local_workers.split(","))]
    if not a.no_ray:
        def ray_engine() -> RayEngine:  # started inside the measured run: its processes count
            import ray

            here = str(Path(__file__).resolve().parent)
            ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([here, *sys.path])}})
            return RayEngine(batch_size=a.batch_size, num_cpus=2)

        runs.append(("ray", 2, ray_engine))
    rows = []
    for name, cores, make in runs:
        out = tmp / f"out-{name}-{cores}"
        with PeakRSS() as peak:
            t = time.monotonic()
            result = run_audit([path], out, steps=steps_for(a.steps), passes=[], engine=make(), resume=False)
            dt = time.monotonic() - t
        assert result.records == n
        rows.append((name, cores, dt, n / dt, n / dt / cores, peak.peak / 2**20))
        shutil.rmtree(out, ignore_errors=True)
    print(f"{'engine':8} {'cores':>5} {'seconds':>9} {'rec/s':>10} {'rec/s/core':>11} {'peak RSS MiB':>13}")
    for name, cores, dt, rps, rpc, mib in rows:
        print(f"{name:8} {cores:>5} {dt:>9.1f} {rps:>10.0f} {rpc:>11.0f} {mib:>13.0f}")
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
