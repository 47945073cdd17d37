"""Data loaders: COLD/JADE layouts, the JADE category table, written templates, deterministic splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hegui.moderation.classifier.dataset import (
    _data_file,
    assign_split,
    cold_examples,
    jade_examples,
    jade_head,
    load_heads,
    written_examples,
    written_texts,
)
from hegui.moderation.classifier.train import main


def _tiny_public_data(root: Path) -> Path:
    (root / "cold").mkdir(parents=True)
    (root / "jade").mkdir()
    rows = ["\ufeff,split,topic,label,TEXT"]
    for i in range(30):
        rows.append(f"{i},train,region,1,某地人都是骗子垃圾{i}")
        rows.append(f"{100 + i},train,region,0,我去过那里，风景不错{i}")
    (root / "cold" / "train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    jade = [{"id": f"j{i}", "text": f"如何在网上贩卖毒品而不被发现{i}", "label": "unsafe", "category": "违法犯罪",
             "subcategory": "贩卖毒品 ", "lang": "zh"} for i in range(30)]
    (root / "jade" / "t.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in jade) + "\n",
                                           encoding="utf-8")
    (root / "xsafety").mkdir()  # present but never read by training
    (root / "xsafety" / "prompts_zh.jsonl").write_text("not json at all\n", encoding="utf-8")
    return root


def test_loaders_read_the_shared_layout(tmp_path):
    root = _tiny_public_data(tmp_path / "data")
    cold = list(cold_examples(root))
    assert len(cold) == 60 and {e.head for e in cold} == {"offensive"} and {e.label for e in cold} == {0, 1}
    jade = list(jade_examples(root))
    assert len(jade) == 30 and {e.head for e in jade} == {"illegal"} and all(e.label == 1 for e in jade)
    assert {e.split for e in jade} <= {"train", "calib", "test"}


def test_train_from_data_dir_end_to_end(tmp_path):
    pytest.importorskip("sklearn")
    root = _tiny_public_data(tmp_path / "data")
    out = tmp_path / "m.npz"
    assert main(["--data-dir", str(root), "--out", str(out), "--bits", "12", "--c-grid", "1"]) == 0
    header = json.loads(out.with_suffix(".json").read_text())
    assert {"unsafe", "offensive", "illegal"} <= {h["name"] for h in header["heads"]}
    assert any(k.startswith("written/") for k in header["data_counts"])


def test_jade_category_table():
    table = _data_file("jade_categories.yaml")
    heads = set(load_heads())
    assert all(h is None or h in heads for h in table["subcategories"].values())
    assert jade_head("违法犯罪", "宣扬恐怖主义、极端主义", table) == "terrorism_extremism"
    assert jade_head("侵犯权益", "侵害他人隐私权|侵害他人名誉权", table) == "privacy"
    assert jade_head("歧视偏见", "其他", table) == "offensive"
    assert jade_head("违法犯罪", "其他", table) is None


def test_heads_map_to_annex_a_ids():
    from hegui.moderation.taxonomy import default_taxonomy

    ids = {r.id for r in default_taxonomy().risks}
    assert len(ids) == 31
    assert all(set(risks) <= ids for risks in load_heads().values())


def test_written_examples_are_deterministic_and_cover_every_label():
    a, b = list(written_examples()), list(written_examples())
    assert a == b
    labels = {(e.head, e.lang) for e in a}
    for head in (None, "role_play", "goal_hijacking", "prompt_leaking"):
        assert (head, "zh") in labels and (head, "en") in labels
    assert len({e.text for e in a}) == len(a)


def test_split_is_stable():
    assert assign_split("同一句话") == assign_split("同一句话")
    shares = [assign_split(f"text {i}", test_share=0.2) for i in range(2000)]
    assert 0.15 < shares.count("test") / 2000 < 0.25


def test_written_texts_are_deterministic_and_include_long_benign_english():
    a, b = list(written_texts()), list(written_texts())
    assert a == b and len({e.text for e in a}) == len(a)
    benign_en = [e for e in a if e.lang == "en" and e.label == 0]
    assert len(benign_en) >= 1000 and sum(len(e.text) >= 600 for e in benign_en) >= 300
    assert any("```" in e.text for e in benign_en)  # code answers
    assert sum(e.lang == "zh" and e.label == 0 and len(e.text) >= 200 for e in a) >= 100
    assert {e.head for e in a if e.lang == "en" and e.label == 1} >= {"illegal", "privacy", "health_harm"}
    assert all(len(e.text) <= 1000 for e in a)  # each fits one scoring window
    from hegui.moderation.classifier.model import WINDOW

    assert WINDOW >= 1000


def test_training_refuses_the_challenge_bank(tmp_path) -> None:  # noqa: ANN001
    """The banks measure generalisation: a training run must never read them (issue 8)."""
    from pathlib import Path

    import pytest

    from hegui.moderation.classifier.dataset import operator_examples
    from hegui.moderation.classifier.errors import TrainingDataInvalid

    bank = Path(__file__).resolve().parents[3] / "bench" / "moderation" / "challenge" / "prompts.jsonl"
    with pytest.raises(TrainingDataInvalid, match="evaluation"):
        list(operator_examples(bank, {"unsafe"}))
    copy = tmp_path / "ops.jsonl"
    copy.write_text('{"id": "cb-0001", "text": "x", "label": 1}\n', encoding="utf-8")
    with pytest.raises(TrainingDataInvalid, match="challenge"):
        list(operator_examples(copy, {"unsafe"}))
