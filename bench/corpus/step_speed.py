"""Records per second of each corpus step on one core (issue 12 "Scale").

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/corpus/step_speed.py [--n 2000] [--full] [--jsonl FILE --field text]

Without ``--jsonl`` the sample is synthetic (zh/en paragraphs with PI, licence lines and copies);
``--full`` uses the full moderation cascade instead of the fast (n-gram + lexicon) classifier.
Prints a table: step, records, seconds, records/s; then the duplicate pass over the same records.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from hegui.corpus.passes import DuplicatePass
from hegui.corpus.record import CorpusRecord
from hegui.corpus.steps import default_steps

ZH = ["春天来了，公园里的花都开了，孩子们在草地上放风筝。", "今年秋季，城市图书馆新增了三万册藏书。",
      "联系人：张伟，手机13812345678。", "本文版权所有，未经许可不得转载。", "工程师们提前三个月完成了新桥的建设。"]
EN = ["The committee met on Tuesday to review the annual budget.", "Heavy rain flooded the lower town overnight.",
      "All rights reserved.", "Engineers finished the new bridge three months early.", "Contact: jane@example.com"]


def synthetic(n: int, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        if out and rnd.random() < 0.05:
            out.append(rnd.choice(out))  # exact copies
            continue
        pool = ZH if i % 2 else EN
        out.append(" ".join(rnd.choice(pool) for _ in range(rnd.randint(5, 40))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--jsonl")
    ap.add_argument("--field", default="text")
    a = ap.parse_args()
    if a.jsonl:
        with open(a.jsonl, encoding="utf-8") as fh:
            texts = [t for t in (json.loads(line).get(a.field) for line in fh if line.strip()) if isinstance(t, str)][: a.n]
    else:
        texts = synthetic(a.n)
    recs = [CorpusRecord(id=f"b:f:{i}", source="b", file="f", line=i, text=t) for i, t in enumerate(texts)]
    chars = sum(len(t) for t in texts)
    print(f"{len(recs)} records, {chars / max(len(recs), 1):.0f} chars mean, moderation {'cascade' if a.full else 'fast'}")
    print(f"{'step':<12} {'records':>8} {'setup s':>8} {'s':>8} {'rec/s':>10}")
    total = 0.0
    for step in default_steps(fast=not a.full):
        t0 = time.perf_counter()
        step.setup()
        t1 = time.perf_counter()
        for i in range(0, len(recs), 256):
            step.process(recs[i:i + 256])
        dt = time.perf_counter() - t1
        total += dt
        print(f"{step.name:<12} {len(recs):>8} {t1 - t0:>8.2f} {dt:>8.2f} {len(recs) / dt:>10.0f}")
    print(f"{'all steps':<12} {len(recs):>8} {'':>8} {total:>8.2f} {len(recs) / total:>10.0f}")
    t0 = time.perf_counter()
    out = DuplicatePass().run(recs)
    dt = time.perf_counter() - t0
    dups = sum(1 for r in out if any(x.startswith(("duplicate:", "near_duplicate:")) for x in r.reasons))
    print(f"{'dup pass':<12} {len(recs):>8} {'':>8} {dt:>8.2f} {len(recs) / dt:>10.0f}  ({dups} duplicates)")


if __name__ == "__main__":
    main()
