"""Train the moderation classifier: ``python -m hegui.moderation.classifier.train``.

Reproducible from the public datasets (``--data-dir``: COLD ``train.csv``, JADE) plus the team's
written examples, and extensible with operator JSONL files (``--jsonl FILE``, lines of
``{"text", "label": 0|1, "head"}``). One logistic-regression head per risk group on hashed n-grams;
C picked per head on the held-out calibration split by log-loss; Platt scaling fitted on that
split. scikit-learn is needed here only, never at run time. XSafety is never used (evaluation only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hegui.moderation.classifier.dataset import (
    Example,
    cold_examples,
    jade_examples,
    load_heads,
    operator_examples,
    written_examples,
    written_texts,
)
from hegui.moderation.classifier.sources import COMMENT_SOURCES, public_examples, written_v2
from hegui.moderation.classifier.features import (
    FeatureConfig,
    bucket_ids,
    syllable_table,
)
from hegui.moderation.classifier.weights import ModelData, save_model

SCRIPT_VERSION = "1.4.0"
log = logging.getLogger("hegui.moderation.classifier.train")


def git_commit() -> str:
    """The commit of the checkout the training code runs from (recorded in model headers)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent, check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def head_labels(examples: Sequence[Example], head: str) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, 0/1 labels) of the examples that inform ``head``."""
    rows, labels = [], []
    for i, ex in enumerate(examples):
        if head == "unsafe":
            # Offensive *comments* (COLD, SWSR) train their own head only: `unsafe` is the general
            # unsafe-request head (JADE, attacks, operator data) and their safe texts are its negatives.
            if not (ex.source.split("+")[0] in COMMENT_SOURCES and ex.label == 1):
                rows.append(i); labels.append(ex.label)
        elif ex.label == 0:
            rows.append(i); labels.append(0)
        elif ex.head == head:
            rows.append(i); labels.append(1)
        elif ex.head not in (None, "unsafe"):
            rows.append(i); labels.append(0)
    return np.asarray(rows, dtype=np.int64), np.asarray(labels, dtype=np.int64)


def term_counts(texts: Sequence[str], cfg: FeatureConfig) -> Any:
    """CSR matrix of raw hashed n-gram counts, one row per text."""
    from scipy import sparse

    indptr, indices, counts = [0], [], []
    for t in texts:
        u, c = np.unique(bucket_ids(t, cfg), return_counts=True)
        indices.append(u); counts.append(c)
        indptr.append(indptr[-1] + u.size)
    return sparse.csr_matrix((np.concatenate(counts).astype(np.float32), np.concatenate(indices),
                              np.asarray(indptr)), shape=(len(texts), cfg.dim))


def tfidf(tf: Any, train_mask: np.ndarray, dim: int) -> tuple[Any, np.ndarray]:
    """Sublinear tf × idf, L2-normalised rows; idf from the rows in ``train_mask`` only."""
    from scipy import sparse

    df = np.bincount(tf[train_mask].indices, minlength=dim)
    n = int(train_mask.sum())
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    tf = tf.copy()
    tf.data = 1.0 + np.log(tf.data)
    x = tf @ sparse.diags(idf.astype(np.float16).astype(np.float32))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ x), idf


def featurize(texts: Sequence[str], cfg: FeatureConfig, train_mask: np.ndarray) -> tuple[Any, np.ndarray]:
    """CSR matrix of sublinear-tf × idf, L2-normalised rows; idf from the training split only."""
    return tfidf(term_counts(texts, cfg), train_mask, cfg.dim)


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=1e4).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def balance_weights(y: np.ndarray, langs: np.ndarray) -> np.ndarray:
    """Sample weights that balance positives and negatives *within each language*.

    A global class balance lets the language with the higher share of positives (English: few
    benign texts, many attack and JADE prompts) learn "this language is unsafe".
    """
    w = np.ones(y.shape[0], dtype=np.float64)
    for lang in np.unique(langs):
        m = langs == lang
        pos, neg = int(y[m].sum()), int((1 - y[m]).sum())
        if pos and neg:
            w[m & (y == 1)] = m.sum() / (2.0 * pos)
            w[m & (y == 0)] = m.sum() / (2.0 * neg)
    return w


def fit_head(x: Any, y: np.ndarray, split: np.ndarray, c_grid: Sequence[float],
             weights: np.ndarray, solver: str = "liblinear", max_iter: int = 200) -> dict[str, Any]:
    """Fit one head: pick C on the calib split by log-loss, then Platt-scale on that split."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    tr, ca = split == "train", split == "calib"
    best: dict[str, Any] | None = None
    for c in c_grid:
        lr = LogisticRegression(C=c, solver=solver, max_iter=max_iter, random_state=0)
        lr.fit(x[tr], y[tr], sample_weight=weights[tr])
        z = lr.decision_function(x[ca])
        a, b = _platt(z, y[ca])
        p = 1.0 / (1.0 + np.exp(-(a * z + b)))
        loss = log_loss(y[ca], p, labels=[0, 1]) if ca.any() else 0.0
        if best is None or loss < best["calib_log_loss"]:
            best = {"coef": lr.coef_[0].astype(np.float32), "bias": float(lr.intercept_[0]), "C": c,
                    "platt": (a, b), "calib_log_loss": float(loss)}
    assert best is not None
    best["n_train"] = {"pos": int(y[tr].sum()), "neg": int((1 - y[tr]).sum())}
    best["n_calib"] = {"pos": int(y[ca].sum()), "neg": int((1 - y[ca]).sum())}
    return best


