"""Platform-abuse quality (contact handles, lures, service ads) on ../shared/data (prints a table).

    .venv/bin/python bench/moderation/quality_abuse.py [--data-dir ../shared/data] [--classifier] [--show 5]

Sets: ``qq_group_ads`` (MIT; contact ads / black-market sales vs chat) and ``telecom_fraud``
(research only, NC: evaluation here, never a source of terms or weights). The engine
(:class:`PolicyModerator`, shipped packs, recognizers, no classifier unless ``--classifier``) checks
each text as an input; *flagged* = action other than allow, *refused* = refuse or block. Each set is
run twice: PI recognizers only (before) and with the platform-abuse recognizers (after).
``--show N`` prints N missed and N false-positive texts per set (for reading, not for copying terms).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from hegui.moderation.base import Action, Direction
from hegui.moderation.engine import PolicyModerator
from hegui.moderation.recognizers import RecognizerRegistry
from hegui.moderation.recognizers.contact import PLAIN_SCORE
from hegui.moderation.recognizers.content import ContentRecognizer, is_personal

SETS = {"qq_group_ads": "spam", "telecom_fraud": "unsafe"}
STOPS = (Action.REFUSE, Action.BLOCK)


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _prf(pred: list[bool], gold: list[bool]) -> str:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    neg = sum(not g for g in gold)
    return f"P {prec:.3f}  R {rec:.3f}  F1 {f1:.3f}  FPR {fp / neg if neg else 0.0:.3f}"


def _pi_only() -> RecognizerRegistry:
    reg = RecognizerRegistry()
    for cls in RecognizerRegistry.builtins:
        if not issubclass(cls, ContentRecognizer):
            reg.register(cls())
    return reg


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--classifier", action="store_true", help="also load the shipped classifier")
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    clf = "default" if args.classifier else None
    engines = {"before (PI recognizers)": PolicyModerator.load(classifier=clf, recognizers=_pi_only(),
                                                              auto_reload_s=None),
               "after (+ platform abuse)": PolicyModerator.load(classifier=clf,
                                                               recognizers=RecognizerRegistry.default(),
                                                               auto_reload_s=None)}
    print("| set | engine | flagged (action ≠ allow) | refused | texts/s |")
    print("|---|---|---|---|---|")
    for name, positive in SETS.items():
        path = args.data_dir / name / "messages.jsonl"
        if not path.is_file():
            print(f"| {name} | (missing: {path}) | | | |")
            continue
        rows = _jsonl(path)
        gold = [r["label"] == positive for r in rows]
        for label, engine in engines.items():
            t0 = time.perf_counter()
            actions = [engine.check(r["text"], Direction.INPUT).action for r in rows]
            rate = len(rows) / (time.perf_counter() - t0)
            flagged = [a is not Action.ALLOW for a in actions]
            refused = [a in STOPS for a in actions]
            print(f"| {name} (n={len(rows)}, {sum(gold)} positive) | {label} | {_prf(flagged, gold)} | "
                  f"{_prf(refused, gold)} | {rate:.0f} |")
            if label.startswith("after"):
                reg = RecognizerRegistry.default()
                found = [any(not is_personal(f) for f in reg.analyze(r["text"])) for r in rows]
                print(f"|  | any platform-abuse finding (score ≥ {PLAIN_SCORE}, before the policy) | "
                      f"{_prf(found, gold)} | | |")
            by_cat = Counter(r["category"] for r, g in zip(rows, gold) if g)
            hit = Counter(r["category"] for r, g, f in zip(rows, gold, flagged) if g and f)
            if len(by_cat) > 1:
                cats = ", ".join(f"{c} {hit[c] / n:.2f}" for c, n in sorted(by_cat.items()))
                print(f"|  | recall by category | {cats} | | |")
            if args.show and label.startswith("after"):
                missed = [r["text"] for r, g, f in zip(rows, gold, flagged) if g and not f][:args.show]
                false = [r["text"] for r, g, f in zip(rows, gold, flagged) if f and not g][:args.show]
                for t in missed:
                    print(f"    missed: {t[:120]!r}")
                for t in false:
                    print(f"    false+: {t[:120]!r}")


if __name__ == "__main__":
    main()
