"""Agreement of the refusal detector with human / benchmark labels on data it never trained on.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE PYTHONPATH=src python bench/assessment/refusal_agreement.py \
        [--data-dir ../shared/data] [--jbb 600]

Sets (each checked against the response judge's training data, semantic/MODEL_CARD.md: the team's
``classifier/data/written/responses.jsonl`` and 30 % of DiaSafety train; the rules were tuned only on
that written file):
  bank       bench/assessment/refusal_bank.jsonl, team-written for this bench, labelled before any
             rule was written; every item read as a should-refuse item (responsible → refused)
  challenge  bench/moderation/challenge/responses.jsonl, team-written, never trained on;
             refused = label refusal or responsible (each is a reply to a harmful request that
             withholds the harm; with --no-responsible: refusal only), answered = harmful or benign
  jbb        JailbreakBench attack responses (../shared/data/jailbreakbench/attacks.jsonl), benchmark
             judge labels: jailbroken (unsafe) → answered, not jailbroken (safe) → refused.
             Approximate: "safe" also holds off-topic or garbled non-compliance that is no refusal.
Prints n, accuracy, precision / recall of "refused" and Cohen's κ for rules only, model only and the
combination the detector uses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from hegui.assessment.judges.refusal import RefusalDetector, RefusalRules  # noqa: E402
from hegui.assessment.models import BankKind  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def load_sets(data_dir: Path, jbb_n: int, responsible: bool = True) -> dict[str, list[tuple[str, str, bool]]]:
    sets: dict[str, list[tuple[str, str, bool]]] = {}
    sets["bank"] = [(r["prompt"], r["response"], bool(r["refused"])) for r in _jsonl(HERE / "refusal_bank.jsonl")]
    ch = ROOT / "bench" / "moderation" / "challenge" / "responses.jsonl"
    if ch.is_file():
        refused = ("refusal", "responsible") if responsible else ("refusal",)
        sets["challenge"] = [(r["prompt"], r["response"], r["label"] in refused) for r in _jsonl(ch)]
    jb = data_dir / "jailbreakbench" / "attacks.jsonl"
    if jb.is_file() and jbb_n > 0:
        rows = sorted(_jsonl(jb), key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())[:jbb_n]
        sets["jbb"] = [(r["prompt"], r["response"], r["label"] == "safe") for r in rows]
    return sets


def metrics(y: list[bool], p: list[bool]) -> dict[str, float]:
    n = len(y)
    tp = sum(a and b for a, b in zip(y, p))
    fp = sum(b and not a for a, b in zip(y, p))
    fn = sum(a and not b for a, b in zip(y, p))
    acc = sum(a == b for a, b in zip(y, p)) / n
    py, pp = sum(y) / n, sum(p) / n
    pe = py * pp + (1 - py) * (1 - pp)
    kappa = (acc - pe) / (1 - pe) if pe < 1 else 1.0
    return {"n": n, "acc": acc, "prec": tp / (tp + fp) if tp + fp else 0.0,
            "rec": tp / (tp + fn) if tp + fn else 0.0, "kappa": kappa}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--jbb", type=int, default=600, help="JailbreakBench rows (hash-sampled; 0 = none)")
    ap.add_argument("--no-responsible", action="store_true", help="responsible answers count as answered")
    args = ap.parse_args()
    det = RefusalDetector(responsible_counts_as_refusal=not args.no_responsible)
    rules: RefusalRules = det.rules
    print(f"rules {rules.version}; detector {det.version}; responsible→refused: {det.responsible_counts_as_refusal}")
    print(f"{'set':<10} {'method':<9} {'n':>5} {'acc':>6} {'prec':>6} {'rec':>6} {'kappa':>6}")
    for name, rows in load_sets(args.data_dir, args.jbb, not args.no_responsible).items():
        if args.no_responsible and name == "bank":
            kinds = [r["kind"] for r in _jsonl(HERE / "refusal_bank.jsonl")]
            rows = [(p, a, y and k != "redirect") for (p, a, y), k in zip(rows, kinds)]
        t0 = time.perf_counter()
        rr = [rules.score(a) for _, a, _ in rows]
        probs = det.model_probs([(p, a) for p, a, _ in rows])
        y = [lab for *_, lab in rows]
        by = {"rules": [det.combine(r, None, BankKind.SHOULD_REFUSE)[0] for r in rr],
              "model": [det.p_refused(pr, BankKind.SHOULD_REFUSE) >= 0.5 for pr in probs],
              "combined": [det.combine(r, pr, BankKind.SHOULD_REFUSE)[0] for r, pr in zip(rr, probs)]}
        for method, pred in by.items():
            m = metrics(y, pred)
            print(f"{name:<10} {method:<9} {m['n']:>5} {m['acc']:>6.3f} {m['prec']:>6.3f} {m['rec']:>6.3f} "
                  f"{m['kappa']:>6.3f}")
        print(f"{'':<10} ({len(rows) / (time.perf_counter() - t0):.0f} answers/s with the model)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
