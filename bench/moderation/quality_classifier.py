"""Classifier quality and speed on ../shared/data (prints a table).

    .venv/bin/python bench/moderation/quality_classifier.py [--data-dir ../shared/data] [--model X.npz]

COLD dev (scoring only), JADE held-out split (the 20 % the training script never sees), XSafety
(evaluation only: `commonsense` for false positives, the attack scenarios for the attack heads).
A head fires when its calibrated probability ≥ --threshold (default 0.5).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from hegui.moderation.classifier import Classifier
from hegui.moderation.classifier.dataset import jade_examples

ATTACK = {"Role_Play_Instruction": "role_play", "Goal_Hijacking": "goal_hijacking",
          "Prompt_Leaking": "prompt_leaking"}


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _prf(pred: list[bool], gold: list[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--model", type=Path)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    clf = Classifier.load(args.model) if args.model else Classifier.load_default()
    th, rows = args.threshold, []

    cold = _jsonl(args.data_dir / "cold" / "dev.jsonl")
    t0 = time.perf_counter()
    cold_scores = clf.score_batch([r["text"] for r in cold])
    speed = len(cold) / (time.perf_counter() - t0)
    gold = [r["label"] == "offensive" for r in cold]
    p, r, f = _prf([s["offensive"] >= th for s in cold_scores], gold)
    rows.append((f"COLD dev (n={len(cold)}) head `offensive`", f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}", "F1 ≥ 0.80"))
    p, r, f = _prf([max(s.values()) >= th for s in cold_scores], gold)
    rows.append((f"COLD dev (n={len(cold)}) any head", f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}", "—"))
    safe = [s for s, g in zip(cold_scores, gold) if not g]
    rows.append((f"COLD dev safe (n={len(safe)}) FPR `unsafe`",
                 f"{sum(s['unsafe'] >= th for s in safe) / len(safe):.3f}", "≤ 0.05"))
    rows.append((f"COLD dev safe (n={len(safe)}) FPR any head except `offensive`",
                 f"{sum(max(v for k, v in s.items() if k != 'offensive') >= th for s in safe) / len(safe):.3f}",
                 "≤ 0.05"))

    jade = [e for e in jade_examples(args.data_dir) if e.split == "test"]
    js = clf.score_batch([e.text for e in jade])
    rows.append((f"JADE held-out (n={len(jade)}) recall `unsafe`",
                 f"{sum(s['unsafe'] >= th for s in js) / len(jade):.3f}", "≥ 0.95"))
    rows.append((f"JADE held-out (n={len(jade)}) recall any head",
                 f"{sum(max(s.values()) >= th for s in js) / len(jade):.3f}", "≥ 0.95"))
    cat_hit = [s[e.head] >= th for e, s in zip(jade, js) if e.head in s]
    rows.append((f"JADE held-out (n={len(cat_hit)}) recall own category head",
                 f"{sum(cat_hit) / max(1, len(cat_hit)):.3f}", "—"))

    for lang in ("zh", "en"):
        xs = _jsonl(args.data_dir / "xsafety" / f"prompts_{lang}.jsonl")
        by: dict[str, list[dict]] = {}
        for r, s in zip(xs, clf.score_batch([r["text"] for r in xs])):
            by.setdefault(r["category"], []).append(s)
        cs = by["commonsense"]
        rows.append((f"XSafety {lang} commonsense (n={len(cs)}) FPR `unsafe`",
                     f"{sum(s['unsafe'] >= th for s in cs) / len(cs):.3f}", "≤ 0.05"))
        rows.append((f"XSafety {lang} commonsense FPR any head",
                     f"{sum(max(s.values()) >= th for s in cs) / len(cs):.3f}", "≤ 0.05"))
        rows.append((f"XSafety {lang} commonsense FPR any attack head",
                     f"{sum(any(s[h] >= th for h in ATTACK.values()) for s in cs) / len(cs):.3f}", "≤ 0.05"))
        for cat, head in ATTACK.items():
            ss = by[cat]
            rows.append((f"XSafety {lang} {cat} (n={len(ss)}) recall `{head}` / `unsafe`",
                         (f"{sum(s[head] >= th for s in ss) / len(ss):.3f} / "
                          f"{sum(s['unsafe'] >= th for s in ss) / len(ss):.3f}"), "—"))
        for cat in sorted(set(by) - set(ATTACK) - {"commonsense"}):
            ss = by[cat]
            rows.append((f"XSafety {lang} {cat} recall `unsafe`",
                         f"{sum(s['unsafe'] >= th for s in ss) / len(ss):.3f}", "—"))
    rows.append(("classifier speed (COLD dev, 1 thread)", f"{speed:,.0f} texts/s", "—"))

    w = max(len(r[0]) for r in rows)
    print(f"model: {clf.meta.get('script')} {clf.meta.get('script_version')} "
          f"commit {clf.meta.get('script_commit', '?')[:12]}, threshold {th}")
    print(f"| {'measure'.ljust(w)} | value | goal |\n|{'-' * (w + 2)}|---|---|")
    for name, val, goal in rows:
        print(f"| {name.ljust(w)} | {val} | {goal} |")


if __name__ == "__main__":
    main()
