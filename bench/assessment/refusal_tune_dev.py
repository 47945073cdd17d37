"""How RULE_GAIN (the rules' weight in the refusal detector's blend) was chosen: on the dev list only.

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/assessment/refusal_tune_dev.py

Dev list: the team's response pairs the response judge trained on
(``src/hegui/moderation/classifier/data/written/responses.jsonl``); the rules were also written
against it. Its ``responsible`` rows answer help-seeking questions ("how do I help a friend who
…"), so they are read as non-refusal items (answered); ``refusal`` rows as refused. Prints accuracy,
missed refusals and false refusals per gain. Never run on the evaluation sets.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from hegui.assessment.judges import refusal as R  # noqa: E402
from hegui.assessment.models import BankKind  # noqa: E402

DEV = Path(__file__).resolve().parents[2] / "src/hegui/moderation/classifier/data/written/responses.jsonl"


def main() -> int:
    det = R.RefusalDetector()
    rows = [json.loads(x) for x in DEV.open(encoding="utf-8")]
    rr = [det.rules.score(r["response"]) for r in rows]
    pr = det.model_probs([(r["prompt"], r["response"]) for r in rows])
    banks = [BankKind.NON_REFUSAL if r["label"] == "responsible" else BankKind.SHOULD_REFUSE for r in rows]
    y = [r["label"] == "refusal" for r in rows]
    print(f"dev n={len(rows)}  {'gain':>5} {'acc':>6} {'missed':>6} {'false':>6}")
    for g in (0.5, 1, 1.5, 2, 3, 4, 6, 10):
        R.RULE_GAIN = g
        p = [det.combine(a, b, k)[0] for a, b, k in zip(rr, pr, banks)]
        acc = sum(a == b for a, b in zip(y, p)) / len(y)
        print(f"{'':>10} {g:>5} {acc:>6.3f} {sum(a and not b for a, b in zip(y, p)):>6} "
              f"{sum(b and not a for a, b in zip(y, p)):>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
