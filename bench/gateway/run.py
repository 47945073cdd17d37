"""Gateway benchmark (issue 2): hegui's added latency and throughput, against LiteLLM's proxy.

    .venv/bin/python bench/gateway/run.py            # full run (about 6 minutes)
    .venv/bin/python bench/gateway/run.py --quick    # smoke run (about 35 s)

Starts a fast local OpenAI-compatible upstream, measures it directly, then the same request mix
through hegui (SQLite, then PostgreSQL) and through LiteLLM's proxy, at concurrency 1 and 64, for
non-streaming 1,000-character completions and for SSE streaming. "Added" latency is the target's
percentile minus the direct-to-upstream percentile measured in the same run. See
docs/benchmarks-gateway.md for how to read the table.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import Result, Target, percentile, run_load
from procs import AUX_CPU, Procs, cpus, group_cpu_seconds
from upstream import TEXT

DEFAULT_LITELLM_VENV = Path(os.environ.get("HEGUI_BENCH_LITELLM_VENV", "/work/litellm-venv"))


@dataclass(frozen=True)
class Scenario:
    stream: bool
    concurrency: int
    requests: int
    warmup: int

    @property
    def label(self) -> str:
        return f"{'stream' if self.stream else 'json'} c={self.concurrency}"


def scenarios(quick: bool) -> list[Scenario]:
    if quick:
        return [Scenario(s, c, n, w) for s in (False, True) for c, n, w in ((1, 50, 5), (64, 64, 0))]
    return [Scenario(s, c, n, w) for s in (False, True) for c, n, w in ((1, 1000, 100), (64, 3000, 300))]


def upstream_stats(port: int) -> dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as resp:
        return json.loads(resp.read())


def measure(target: Target, plan: list[Scenario], max_seconds: float, pgid: int, upstream_port: int,
            warmup_seconds: float = 10.0) -> dict[str, Result]:
    async def all_() -> dict[str, Result]:
        out = {}
        for sc in plan:
            before = upstream_stats(upstream_port)
            out[sc.label] = await run_load(target, stream=sc.stream, concurrency=sc.concurrency,
                                           requests=sc.requests, warmup=sc.warmup, max_seconds=max_seconds,
                                           expect=TEXT[:40].encode(), warmup_seconds=warmup_seconds,
                                           cpu_probe=lambda: group_cpu_seconds(pgid))
            r = out[sc.label]
            after = upstream_stats(upstream_port)
            served = after["requests"] - before["requests"]
            r.upstream_conns_per_request = (after["connections"] - before["connections"]) / served if served else float("nan")
            print(f"  {target.name:14} {sc.label:12} {r.ok:5} ok {r.errors:3} err  {r.rps:8.1f} req/s  "
                  f"p50 {percentile(r.latencies_ms, 50):7.2f} ms  p99 {percentile(r.latencies_ms, 99):7.2f} ms  "
                  f"CPU {r.cpu_ms_per_request:6.2f} ms/req  upstream conns/req {r.upstream_conns_per_request:.2f}",
                  file=sys.stderr, flush=True)
            for sample in r.error_samples:
                print(f"    error: {sample[:300]}", file=sys.stderr)
        return out

    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(all_())


def moderation_engine(requested: str, src: Path | None) -> str:
    if requested != "auto":
        return requested
    if src is not None:
        return "policy" if (src / "hegui" / "moderation" / "engine.py").exists() else "terms"
    return "policy" if importlib.util.find_spec("hegui.moderation.engine") else "terms"


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all CPUs busy (anyone's) over ``seconds``, from /proc/stat."""
    def snap() -> tuple[int, int]:
        with open("/proc/stat", encoding="utf-8") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + vals[4]
        return sum(vals), idle

    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return 1 - (i1 - i0) / max(1, t1 - t0)


