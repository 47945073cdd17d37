"""Semantic heads train from embeddings with the classifier's head-fitting code (no data needed)."""

import numpy as np

from hegui.moderation.classifier.dataset import Example
from hegui.moderation.semantic.encoder import DIM
from hegui.moderation.semantic.train import MIN_POSITIVES, train_heads


def test_heads_learn_a_separable_signal_and_keep_the_band() -> None:
    rng = np.random.default_rng(0)
    rows, vecs = [], []
    for i in range(6 * MIN_POSITIVES):
        label = i % 2
        split = "calib" if i % 7 == 0 else "train"
        rows.append(Example(f"t{i}", "illegal" if label else None, label, "s", "zh", split))
        v = rng.normal(size=DIM)
        v[0] += 4.0 if label else -4.0
        vecs.append(v / np.linalg.norm(v))
    names, arrays, meta = train_heads(rows, np.asarray(vecs, np.float32), ["unsafe", "illegal"], band=(0.1, 0.9))
    assert names == ["unsafe", "illegal"]
    assert arrays["w"].shape == (DIM, 2) and np.allclose(arrays["band"], [[0.1, 0.9], [0.1, 0.9]])
    z = np.asarray(vecs, np.float32) @ arrays["w"][:, 1] + arrays["b"][1]
    labels = np.asarray([r.label for r in rows])
    assert (z[labels == 1].min() > z[labels == 0].max())  # the illegal head separates the signal
    assert meta["illegal"]["n_train"]["pos"] > 0
