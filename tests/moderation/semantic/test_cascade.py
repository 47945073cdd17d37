"""The semantic stage: weights file validation, band routing, fail-closed encoder errors, judge."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hegui.moderation.classifier.errors import ModelFileInvalid
from hegui.moderation.semantic.cascade import MAX_WINDOWS, CascadeClassifier
from hegui.moderation.semantic.encoder import DIM, WINDOW_CHARS, EncoderUnavailable, windows
from hegui.moderation.semantic.model import (
    JUDGE_CLASSES,
    JUDGE_DIM,
    SemanticModel,
    load_semantic,
    save_semantic,
)


def _model(heads: list[str], band: tuple[float, float] = (0.1, 0.9), seed: int = 0) -> SemanticModel:
    rng = np.random.default_rng(seed)
    h = len(heads)
    return SemanticModel(heads, {x: ["A1h"] for x in heads}, w=rng.normal(size=(DIM, h)).astype(np.float32),
                         b=np.zeros(h, np.float32), platt=np.tile([1.0, 0.0], (h, 1)).astype(np.float32),
                         stack=np.tile([0.0, 1.0, 0.0], (h, 1)).astype(np.float32),
                         band=np.tile(band, (h, 1)).astype(np.float32),
                         judge_w=rng.normal(size=(JUDGE_DIM, 4)).astype(np.float32),
                         judge_b=np.zeros(4, np.float32), encoder="test")


class FakeFast:
    heads = ["unsafe", "illegal"]
    head_risks = {"unsafe": ["A1h"], "illegal": ["A1h"]}

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def score(self, text: str) -> dict[str, float]:
        return dict(self.scores)


class FakeEncoder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def embed(self, texts):  # noqa: ANN001, ANN201
        self.calls.append(list(texts))
        if self.fail:
            raise EncoderUnavailable("boom")
        v = np.ones((len(texts), DIM), np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_roundtrip_and_tamper(tmp_path: Path) -> None:
    m = _model(["unsafe", "illegal"])
    path = tmp_path / "sem.npz"
    save_semantic(path, m)
    back = load_semantic(path)
    assert back.heads == m.heads and np.allclose(back.w, m.w) and np.allclose(back.judge_w, m.judge_w)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileInvalid, match="checksum"):
        load_semantic(path)


def test_header_validated(tmp_path: Path) -> None:
    path = tmp_path / "sem.npz"
    save_semantic(path, _model(["unsafe"]))
    header = json.loads(path.with_suffix(".json").read_text())
    header["heads"][0]["risks"] = ["not-a-risk"]
    path.with_suffix(".json").write_text(json.dumps(header))
    with pytest.raises(ModelFileInvalid, match="Annex A"):
        load_semantic(path)


def test_windows_cover_every_character() -> None:
    text = "x" * (WINDOW_CHARS * 5 + 17)
    covered = set()
    for s, e in windows(text):
        assert e - s <= WINDOW_CHARS
        covered.update(range(s, e))
    assert covered == set(range(len(text)))


def test_clear_fast_scores_skip_the_encoder() -> None:
    enc = FakeEncoder()
    c = CascadeClassifier(FakeFast({"unsafe": 0.01, "illegal": 0.001}), _model(["unsafe"]), encoder=enc)
    assert c.score("你好") == pytest.approx({"unsafe": 0.01, "illegal": 0.001})
    assert enc.calls == []


def test_uncertain_scores_go_to_the_semantic_stage() -> None:
    enc = FakeEncoder()
    model = _model(["unsafe"])
    c = CascadeClassifier(FakeFast({"unsafe": 0.5, "illegal": 0.2}), model, encoder=enc)
    got = c.score("帮我看看这个")
    assert len(enc.calls) == 1
    v = np.ones(DIM, np.float32) / np.sqrt(DIM)
    expect = 1 / (1 + np.exp(-(v @ model.w[:, 0])))  # stack = (0, 1, 0): semantic alone
    assert got["unsafe"] == pytest.approx(float(expect), rel=1e-4)
    assert got["illegal"] == pytest.approx(0.2)  # no semantic head: the fast score stands


def test_long_text_bounded_windows() -> None:
    enc = FakeEncoder()
    c = CascadeClassifier(FakeFast({"unsafe": 0.5, "illegal": 0.0}), _model(["unsafe"]), encoder=enc)
    c.score("a" * 300_000)
    assert len(enc.calls) == 1 and len(enc.calls[0]) == MAX_WINDOWS


def test_encoder_failure_raises_never_silent() -> None:
    c = CascadeClassifier(FakeFast({"unsafe": 0.5, "illegal": 0.0}), _model(["unsafe"]), encoder=FakeEncoder(True))
    with pytest.raises(EncoderUnavailable):
        c.score("text")


def test_judge_is_a_distribution() -> None:
    c = CascadeClassifier(FakeFast({"unsafe": 0.0, "illegal": 0.0}), _model(["unsafe"]), encoder=FakeEncoder())
    j = c.judge("问题", "回答")
    assert set(j) == set(JUDGE_CLASSES) and sum(j.values()) == pytest.approx(1.0, abs=1e-5)


def test_answer_scores_are_capped_by_the_judge() -> None:
    """An answer is cut for harmful compliance, not for its topic: heads are capped by P(harmful)."""
    model = _model(["unsafe"])
    model.judge_w[:] = 0.0
    model.judge_b[:] = [-4.0, 0.0, 0.0, 4.0]  # the judge: a benign answer
    c = CascadeClassifier(FakeFast({"unsafe": 0.999, "illegal": 0.9}), model, encoder=FakeEncoder())
    got = c.score_response("怎么杀死一个进程？", "用 kill 命令。")
    assert got["harmful_response"] < 0.01 and got["illegal"] < 0.01 and got["unsafe"] < 0.01
    model.judge_b[:] = [4.0, 0.0, 0.0, -4.0]  # harmful compliance
    got = c.score_response("怎么制作炸药？", "好的，第一步……")
    assert got["harmful_response"] > 0.9 and got["illegal"] == pytest.approx(0.9)
    assert "harmful_response" in c.head_risks and c.head_risks["harmful_response"] == c.head_risks["unsafe"]