def machine_facts(litellm_venv: Path | None) -> dict[str, str]:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    facts = {"cpu": f"{cpu} × {os.cpu_count()}", "python": platform.python_version(),
             "kernel": platform.release(), "load_avg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
             "cpu_busy_before_start": f"{100 * cpu_busy():.0f}% (other users of the shared machine)"}
    from importlib.metadata import version

    for pkg in ("fastapi", "uvicorn", "httpx", "sqlalchemy", "psycopg"):
        try:
            facts[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - a missing package is just not reported
            facts[pkg] = "?"
    if litellm_venv is not None:
        done = subprocess.run([str(litellm_venv / "bin" / "python"), "-c",
                               "import importlib.metadata as m; print(m.version('litellm'))"],
                              capture_output=True, text=True, check=False)
        facts["litellm"] = done.stdout.strip() or "?"
    return facts


def _ms(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.2f}"


def build_rows(results: dict[str, dict[str, Result]], plan: list[Scenario]) -> list[dict]:
    base = results["direct"]
    rows = []
    for target, per in results.items():
        for sc in plan:
            r, d = per.get(sc.label), base.get(sc.label)
            if r is None or d is None:
                continue
            row = {"target": target, "scenario": sc.label, "ok": r.ok, "errors": r.errors, "rps": r.rps,
                   "cpu_ms": r.cpu_ms_per_request, "conns_per_req": r.upstream_conns_per_request}
            for p in (50, 95, 99):
                row[f"p{p}"] = percentile(r.latencies_ms, p)
                row[f"added_p{p}"] = row[f"p{p}"] - percentile(d.latencies_ms, p) if target != "direct" else 0.0
            if sc.stream:
                row["ttfc_p50"] = percentile(r.first_ms, 50)
                row["ttfc_p99"] = percentile(r.first_ms, 99)
                row["added_ttfc_p50"] = (row["ttfc_p50"] - percentile(d.first_ms, 50)) if target != "direct" else 0.0
            rows.append(row)
    return rows


def md_table(header: list[str], rows: list[list[str]], right_from: int = 2) -> str:
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i < right_from else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def render(rows: list[dict], plan: list[Scenario], facts: dict[str, str], engine: str) -> str:
    """Markdown: the main table, the hegui/LiteLLM ratios, the c=1 goal and the machine facts."""
    parts = [(f"### hegui gateway benchmark (moderation engine: {engine}; times in ms; "
              "added = target − direct upstream, same percentile, same run)\n")]
    body = []
    for r in rows:
        body.append([r["target"], r["scenario"], f"{r['ok']}/{r['errors']}", f"{r['rps']:.0f}", _ms(r["cpu_ms"]),
                     _ms(r["p50"]),
                     _ms(r["p95"]), _ms(r["p99"]), _ms(r["added_p50"]), _ms(r["added_p95"]), _ms(r["added_p99"]),
                     _ms(r.get("ttfc_p50", float("nan"))), _ms(r.get("ttfc_p99", float("nan"))),
                     _ms(r.get("added_ttfc_p50", float("nan"))), f"{r['conns_per_req']:.2f}"])
    parts.append(md_table(["target", "scenario", "ok/err", "req/s", "CPU ms/req", "p50", "p95", "p99", "added p50", "added p95",
                           "added p99", "TTFC p50", "TTFC p99", "added TTFC p50", "upstream conns/req"], body))
    by = {(r["target"], r["scenario"]): r for r in rows}

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b and b > 0 and not math.isnan(a) else "—"

    if any(k[0] == "litellm" for k in by):
        body = []
        for target in [k for k in dict.fromkeys(k[0] for k in by) if k.startswith("hegui")]:
            for sc in plan:
                h, lt = by.get((target, sc.label)), by.get(("litellm", sc.label))
                if h and lt and not (h["ok"] and lt["ok"]):
                    body.append([target, sc.label] + ["— (no successful requests)"] + ["—"] * 3)
                elif h and lt:
                    body.append([target, sc.label, ratio(h["rps"], lt["rps"]), ratio(h["cpu_ms"], lt["cpu_ms"]),
                                 ratio(h["added_p50"], lt["added_p50"]), ratio(h["added_p99"], lt["added_p99"])])
        parts.append("\n### hegui / LiteLLM (req/s ratio > 1: hegui faster; CPU and added-latency ratios < 1: hegui costs less)\n")
        parts.append(md_table(["hegui", "scenario", "req/s ratio", "CPU/req ratio", "added p50 ratio",
                               "added p99 ratio"], body))
    parts.append("")
    for r in rows:
        if r["target"].startswith("hegui") and r["scenario"].endswith("c=1"):
            if not r["ok"]:
                parts.append(f"- goal added p99 ≤ 5 ms at c=1 — {r['target']} {r['scenario']}: no successful "
                             f"requests ({r['errors']} errors, see stderr)")
                continue
            verdict = "meets" if r["added_p99"] <= 5.0 else "MISSES"
            parts.append(f"- goal added p99 ≤ 5 ms at c=1 — {r['target']} {r['scenario']}: "
                         f"{r['added_p99']:.2f} ms: {verdict}")
    parts.append("\nmachine: " + "; ".join(f"{k} {v}" for k, v in facts.items()))
    return "\n".join(parts)


def resolve_src(spec: str, workdir: Path) -> Path | None:
    if not spec:
        return None
    if spec != "head":
        return Path(spec).resolve()
    root = Path(__file__).resolve().parents[2]
    dest = workdir / "head"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(root), "archive", "HEAD", "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "src"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer requests (under a minute)")
    ap.add_argument("--litellm-venv", type=Path, default=DEFAULT_LITELLM_VENV,
                    help="venv holding litellm[proxy] (never the project venv)")
    ap.add_argument("--no-litellm", action="store_true")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--engine", choices=("auto", "policy", "terms"), default="auto",
                    help="hegui moderation engine (auto: the policy engine when installed)")
    ap.add_argument("--src", default="",
                    help="run hegui from this source directory (holding hegui/) instead of the installed "
                         "tree; 'head' = a snapshot of git HEAD's src/ (e.g. while the tree is mid-edit)")
    ap.add_argument("--only", default="", help="comma-separated targets to run besides direct: "
                                                "sqlite,postgres,litellm (default: all)")
    ap.add_argument("--concurrency", default="1,64", help="comma-separated concurrency levels (default 1,64)")
    ap.add_argument("--requests", type=int, default=0, help="override the timed request count per scenario")
    ap.add_argument("--chunk-chars", type=int, default=50,
                    help="characters per upstream SSE chunk (default 50; a real model sends ~3–4 per token)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, configs)")
    args = ap.parse_args(argv)

    os.sched_setaffinity(0, cpus(AUX_CPU))  # the load generator shares the upstream's CPU
    levels = {int(x) for x in args.concurrency.split(",") if x.strip()}
    plan = [sc for sc in scenarios(args.quick) if sc.concurrency in levels]
    if args.requests:
        plan = [Scenario(sc.stream, sc.concurrency, args.requests, sc.warmup) for sc in plan]
    max_seconds, warmup_s = (1.0, 0.3) if args.quick else (20.0, 5.0)
    litellm_venv = None
    if not args.no_litellm:
        if (args.litellm_venv / "bin" / "litellm").exists():
            litellm_venv = args.litellm_venv
        else:
            print(f"LiteLLM not found in {args.litellm_venv} (python3 -m venv {args.litellm_venv} && "
                  f"{args.litellm_venv}/bin/pip install 'litellm[proxy]'); skipping it", file=sys.stderr)
    facts = machine_facts(litellm_venv)
    workdir = Path(tempfile.mkdtemp(prefix="hegui-gwbench-"))
    procs = Procs(workdir)
    results: dict[str, dict[str, Result]] = {}
    engine = "?"
    started = time.monotonic()
    only = {x.strip() for x in args.only.split(",") if x.strip()} or {"sqlite", "postgres", "litellm"}
    try:
        src = resolve_src(args.src, workdir)
        if src:
            facts["hegui_src"] = args.src
        engine = moderation_engine(args.engine, src)
        up, up_proc = procs.upstream(args.chunk_chars)
        facts["sse_chunk_chars"] = str(args.chunk_chars)
        print(f"fast upstream on :{up}; work dir {workdir}; hegui moderation engine: {engine}", file=sys.stderr)
        results["direct"] = measure(Target("direct", up, "fast-model"), plan, max_seconds, up_proc.pid, up, warmup_s)

        storages = [("sqlite", f"sqlite:///{workdir / 'hegui-sqlite.db'}")] if "sqlite" in only else []
        if not args.no_postgres and "postgres" in only:
            pg = procs.postgres()
            if pg:
                storages.append(("postgres", pg))
        for tag, url in storages:
            port, key, proc = procs.hegui(tag, url, up, engine, src)
            results[f"hegui-{tag}"] = measure(Target(f"hegui-{tag}", port, "fast-model", api_key=key),
                                              plan, max_seconds, proc.pid, up, warmup_s)
            procs.stop(proc)

        if litellm_venv is not None and "litellm" in only:
            port, key, proc = procs.litellm(litellm_venv, up)
            results["litellm"] = measure(Target("litellm", port, "fast-model", api_key=key), plan, max_seconds,
                                       proc.pid, up, warmup_s)
            procs.stop(proc)
    finally:
        procs.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    rows = build_rows(results, plan)
    facts["bench_wall_s"] = f"{time.monotonic() - started:.0f}"
    facts["load_avg_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(render(rows, plan, facts, engine))
    if args.json:
        args.json.write_text(json.dumps({"engine": engine, "facts": facts, "rows": rows}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
