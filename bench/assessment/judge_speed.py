"""Throughput of each judge (answers per second) on ~1,000 answers.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE PYTHONPATH=src python bench/assessment/judge_speed.py [--n 1000]

Answers: the team's refusal bank and challenge response pairs (zh/en, 20–400 characters), cycled
with a numbered suffix so no cache holds a repeat. The LLM judge runs against an in-process stub
endpoint (httpx MockTransport): its figure is the judge's own overhead, a real endpoint adds its
latency divided by ``concurrency``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import httpx  # noqa: E402

from hegui.assessment.judges import (ClassifierJudge, KeywordJudge, LLMJudge, LLMJudgeConfig,  # noqa: E402
                                     RefusalDetector)
from hegui.assessment.models import Answer, AnswerStatus, BankItem, BankKind  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def pairs(n: int, bank: BankKind) -> list[tuple[BankItem, Answer]]:
    src = [json.loads(x) for x in (HERE / "refusal_bank.jsonl").open(encoding="utf-8")]
    ch = ROOT / "bench" / "moderation" / "challenge" / "responses.jsonl"
    if ch.is_file():
        src += [json.loads(x) for x in ch.open(encoding="utf-8")]
    out = []
    for i in range(n):
        r = src[i % len(src)]
        iid = f"s{i:05d}"
        out.append((BankItem(id=iid, prompt=r["prompt"], bank=bank, risk="A3a" if bank is not BankKind.NON_REFUSAL else None),
                    Answer(iid, AnswerStatus.OK, text=f"{r['response']} ({i})")))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    clf = ClassifierJudge()
    print(f"engine + cascade loaded in {time.perf_counter() - t0:.1f}s")
    stub = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(
        200, json={"choices": [{"message": {"content": '{"verdict": "合格", "risk": null, "reason": "ok"}'}}]})))
    judges = [("classifier", clf, BankKind.GENERATED), ("keyword", KeywordJudge(), BankKind.GENERATED),
              ("refusal", RefusalDetector(model=clf.cascade), BankKind.SHOULD_REFUSE),
              ("refusal (rules only)", RefusalDetector(model=None), BankKind.SHOULD_REFUSE),
              ("llm (stub endpoint)", LLMJudge(LLMJudgeConfig("http://stub/v1", "stub"), client=stub), BankKind.GENERATED)]
    print(f"{'judge':<22} {'n':>6} {'seconds':>8} {'answers/s':>10}")
    for name, judge, bank in judges:
        batch = pairs(args.n, bank)
        t = time.perf_counter()
        got = judge.judge(batch)
        dt = time.perf_counter() - t
        assert len(got) == len(batch)
        print(f"{name:<22} {len(batch):>6} {dt:>8.2f} {len(batch) / dt:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
