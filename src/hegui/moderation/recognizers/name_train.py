"""Train the person-name model: ``python -m hegui.moderation.recognizers.name_train``.

Averaged structured perceptron (Collins 2002) over BMEO character tags with Viterbi decoding,
deterministic for a given ``--seed`` and data. Data: see :mod:`~hegui.moderation.recognizers.name_data`
(permissive sources only; ResumeNER is never read here). Real sentences from KdConv film/music chat
and CMRC 2018 talk about real people, so they are used only where a first-round model (trained
without them) finds no name; the rest may still hold names it missed (label noise, accepted).
The JSON header next to the weights records the data, the seed, the script commit and the
held-out scores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hegui.moderation.classifier.train import git_commit
from hegui.moderation.recognizers import name_data as nd
from hegui.moderation.recognizers.name_features import NameLexicon, features_batch
from hegui.moderation.recognizers.name_model import (
    B,
    E,
    M,
    O,
    NameModel,
    default_model_path,
    save_model,
    tags_to_spans,
    viterbi,
)

SCRIPT_VERSION = "1.0.0"
log = logging.getLogger("hegui.moderation.recognizers.name_train")


def spans_to_tags(n: int, spans: Sequence[tuple[int, int]]) -> list[int]:
    tags = [O] * n
    for s, e in spans:
        if e - s < 2:
            continue
        tags[s] = B
        for i in range(s + 1, e - 1):
            tags[i] = M
        tags[e - 1] = E
    return tags


class Perceptron:
    """Averaged perceptron with lazy averaging: ``avg = w - u / c`` (Daumé's trick)."""

    def __init__(self, bits: int, lexicon: NameLexicon) -> None:
        self.bits, self.lexicon = bits, lexicon
        self.w = np.zeros((1 << bits, 4), np.float32)
        self.u = np.zeros((1 << bits, 4), np.float32)
        self.t = np.zeros((3, 4, 4), np.float64)  # trans, start (row 0), end (row 0) weights
        self.tu = np.zeros((3, 4, 4), np.float64)
        self.c = 1

    def model(self, averaged: bool = False) -> NameModel:
        w, t = (self.w - self.u / self.c, self.t - self.tu / self.c) if averaged else (self.w, self.t)
        return NameModel(bits=self.bits, weights=w.astype(np.float32), trans=t[0].astype(np.float32),
                         start=t[1, 0].astype(np.float32), end=t[2, 0].astype(np.float32), lexicon=self.lexicon)

    def _update_tags(self, tags: list[int], sign: float) -> None:
        for a, b in zip(tags, tags[1:]):
            self.t[0, a, b] += sign; self.tu[0, a, b] += sign * self.c
        self.t[1, 0, tags[0]] += sign; self.tu[1, 0, tags[0]] += sign * self.c
        self.t[2, 0, tags[-1]] += sign; self.tu[2, 0, tags[-1]] += sign * self.c

    def step(self, ids: np.ndarray, gold: list[int]) -> bool:
        """One example; returns True when the prediction was wrong (and weights were updated)."""
        em = self.w[ids].sum(axis=1).tolist()
        pred = viterbi(em, self.t[0].tolist(), self.t[1, 0].tolist(), self.t[2, 0].tolist())
        wrong = pred != gold
        if wrong:
            g, p = np.array(gold), np.array(pred)
            diff = np.flatnonzero(g != p)
            rows = ids[diff]
            for tags, sign in ((g[diff], 1.0), (p[diff], -1.0)):
                cols = np.repeat(tags, rows.shape[1])
                np.add.at(self.w, (rows.ravel(), cols), sign)
                np.add.at(self.u, (rows.ravel(), cols), sign * self.c)
            self._update_tags(gold, 1.0)
            self._update_tags(pred, -1.0)
        self.c += 1
        return wrong


def train(examples: Sequence[nd.Example], lexicon: NameLexicon, *, bits: int, epochs: int, seed: int) -> NameModel:
    """Averaged-perceptron model for ``examples``; the same inputs and seed give the same weights."""
    examples = [ex for ex in examples if ex[0]]
    ids = features_batch([t for t, _ in examples], lexicon, bits)
    feats = [(f.astype(np.int32), spans_to_tags(len(t), s)) for f, (t, s) in zip(ids, examples)]
    rng = random.Random(seed)
    p = Perceptron(bits, lexicon)
    order = list(range(len(feats)))
    for epoch in range(epochs):
        rng.shuffle(order)
        wrong = sum(p.step(feats[i][0], feats[i][1]) for i in order)
        log.info("epoch %d: %d/%d sentences mis-tagged", epoch + 1, wrong, len(feats))
    return p.model(averaged=True)


def predict_batch(model: NameModel, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Decoded name spans of each text (features computed in one pass)."""
    out = []
    for text, ids in zip(texts, features_batch(list(texts), model.lexicon, model.bits)):
        out.append(tags_to_spans(model.viterbi(model.emissions_of(ids).tolist())) if text else [])
    return out


def evaluate(model: NameModel, examples: Sequence[nd.Example]) -> dict[str, float]:
    """Exact-span precision, recall, F1 (and counts)."""
    tp = n_pred = n_gold = 0
    for (text, spans), pred_spans in zip(examples, predict_batch(model, [t for t, _ in examples])):
        pred = set(pred_spans)
        gold = set(spans)
        tp += len(pred & gold); n_pred += len(pred); n_gold += len(gold)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            "gold": n_gold, "predicted": n_pred}


_PREFIXES = ("{T}", "{P}{O}{T}", "昨天", "据悉，", "听说", "今天上午，", "{W}方面，", "我们{T}", "其中，", "另外，")


def _synth(tpl: dict[str, list[str]], names: nd.NameSampler, rng: random.Random, per: int) -> list[nd.Example]:
    out = []
    for section in sorted(tpl):
        for t in tpl[section]:
            full = "{N}" in t or "{S}" in t or "{B}" in t or "{P}" in t
            for _ in range(per if full else max(1, per // 3)):
                # a name at the very start is common in templates: often put words before it
                pre = rng.choice(_PREFIXES) if t.startswith("{N}") and rng.random() < 0.3 else ""
                out.append(nd.fill(pre + t, names, rng))
    return out


def _real(sents: list[tuple[str, str]], names: nd.NameSampler, rng: random.Random, p_name: float) -> list[nd.Example]:
    return [nd.insert_name(t, names, rng) if rng.random() < p_name else (t, []) for _, t in sents]


def build_corpus(data_dir: Path, seed: int, *, bits: int, per_template: int = 60, bootstrap_epochs: int = 2,
                 all_surnames: bool = False) -> tuple[list[nd.Example], list[nd.Example], NameLexicon, dict]:
    """(train, held-out, lexicon, description of the data). Held-out templates and sentences are
    never trained on; held-out surnames only when ``all_surnames`` is False."""
    real = nd.real_sentences(data_dir)
    simplified = {c for v in real.values() for _, t in v for c in t}
    src = nd.load_sources(data_dir, simplified)
    lex = nd.build_lexicon(src)
    rng = random.Random(seed)
    tr_names = nd.NameSampler(src, None if all_surnames else False, rng)
    ho_names = nd.NameSampler(src, True, rng)
    split = {k: ([s for s in v if not nd.is_heldout_sentence(s[0])], [s for s in v if nd.is_heldout_sentence(s[0])])
             for k, v in real.items()}
    clean = ("crosswoz", "kdconv_travel")  # few real person names: negatives as they are
    base = _synth(nd.templates(False), tr_names, rng, per_template)
    base += [ex for k in clean for ex in _real(split[k][0], tr_names, rng, 0.5)]
    # round 1: a model without the name-rich chat/question sets filters them
    first = train(base, lex, bits=bits, epochs=bootstrap_epochs, seed=seed)
    kept: dict[str, tuple[list, list]] = {}
    for k in ("kdconv_chat", "cmrc"):
        kept[k] = tuple([s for s, found in zip(side, predict_batch(first, [t for _, t in side])) if not found]
                        for side in split[k])  # type: ignore[assignment]
    train_set = base + [ex for k in kept for ex in _real(kept[k][0], tr_names, rng, 0.5)]
    heldout = _synth(nd.templates(True), ho_names, rng, 30)
    heldout += [ex for k in clean for ex in _real(split[k][1], ho_names, rng, 0.5)]
    heldout += [ex for k in kept for ex in _real(kept[k][1], ho_names, rng, 0.5)]
    desc = {
        "chinese_names": {"surnames": len(src.surnames), "given_chars": len(src.given_weights),
                          "historical_names_used": len(src.ancient),
                          "heldout_surnames": sorted(s for s, _ in src.surnames if nd.is_heldout_surname(s))},
        "templates": {"train": sum(map(len, nd.templates(False).values())),
                      "heldout": sum(map(len, nd.templates(True).values()))},
        "real_sentences_train": {k: len(split[k][0]) for k in clean} | {k: len(kept[k][0]) for k in kept},
        "real_sentences_dropped_by_round1": {k: len(split[k][0]) - len(kept[k][0]) for k in kept},
        "train_examples": len(train_set), "heldout_examples": len(heldout),
        "heldout_surnames_in_training": all_surnames,
    }
    return train_set, heldout, lex, desc


def heldout_examples(data_dir: Path, seed: int, per_template: int = 30) -> list[nd.Example]:
    """A held-out set without any training: held-out templates and held-out surnames, plus held-out
    CrossWOZ / KdConv-travel sentences (half with a held-out name inserted). For benchmarks."""
    real = nd.real_sentences(data_dir)
    simplified = {c for v in real.values() for _, t in v for c in t}
    src = nd.load_sources(data_dir, simplified)
    rng = random.Random(seed)
    names = nd.NameSampler(src, True, rng)
    out = _synth(nd.templates(True), names, rng, per_template)
    for k in ("crosswoz", "kdconv_travel"):
        out += _real([s for s in real[k] if nd.is_heldout_sentence(s[0])], names, rng, 0.5)
    return out





def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="shared data folder (chinese_names, crosswoz …)")
    ap.add_argument("--out", type=Path, default=default_model_path())
    ap.add_argument("--bits", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # 1) the recipe with held-out surnames kept out of training: an honest estimate for unseen names
    train_set, heldout, lex, desc = build_corpus(args.data_dir, args.seed, bits=args.bits)
    strict = evaluate(train(train_set, lex, bits=args.bits, epochs=args.epochs, seed=args.seed), heldout)
    log.info("held-out synthetic, held-out surnames never trained on: %s", strict)
    # 2) the shipped model: every surname (held-out templates and sentences still never trained on)
    train_set, heldout, lex, desc = build_corpus(args.data_dir, args.seed, bits=args.bits, all_surnames=True)
    log.info("data: %s", {k: v for k, v in desc.items() if k != "chinese_names"})
    model = train(train_set, lex, bits=args.bits, epochs=args.epochs, seed=args.seed)
    scores = {"heldout_surnames_never_trained": strict, "shipped_model": evaluate(model, heldout)}
    log.info("held-out synthetic, shipped model: %s", scores["shipped_model"])
    model.meta = {"script": "hegui.moderation.recognizers.name_train", "script_version": SCRIPT_VERSION,
                  "commit": git_commit(), "trained": dt.date.today().isoformat(), "seed": args.seed,
                  "epochs": args.epochs, "algorithm": "averaged structured perceptron, BMEO tags, Viterbi",
                  "data": desc, "heldout_synthetic": scores,
                  "licences": {"chinese_names": "Apache-2.0", "crosswoz": "Apache-2.0", "kdconv": "Apache-2.0",
                               "cmrc2018": "CC BY-SA 4.0", "templates": "written by the hegui team"}}
    save_model(args.out, model)
    log.info("wrote %s (%d bytes)", args.out, args.out.stat().st_size)


if __name__ == "__main__":
    main()