def sound_disguised(examples: Sequence[Example], *, cold_share: float = 0.25) -> list[Example]:
    """Copies of Chinese *training* examples with about a third of the Han characters rewritten by
    sound: as toneless pinyin, or as another common character with the same syllable (same-sound
    substitution, a common way to slip past keyword filters). Positives of every head get one copy
    of each kind; a deterministic ``cold_share`` of COLD comments (both labels) and all other Chinese
    negatives get one copy of either kind, so an odd-looking text is not unsafe by itself.
    Deterministic: the choices are seeded by the SHA-256 of the text. Calibration and test rows are
    never copied."""
    import hashlib
    import random

    from hegui.moderation.classifier.features import syllable_table

    table = syllable_table()
    inverse: dict[int, str] = {}
    for syl, code in table.code_of.items():
        inverse.setdefault(code, syl)
    syl_of: dict[str, str] = {}
    common: dict[str, list[str]] = {}
    for cp in range(0x4E00, 0x9FA6):
        code = int(table.lut[cp])
        if code:
            syl_of[chr(cp)] = inverse[code]
            try:  # substitutes come from GB 2312 (the characters an attacker's keyboard offers first)
                chr(cp).encode("gb2312")
            except UnicodeEncodeError:
                continue
            common.setdefault(inverse[code], []).append(chr(cp))

    def rewrite(text: str, rnd: random.Random, kind: str) -> str:
        han = [i for i, c in enumerate(text) if c in syl_of]
        picked = set(rnd.sample(han, max(1, len(han) // 3))) if han else set()
        out = []
        for i, c in enumerate(text):
            if i not in picked:
                out.append(c)
            elif kind == "pinyin":
                out.append(syl_of[c])
            else:
                alts = [a for a in common.get(syl_of[c], ()) if a != c]
                out.append(rnd.choice(alts) if alts else c)
        return "".join(out)

    out: list[Example] = []
    for ex in examples:
        if ex.split != "train" or ex.lang == "en":
            continue
        seed = hashlib.sha256(ex.text.encode("utf-8")).digest()
        rnd = random.Random(int.from_bytes(seed[:8], "big"))
        if ex.source in COMMENT_SOURCES:
            if seed[8] / 256 >= cold_share:
                continue
            kinds = [rnd.choice(["pinyin", "homophone"])]
        elif ex.label == 1:
            kinds = ["pinyin", "homophone"]
        else:
            kinds = [rnd.choice(["pinyin", "homophone"])]
        for kind in kinds:
            text = rewrite(ex.text, rnd, kind)
            if text != ex.text:
                out.append(Example(text, ex.head, ex.label, ex.source + "+sound", ex.lang, "train"))
    return out


def collect(data_dir: Path | None, jsonl: Sequence[Path], *, written: bool,
            sound_copies: bool = True, public: bool = True) -> list[Example]:
    known = set(load_heads())
    examples: list[Example] = []
    if data_dir is not None:
        examples += cold_examples(data_dir)
        examples += jade_examples(data_dir)
        if public:
            examples += public_examples(data_dir)
    if written:
        examples += written_examples()
        examples += written_texts()
        examples += written_v2()
    for path in jsonl:
        examples += operator_examples(path, known)
    if sound_copies:
        examples += sound_disguised(examples)
    return examples


def train(examples: Sequence[Example], cfg: FeatureConfig, c_grid: Sequence[float],
          only_heads: Sequence[str] | None = None, tf: Any = None) -> ModelData:
    """Fit every head (or ``only_heads``); ``tf`` reuses precomputed :func:`term_counts` rows."""
    head_risks = load_heads()
    if only_heads is not None:
        head_risks = {h: r for h, r in head_risks.items() if h in only_heads}
    split = np.asarray([e.split for e in examples])
    langs = np.asarray(["en" if e.lang == "en" else "zh" for e in examples])
    train_mask = split == "train"
    if tf is None:
        tf = term_counts([e.text for e in examples], cfg)
    x, idf = tfidf(tf, train_mask, cfg.dim)
    heads, cols, biases, platts, head_meta = [], [], [], [], {}
    for head in head_risks:
        rows, y = head_labels(examples, head)
        sp = split[rows]
        if len(set(y[sp == "train"].tolist())) < 2:
            log.warning("head %s skipped: training data lacks positives or negatives", head)
            continue
        fit = fit_head(x[rows], y, sp, c_grid, balance_weights(y, langs[rows]))
        log.info("head %-20s C=%-5g calib log-loss %.4f train %s", head, fit["C"], fit["calib_log_loss"],
                 fit["n_train"])
        heads.append(head); cols.append(fit["coef"]); biases.append(fit["bias"]); platts.append(fit["platt"])
        head_meta[head] = {k: fit[k] for k in ("C", "calib_log_loss", "n_train", "n_calib")}
    if not heads:
        raise SystemExit("no head could be trained: the data has no positive and negative examples")
    counts = Counter(f"{e.source}/{e.split}/{e.label}" for e in examples)
    meta = {"script": "hegui.moderation.classifier.train", "script_version": SCRIPT_VERSION,
            "script_commit": git_commit(), "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "c_grid": list(c_grid), **({"syllable_table_sha256": syllable_table().sha256} if cfg.syl_max else {}),
            "data_counts": dict(sorted(counts.items())), "head_fit": head_meta}
    return ModelData(config=cfg, heads=heads, head_risks={h: head_risks[h] for h in heads},
                     weights=np.stack(cols, axis=1), bias=np.asarray(biases, np.float32), idf=idf,
                     platt=np.asarray(platts, np.float32), meta=meta)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hegui.moderation.classifier.train", description=__doc__)
    ap.add_argument("--data-dir", type=Path, help="folder with cold/ and jade/ (e.g. ../shared/data)")
    ap.add_argument("--jsonl", type=Path, action="append", default=[], help="operator JSONL (repeatable)")
    ap.add_argument("--no-written", action="store_true", help="leave out the team's written examples")
    ap.add_argument("--out", type=Path, required=True, help="output .npz (its .json header is written beside)")
    ap.add_argument("--bits", type=int, default=18, help="hash buckets = 2**bits (default 18)")
    ap.add_argument("--syl-max", type=int, default=3,
                    help="syllable (sound) n-grams 1..N over pinyin of Han characters and Latin pinyin; 0: off")
    ap.add_argument("--no-sound-copies", action="store_true",
                    help="do not add pinyin / same-sound rewritten copies of Chinese training examples")
    ap.add_argument("--c-grid", default="1,4,16", help="comma-separated inverse regularisation strengths")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    examples = collect(args.data_dir, args.jsonl, written=not args.no_written,
                       sound_copies=not args.no_sound_copies)
    log.info("examples: %d %s", len(examples), dict(Counter(e.source for e in examples)))
    model = train(examples, FeatureConfig(bits=args.bits, syl_max=args.syl_max), [float(c) for c in args.c_grid.split(",")])
    out = args.out if args.out.suffix == ".npz" else args.out.with_suffix(".npz")
    save_model(out, model)
    log.info("wrote %s (%d bytes) and %s", out, out.stat().st_size, out.with_suffix(".json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
