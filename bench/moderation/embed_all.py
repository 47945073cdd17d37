"""Fill the embedding cache for every training and evaluation text (run before training/bench).

    python bench/moderation/embed_all.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalsets  # noqa: E402

from hegui.moderation.semantic.cache import EmbeddingCache  # noqa: E402
from hegui.moderation.semantic.data import semantic_examples  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--only", choices=["train", "eval", "all"], default="all")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cache = EmbeddingCache()
    texts: list[str] = []
    if args.only in ("train", "all"):
        texts += [e.text for e in semantic_examples(args.data_dir)]
    if args.only in ("eval", "all"):
        d = args.data_dir
        for gen in (evalsets.xsafety(d), evalsets.cold_dev(d), evalsets.telecom_fraud(d), evalsets.responses(d),
                    evalsets.challenge_prompts(), evalsets.challenge_responses(), evalsets.challenge_abuse()):
            for r in gen:
                texts.append(r.text)
                if r.prompt:
                    texts.append(r.prompt)
    cache.embed(texts)
    print(f"{len(set(texts))} texts embedded in {cache.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
