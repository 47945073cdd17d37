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


def loso(data_dir: Path, only: set[str] | None, weight: float, band: tuple[float, float]) -> list[dict]:
    examples = semantic_examples(data_dir)
    cache = EmbeddingCache()
    texts = [e.text for e in examples]
    emb = cache.embed(texts)
    cfg = FeatureConfig(bits=18, syl_max=3)
    t0 = time.monotonic()
    tf = term_counts(texts, cfg)
    logging.info("term counts for %d texts in %.0f s", len(texts), time.monotonic() - t0)
    enc = folds.CachedEncoder(cache)
    out = []
    for group in sorted({folds.group_of(e.source) for e in examples}):
        if only and group not in only:
            continue
        fold = folds.make_fold(group, examples, tf, emb, cfg, enc, semantic_weight=weight, band=band)
        labels = [e.label for e in fold.test]
        row: dict = {"group": group}
        for name, clf in (("fast", fold.fast), ("cascade", fold.cascade)):
            m = metrics(labels, stopped(engine_for(clf), [e.text for e in fold.test]))
            row.update({f"{name}_{k}": v for k, v in m.items() if k in ("recall", "fpr", "f1")})
            row.update(n=m["n"], pos=m["pos"])
        st = fold.cascade.stats
        row["semantic_share"] = st["semantic"] / max(st["texts"], 1)
        logging.info("%s", row)
        out.append(row)
    return out


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
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.data_dir.is_dir():
        print(f"no data at {args.data_dir} (../shared/data beside the checkout)", file=sys.stderr)
        return 2
    results: dict = {}
    if not args.skip_loso:
        lo, hi = (float(x) for x in args.band.split(","))
        results["loso"] = loso(args.data_dir, set(args.folds.split(",")) if args.folds else None, args.weight, (lo, hi))
        table("Leave-one-source-out (held-out group moderated by the engine)", results["loso"],
              ["group", "n", "pos", "fast_recall", "cascade_recall", "fast_fpr", "cascade_fpr", "fast_f1",
               "cascade_f1", "semantic_share"])
    if not args.skip_shipped:
        for name, rows in shipped(args.data_dir).items():
            results[name] = rows
            table(name, rows, ["group", "n", "pos", "recall", "fpr", "precision", "f1"])
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
