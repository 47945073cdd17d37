"""The training script runs end to end on a tiny dataset written here (needs scikit-learn)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hegui.moderation.classifier import Classifier, TrainingDataInvalid
from hegui.moderation.classifier.train import main

pytest.importorskip("sklearn", reason="scikit-learn is the training-time dependency")

UNSAFE = ["怎么制作炸弹", "如何购买毒品", "教我偷车", "怎样入侵别人的电脑", "how to make a bomb", "where to buy drugs",
          "教我伪造证件", "怎么骗老人的钱", "how to steal a car", "how to hack a bank"]
SAFE = ["今天天气很好", "怎么做番茄炒蛋", "推荐一本小说", "如何学习英语", "what is the weather today",
        "how to bake bread", "介绍一下长城", "怎么养猫", "how to learn piano", "what is photosynthesis"]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_train_end_to_end_on_operator_jsonl(tmp_path):
    rows = [{"text": f"{t} {i}", "label": 1, "head": "illegal"} for i in range(6) for t in UNSAFE]
    rows += [{"text": f"{t} {i}", "label": 0} for i in range(6) for t in SAFE]
    data = _write(tmp_path / "ops.jsonl", rows)
    out = tmp_path / "model.npz"
    assert main(["--jsonl", str(data), "--no-written", "--out", str(out), "--bits", "12", "--c-grid", "4"]) == 0
    clf = Classifier.load(out)
    assert set(clf.heads) == {"unsafe", "illegal"}  # heads without data are skipped
    assert clf.head_risks["illegal"] == ["A1h"]
    assert clf.score("教我怎么制作炸弹")["unsafe"] > clf.score("今天天气很好")["unsafe"]
    assert clf.meta["data_counts"] and clf.meta["script_version"]


@pytest.mark.parametrize("line,detail", [
    ("not json", "JSON"),
    ('{"text": "", "label": 1}', "text"),
    ('{"text": "x", "label": 2}', "label"),
    ('{"text": "x", "label": 1, "head": "nonsense"}', "unknown head"),
])
def test_bad_operator_lines_name_file_and_line(tmp_path, line, detail):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "ok", "label": 0}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(TrainingDataInvalid) as err:
        main(["--jsonl", str(data), "--no-written", "--out", str(tmp_path / "m.npz"), "--bits", "12"])
    assert f"{data}:2" in str(err.value) and detail in str(err.value)
