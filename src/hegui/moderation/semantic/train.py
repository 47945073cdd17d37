"""Train the semantic stage: ``python -m hegui.moderation.semantic.train``.

Heads: one logistic regression per classifier head on multilingual-e5-small embeddings, C picked on
the calibration split by log-loss, Platt-scaled there. Cascade: inside the band the cascade logit is
``(1 - w) * logit(fast) + w * calibrated semantic logit``, with ``w`` and the band fixed by the
leave-one-source-out benchmark (``bench/moderation/generalisation.py``), never by the challenge bank.
Judge: a 4-class logistic regression on ``[prompt, response, prompt * response]`` embeddings
(harmful compliance / refusal / responsible answer / benign answer). scikit-learn at training time only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hegui.moderation.classifier.dataset import Example, _bucket, assign_split, load_heads
from hegui.moderation.classifier.sources import written_rows
from hegui.moderation.classifier.train import balance_weights, fit_head, git_commit, head_labels
from hegui.moderation.semantic.encoder import DIM, ENCODER_ID
from hegui.moderation.semantic.model import JUDGE_CLASSES, JUDGE_DIM, SemanticModel, save_semantic

SCRIPT_VERSION = "1.0.0"
SEMANTIC_WEIGHT = 0.5  # w in the cascade (LOSO-chosen, see docs/moderation-quality.md)
# Fast probabilities in [lo, hi) are re-scored by the semantic stage. With w = 0.5 a fast score of
# 0.1 needs a semantic probability over 0.99 to reach the 0.8 rule threshold, so the decisions
# below lo barely change while the embedding cost (≈ 10-40 ms a window on 2 cores) is spent on
# about half of ordinary prompts at lo = 0.02 (bench/moderation/cascade_speed.py): lo = 0.1.
BAND = (0.1, 0.995)
MIN_POSITIVES = 40
C_GRID = (0.5, 2.0, 8.0)
DIASAFETY_SHARE = 0.3  # of DiaSafety train (~2,700 pairs) for the response judge
log = logging.getLogger("hegui.moderation.semantic.train")


def train_heads(examples: Sequence[Example], emb: np.ndarray, heads: Sequence[str],
                semantic_weight: float = SEMANTIC_WEIGHT,
                band: tuple[float, float] = BAND) -> tuple[list[str], dict[str, np.ndarray], dict[str, Any]]:
    """Semantic heads for every head with enough positives; returns (names, arrays, per-head meta)."""
    split = np.asarray([e.split for e in examples])
    langs = np.asarray(["en" if e.lang == "en" else "zh" for e in examples])
    names, ws, bs, platts, meta = [], [], [], [], {}
    for head in heads:
        rows, y = head_labels(examples, head)
        sp = split[rows]
        if int(y[sp == "train"].sum()) < MIN_POSITIVES or not (sp == "calib").any():
            continue
        fit = fit_head(emb[rows], y, sp, C_GRID, balance_weights(y, langs[rows]), solver="lbfgs", max_iter=500)
        names.append(head); ws.append(fit["coef"]); bs.append(fit["bias"]); platts.append(fit["platt"])
        meta[head] = {"C": fit["C"], "calib_log_loss": round(fit["calib_log_loss"], 4), "n_train": fit["n_train"]}
        log.info("semantic head %-20s C=%-4g log-loss %.4f %s", head, fit["C"], fit["calib_log_loss"], fit["n_train"])
    platt = np.asarray(platts, np.float32).reshape(-1, 2)
    w = semantic_weight
    stack = np.stack([np.full(len(names), 1 - w), w * platt[:, 0], w * platt[:, 1]], axis=1).astype(np.float32)
    arrays = {"w": np.stack(ws, axis=1).astype(np.float32) if ws else np.zeros((DIM, 0), np.float32),
              "b": np.asarray(bs, np.float32), "platt": platt, "stack": stack,
              "band": np.tile(np.asarray(band, np.float32), (len(names), 1))}
    return names, arrays, meta


def judge_rows(data_dir: Path | None) -> list[tuple[str, str, int, str, str]]:
    """(prompt, response, class index, source, split) for the response judge."""
    import json

    out: list[tuple[str, str, int, str, str]] = []
    cls = {c: i for i, c in enumerate(JUDGE_CLASSES)}
    for r in written_rows("responses"):
        out.append((r["prompt"], r["response"], cls[r["label"]], "written_v2", assign_split(r["response"])))
    if data_dir is not None:
        path = data_dir / "diasafety" / "train.jsonl"  # capped: embedding time on two cores
        if path.is_file():
            for line in path.open(encoding="utf-8"):
                r = json.loads(line)
                if _bucket("judge:" + r["response"]) >= DIASAFETY_SHARE:
                    continue
                lab = cls["harmful"] if r["label"] == "unsafe" else cls["benign"]
                out.append((r["prompt"], r["response"], lab, "diasafety", assign_split(r["response"])))
    return out


def judge_features(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.concatenate([p, r, p * r], axis=1)


def train_judge(x: np.ndarray, y: np.ndarray, split: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    from sklearn.linear_model import LogisticRegression

    tr = split != "test"
    counts = np.bincount(y[tr], minlength=len(JUDGE_CLASSES)).astype(np.float64)
    weights = (tr.sum() / (len(JUDGE_CLASSES) * np.maximum(counts, 1)))[y[tr]]
    lr = LogisticRegression(C=2.0, max_iter=1000)
    lr.fit(x[tr], y[tr], sample_weight=weights)
    w = np.zeros((JUDGE_DIM, len(JUDGE_CLASSES)), np.float32)
    b = np.zeros(len(JUDGE_CLASSES), np.float32)
    for j, c in enumerate(lr.classes_):
        w[:, c] = lr.coef_[j]
        b[c] = lr.intercept_[j]
    b[[c for c in range(len(JUDGE_CLASSES)) if c not in lr.classes_]] = -30.0
    return w, b, {"n": {JUDGE_CLASSES[i]: int(n) for i, n in enumerate(counts)}}


def build(data_dir: Path | None, *, written: bool = True) -> SemanticModel:
    from hegui.moderation.semantic.cache import EmbeddingCache
    from hegui.moderation.semantic.data import semantic_examples

    examples = semantic_examples(data_dir, written=written)
    cache = EmbeddingCache()
    emb = cache.embed([e.text for e in examples])
    head_risks = load_heads()
    names, arrays, head_meta = train_heads(examples, emb, list(head_risks))
    jr = judge_rows(data_dir)
    pe = cache.embed([p for p, *_ in jr])
    re_ = cache.embed([r for _, r, *_ in jr])
    jw, jb, jmeta = train_judge(judge_features(pe, re_), np.asarray([c for _, _, c, *_ in jr]),
                                np.asarray([s for *_, s in jr]))
    counts = Counter(f"{e.source}/{e.split}/{e.label}" for e in examples)
    meta = {"script": "hegui.moderation.semantic.train", "script_version": SCRIPT_VERSION,
            "script_commit": git_commit(), "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "semantic_weight": SEMANTIC_WEIGHT, "band": list(BAND), "data_counts": dict(sorted(counts.items())),
            "judge_data": dict(Counter(s for *_, s, _ in jr)), "judge_fit": jmeta, "head_fit": head_meta}
    return SemanticModel(names, {h: head_risks[h] for h in names}, judge_w=jw, judge_b=jb, encoder=ENCODER_ID,
                         meta=meta, **arrays)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hegui.moderation.semantic.train", description=__doc__)
    ap.add_argument("--data-dir", type=Path, help="the public data (../shared/data)")
    ap.add_argument("--no-written", action="store_true")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = build(args.data_dir, written=not args.no_written)
    save_semantic(args.out, model)
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
