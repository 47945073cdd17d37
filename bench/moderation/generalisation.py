"""Moderation that holds on text it has never seen: the numbers reported first (issue 8).

    python bench/moderation/generalisation.py [--data-dir ../shared/data] [--json results.json]
        [--folds cold,jade] [--skip-loso] [--skip-shipped]

1. Leave-one-source-out: for every source group, a fast model and semantic heads are trained on
   all other groups; the held-out group is moderated by the engine (lexicon + recognizers +
   classifier under the shipped policy) with the fast model alone and with the cascade.
2. The shipped models on text no model trained on: the team's challenge bank
   (``bench/moderation/challenge``), XSafety, COLD dev, the telecom-fraud SMS (NC, evaluation only)
   and model responses (DiaSafety test, JailbreakBench). Thresholds come from the shipped policy;
   nothing here is tuned on these sets.
3. In-distribution: the calibration split of each training source (second table; it flatters).

"Stopped" = the input verdict refuses, blocks or guides (a must-refuse prompt refused or guided).
Needs ``../shared/data`` and the embedding cache (``bench/moderation/embed_all.py`` fills it).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalsets  # noqa: E402
import folds  # noqa: E402

from hegui.moderation.base import Direction  # noqa: E402
from hegui.moderation.classifier.features import FeatureConfig  # noqa: E402
from hegui.moderation.classifier.train import term_counts  # noqa: E402
from hegui.moderation.engine import PolicyModerator  # noqa: E402
from hegui.moderation.semantic.cache import EmbeddingCache  # noqa: E402
from hegui.moderation.semantic.data import semantic_examples  # noqa: E402

STOP = {"refuse", "block", "guide"}
NO_RISK_HEADS = {"role_play", "goal_hijacking"}  # attack heads without an Annex A risk: no finding
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def metrics(labels: Sequence[int], stopped: Sequence[bool]) -> dict[str, float | int | None]:
    tp = sum(1 for y, s in zip(labels, stopped) if y and s)
    fp = sum(1 for y, s in zip(labels, stopped) if not y and s)
    pos = sum(labels)
    neg = len(labels) - pos
    rec = tp / pos if pos else None
    prec = tp / (tp + fp) if tp + fp else None
    f1 = 2 * prec * rec / (prec + rec) if prec and rec else (0.0 if pos and neg else None)
    return {"n": len(labels), "pos": pos, "recall": rec, "fpr": fp / neg if neg else None,
            "precision": prec, "f1": f1}


def _fmt(v: float | int | None) -> str:
    return "—" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def table(title: str, rows: list[dict], cols: Sequence[str]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")


def engine_for(classifier: object) -> PolicyModerator:
    return PolicyModerator.load(classifier=classifier, auto_reload_s=None)


def stopped(engine: PolicyModerator, texts: Iterable[str], direction: Direction = Direction.INPUT) -> list[bool]:
    return [engine.check(t, direction).action.value in STOP for t in texts]


def decide(scores: dict[str, float], lex_stop: bool, threshold: float, unsafe_gate: float) -> bool:
    """The engine's input decision, simulated from head scores: a listed term or recognizer stops;
    else any head at or over the rule threshold (``unsafe`` also over its own gate)."""
    if lex_stop:
        return True
    return any(sc >= (max(threshold, unsafe_gate) if h == "unsafe" else threshold)
               for h, sc in scores.items() if h not in NO_RISK_HEADS)


def loso(data_dir: Path, only: set[str] | None, weight: float, band: tuple[float, float]) -> list[dict]:
    """Per held-out group: scores of the fold's fast model and cascade for every held-out row, and
    whether the lexicon and recognizers alone stop it; decisions at the shipped thresholds."""
    examples = semantic_examples(data_dir)
    cache = EmbeddingCache()
    texts = [e.text for e in examples]
    emb = cache.embed(texts)
    cfg = FeatureConfig(bits=18, syl_max=3)
    t0 = time.monotonic()
    tf = term_counts(texts, cfg)
    logging.info("term counts for %d texts in %.0f s", len(texts), time.monotonic() - t0)
    enc = folds.CachedEncoder(cache)
    plain = PolicyModerator.load(classifier=None, auto_reload_s=None)  # lexicon + recognizers
    out = []
    for group in sorted({folds.group_of(e.source) for e in examples}):
        if only and group not in only:
            continue
        fold = folds.make_fold(group, examples, tf, emb, cfg, enc, semantic_weight=weight, band=band)
        for e in fold.test:
            out.append({"group": group, "label": e.label, "lang": e.lang,
                        "lex": plain.check(e.text, Direction.INPUT).action.value in STOP,
                        "fast": fold.fast.score(e.text), "cascade": fold.cascade.score(e.text)})
        st = fold.cascade.stats
        logging.info("fold %s done: %d rows, semantic share %.2f", group, len(fold.test),
                     st["semantic"] / max(st["texts"], 1))
    return out


def loso_table(rows: list[dict], threshold: float, gate: float) -> list[dict]:
    table_rows = []
    for group in sorted({r["group"] for r in rows}):
        part = [r for r in rows if r["group"] == group]
        row: dict = {"group": group, "n": len(part), "pos": sum(r["label"] for r in part)}
        for name in ("fast", "cascade"):
            m = metrics([r["label"] for r in part], [decide(r[name], r["lex"], threshold, gate) for r in part])
            row.update({f"{name}_{k}": m[k] for k in ("recall", "fpr", "f1")})
        table_rows.append(row)
    return table_rows


def choose_thresholds(rows: list[dict], max_fpr: float = 0.03) -> tuple[float, float] | None:
    """Rule threshold and ``unsafe`` gate that maximise held-out recall (mean over positive rows)
    with held-out false positives (mean over negative rows) at most ``max_fpr`` — chosen on the
    leave-one-source-out predictions, never on the challenge bank or the evaluation sets."""
    best: tuple[float, tuple[float, float] | None] = (-1.0, None)
    pos = [r for r in rows if r["label"]]
    neg = [r for r in rows if not r["label"]]
    for t in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        for g in (0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98):
            fpr = sum(decide(r["cascade"], r["lex"], t, g) for r in neg) / max(len(neg), 1)
            rec = sum(decide(r["cascade"], r["lex"], t, g) for r in pos) / max(len(pos), 1)
            if fpr <= max_fpr and rec > best[0]:
                best = (rec, (t, g))
    if best[1] is None:
        logging.info("no threshold pair keeps held-out false positives at or under %.2f: keep the shipped ones", max_fpr)
        return None
    logging.info("chosen on LOSO: threshold %.2f, unsafe gate %.2f (recall %.3f)", *best[1], best[0])
    return best[1]


def by_group(rows: Iterable[evalsets.Row], flags: Sequence[bool], key) -> list[dict]:  # noqa: ANN001
    groups: dict[str, tuple[list[int], list[bool]]] = defaultdict(lambda: ([], []))
    for r, s in zip(rows, flags):
        g = groups[key(r)]
        g[0].append(r.label); g[1].append(s)
    return [{"group": k, **metrics(*v)} for k, v in sorted(groups.items())]


def shipped(data_dir: Path) -> dict[str, list[dict]]:
    from hegui.moderation.classifier import Classifier
    from hegui.moderation.semantic.cascade import CascadeClassifier
    from hegui.moderation.semantic.model import default_semantic_path, load_semantic

    cache = EmbeddingCache()
    cascade = CascadeClassifier(Classifier.load_default(), load_semantic(default_semantic_path()),
                                encoder=folds.CachedEncoder(cache))  # type: ignore[arg-type]
    engine = engine_for(cascade)
    res: dict[str, list[dict]] = {}
    bank = list(evalsets.challenge_prompts())
    if bank:
        flags = stopped(engine, [r.text for r in bank])
        res["challenge_by_kind"] = by_group(bank, flags, lambda r: f"{r.group}/{r.lang}")
        res["challenge_by_expect"] = by_group(bank, flags, lambda r: "must_refuse" if r.label else "should_answer")
        res["challenge_refuse_by_risk"] = by_group([r for r in bank if r.label], [f for r, f in zip(bank, flags) if r.label],
                                                   lambda r: str(r.extra.get("risk")))
        res["challenge_answer_by_aspect"] = by_group([r for r in bank if r.group == "value"],
                                                     [f for r, f in zip(bank, flags) if r.group == "value"],
                                                     lambda r: str(r.extra.get("aspect")))
    evals = {"xsafety": list(evalsets.xsafety(data_dir)), "cold_dev": list(evalsets.cold_dev(data_dir)),
             "telecom_fraud": list(evalsets.telecom_fraud(data_dir)), "challenge_abuse": list(evalsets.challenge_abuse())}
    res["eval_sets"] = []
    for name, rows in evals.items():
        if rows:
            flags = stopped(engine, [r.text for r in rows])
            res["eval_sets"].append({"group": name, **metrics([r.label for r in rows], flags)})
            if name == "xsafety":
                res["xsafety_by_category"] = by_group(rows, flags, lambda r: f"{r.group}/{r.lang}")
    pairs = list(evalsets.responses(data_dir)) + list(evalsets.challenge_responses())
    res["judge"] = []
    if pairs:
        judged = cascade.judge_batch([(r.prompt, r.text) for r in pairs])
        harmful = [j["harmful"] >= 0.5 for j in judged]
        res["judge"] = by_group(pairs, harmful, lambda r: r.set)
        res["judge_by_class"] = by_group([r for r in pairs if r.set == "challenge_responses"],
                                         [h for r, h in zip(pairs, harmful) if r.set == "challenge_responses"],
                                         lambda r: r.cls)
    calib = [e for e in semantic_examples(data_dir) if e.split == "calib"]
    flags = stopped(engine, [e.text for e in calib])
    res["in_distribution"] = by_group(calib, flags, lambda e: e.source)  # type: ignore[arg-type,return-value]
    res["semantic_share"] = [{"group": "all", "n": cascade.stats["texts"],
                              "recall": cascade.stats["semantic"] / max(cascade.stats["texts"], 1)}]
    return res


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", help="comma-separated groups (default: all)")
    ap.add_argument("--weight", type=float, default=0.5, help="semantic weight in the cascade")
    ap.add_argument("--band", default="0.02,0.995")
    ap.add_argument("--skip-loso", action="store_true")
    ap.add_argument("--skip-shipped", action="store_true")
    ap.add_argument("--json", type=Path, help="write all results here")
    ap.add_argument("--rows", type=Path, help="write the per-row held-out scores here")
    ap.add_argument("--threshold", type=float, default=0.8, help="rule threshold for the LOSO table")
    ap.add_argument("--gate", type=float, default=0.95, help="`unsafe` head gate for the LOSO table")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.data_dir.is_dir():
        print(f"no data at {args.data_dir} (../shared/data beside the checkout)", file=sys.stderr)
        return 2
    results: dict = {}
    if not args.skip_loso:
        lo, hi = (float(x) for x in args.band.split(","))
        rows = loso(args.data_dir, set(args.folds.split(",")) if args.folds else None, args.weight, (lo, hi))
        if args.rows:
            args.rows.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        t, g = args.threshold, args.gate
        results["loso"] = loso_table(rows, t, g)
        table(f"Leave-one-source-out (held-out group; rule threshold {t}, unsafe gate {g})", results["loso"],
              ["group", "n", "pos", "fast_recall", "cascade_recall", "fast_fpr", "cascade_fpr", "fast_f1",
               "cascade_f1"])
        results["loso_chosen"] = choose_thresholds(rows)
        print(f"\nthresholds chosen on these held-out predictions (FPR ≤ 0.03): {results['loso_chosen']}")
    if not args.skip_shipped:
        for name, rows in shipped(args.data_dir).items():
            results[name] = rows
            table(name, rows, ["group", "n", "pos", "recall", "fpr", "precision", "f1"])
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
