"""Where does the gateway spend its time? Sample ``hegui serve`` with py-spy under load.

    .venv/bin/python bench/gateway/pyspy_profile.py [--stream] [--concurrency 1] [--seconds 15] [--storage sqlite]

Starts the fast upstream and hegui like ``run.py``, drives a closed loop of requests while
``py-spy record --gil`` samples the gateway process (only the thread holding the GIL, i.e. where
the one CPU goes), then prints the share of samples per library and the top functions (inclusive
and self). py-spy lives in a side venv (default ``/work/gwbench-tools-venv``; ``pip install
py-spy``), never in the project venv.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import Target, percentile, run_load
from procs import AUX_CPU, Procs, cpus
from run import moderation_engine, resolve_src
from upstream import TEXT

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*)(?::(?P<line>\d+))?\)$")
BUCKETS = (  # first match on the frame's file path wins; order matters
    ("hegui: records (write)", "hegui/records/"),
    ("hegui: identity", "hegui/identity/"),
    ("hegui: moderation", "hegui/moderation/"),
    ("hegui: cases/enforcement", "hegui/cases/"),
    ("hegui: gateway pipeline", "hegui/gateway/"),
    ("hegui: storage", "hegui/storage/"),
    ("SQLAlchemy", "sqlalchemy/"),
    ("sqlite3 driver", "sqlite3/"),
    ("psycopg driver", "psycopg/"),
    ("httpx/httpcore (upstream client)", "httpx/"),
    ("httpx/httpcore (upstream client)", "httpcore/"),
    ("anyio threads", "anyio/"),
    ("prometheus_client", "prometheus_client/"),
    ("starlette/fastapi", "starlette/"),
    ("starlette/fastapi", "fastapi/"),
    ("uvicorn", "uvicorn/"),
    ("cryptography", "cryptography/"),
    ("pydantic", "pydantic"),
    ("asyncio/uvloop", "asyncio/"),
    ("asyncio/uvloop", "uvloop/"),
)


def parse_raw(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """py-spy ``--format raw`` (collapsed stacks): ``frame;frame;... count``, root first."""
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for f in stack.split(";"):
            m = _FRAME.match(f)
            frames.append((m.group("func"), m.group("file")) if m else (f, ""))
        stacks.append((frames, int(count)))
    return stacks


def bucket_of(frames: list[tuple[str, str]]) -> str:
    """The innermost hegui frame names the step; otherwise the innermost known library."""
    for _, file in reversed(frames):
        if "hegui/" in file:
            for name, pat in BUCKETS:
                if pat in file and name.startswith("hegui"):
                    return name
    for _, file in reversed(frames):
        for name, pat in BUCKETS:
            if pat in file and not name.startswith("hegui"):
                return name
    return "other"


def report(stacks: list[tuple[list[tuple[str, str]], int]], top: int) -> str:
    total = sum(c for _, c in stacks) or 1
    lines = [f"{total} GIL samples"]
    by_lib: collections.Counter[str] = collections.Counter()
    incl_lib: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    self_: collections.Counter[str] = collections.Counter()
    for frames, c in stacks:
        leaf_file = frames[-1][1] if frames else ""
        leaf_lib = next((n for n, p in BUCKETS if p in leaf_file and not n.startswith("hegui")), "other")
        by_lib[leaf_lib if leaf_lib != "other" else ("hegui (own code)" if "hegui/" in leaf_file else "other")] += c
        incl_lib[bucket_of(frames)] += c
        seen = set()
        for func, file in frames:
            key = f"{func} ({_short(file)})"
            if key not in seen:
                seen.add(key)
                incl[key] += c
        if frames:
            self_[f"{frames[-1][0]} ({_short(frames[-1][1])})"] += c
    lines.append("\n| step (innermost hegui frame, else library) | % of samples |\n|---|---:|")
    lines += [f"| {k} | {100 * v / total:.1f} |" for k, v in incl_lib.most_common()]
    lines.append("\n| library where the CPU is (leaf frame) | % |\n|---|---:|")
    lines += [f"| {k} | {100 * v / total:.1f} |" for k, v in by_lib.most_common()]
    lines.append(f"\n| top {top} functions, inclusive | % |\n|---|---:|")
    lines += [f"| `{k}` | {100 * v / total:.1f} |" for k, v in incl.most_common(top)]
    lines.append(f"\n| top {top} functions, self | % |\n|---|---:|")
    lines += [f"| `{k}` | {100 * v / total:.1f} |" for k, v in self_.most_common(top)]
    return "\n".join(lines)


def _short(file: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--src", default="", help="as in run.py ('head' = git HEAD's src/)")
    ap.add_argument("--engine", choices=("auto", "policy", "terms"), default="auto")
    ap.add_argument("--py-spy", default="/work/gwbench-tools-venv/bin/py-spy")
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--out", type=Path, help="keep the raw collapsed stacks here (for a flame graph)")
    args = ap.parse_args()
    if not Path(args.py_spy).exists():
        print(f"py-spy not found at {args.py_spy}", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, cpus(AUX_CPU))
    workdir = Path(tempfile.mkdtemp(prefix="hegui-gwprof-"))
    procs = Procs(workdir)
    try:
        src = resolve_src(args.src, workdir)
        engine = moderation_engine(args.engine, src)
        up, _ = procs.upstream()
        url = f"sqlite:///{workdir / 'p.db'}" if args.storage == "sqlite" else procs.postgres()
        if url is None:
            print("PostgreSQL not available", file=sys.stderr)
            return 2
        port, key, proc = procs.hegui("prof", url, up, engine, src)
        raw = args.out or workdir / "stacks.txt"
        spy = subprocess.Popen([args.py_spy, "record", "--pid", str(proc.pid), "--gil", "--rate", str(args.rate),
                                "--format", "raw", "--output", str(raw), "--duration", str(int(args.seconds) + 30)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=lambda: os.sched_setaffinity(0, cpus(AUX_CPU)))  # noqa: PLW1509
        target = Target("hegui", port, "fast-model", api_key=key)
        result = asyncio.run(run_load(target, stream=args.stream, concurrency=args.concurrency, requests=10**7,
                                      warmup=50, max_seconds=args.seconds, expect=TEXT[:40].encode()))
        spy.send_signal(signal.SIGINT)
        _, err = spy.communicate(timeout=60)
        print(f"# profile: hegui {args.storage}, engine {engine}, {'stream' if args.stream else 'json'}, "
              f"c={args.concurrency}: {result.ok} ok / {result.errors} err, {result.rps:.0f} req/s, "
              f"p50 {percentile(result.latencies_ms, 50):.2f} ms, p99 {percentile(result.latencies_ms, 99):.2f} ms")
        if not raw.exists():
            print(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
            return 1
        print(report(parse_raw(raw), args.top))
    finally:
        procs.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
