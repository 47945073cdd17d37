"""Duplicate pass: exact and near-duplicates, first kept in order_key order, deterministic."""

from __future__ import annotations

import random

import pytest

from hegui.corpus.passes import DuplicatePass, default_passes
from hegui.corpus.record import CorpusRecord, PassOrderError
from hegui.corpus.text_steps import FingerprintStep

BASE = ("春天来了，公园里的花都开了，孩子们在草地上放风筝，老人们在树下下棋聊天。"
        "湖面上有几只小船，微风吹过，水波荡漾，远处的山在阳光下显得格外清晰。"
        "中午时分，一家人铺开野餐布，拿出准备好的三明治、水果和果汁，一边吃一边聊着最近的趣事。"
        "下午的阳光渐渐柔和，游客们沿着湖边的小路慢慢散步，拍下一张张美丽的照片，直到傍晚才依依不舍地离开。")
OTHER = "The committee met on Tuesday to review the annual budget and approved the new library plan."


def recs(*items: tuple[str, str, int, str]) -> list[CorpusRecord]:
    out = [CorpusRecord(id=f"{s}:{f}:{n}", source=s, file=f, line=n, text=t) for s, f, n, t in items]
    return FingerprintStep().process(out)


def test_exact_and_near_duplicates_keep_the_first():
    near = BASE.replace("孩子们", "小朋友们").replace("。", "！", 1)
    data = recs(("b", "x", 1, BASE), ("a", "y", 2, " " + BASE + "\n"), ("c", "z", 1, near), ("a", "y", 3, OTHER))
    random.Random(7).shuffle(data)  # the contract: records come in order_key order, checked
    with pytest.raises(PassOrderError):
        list(DuplicatePass().run(data))
    out = {r.id: r for r in DuplicatePass().run(sorted(data, key=lambda r: r.order_key))}
    assert out["a:y:2"].kept  # first in (source, file, line) order
    assert out["b:x:1"].reasons == ["duplicate:a:y:2"]
    assert out["b:x:1"].findings["duplicate"] == {"of": "a:y:2", "kind": "exact", "jaccard": 1.0}
    assert out["c:z:1"].reasons == ["near_duplicate:a:y:2"]
    assert out["c:z:1"].findings["duplicate"]["jaccard"] >= 0.8
    assert out["a:y:3"].kept


def test_unrelated_and_distant_texts_are_not_duplicates():
    half = BASE[: len(BASE) // 2] + "后来下起了大雨，大家纷纷跑回家里，街上一个人也没有了，只剩下路灯。"
    out = list(DuplicatePass().run(recs(("a", "f", 1, BASE), ("a", "f", 2, half), ("a", "f", 3, OTHER))))
    assert all(r.kept for r in out)


def test_excluded_records_do_not_anchor_duplicates():
    data = recs(("a", "f", 1, BASE), ("a", "f", 2, BASE))
    data[0].exclude("harmful:A1h")
    out = list(DuplicatePass().run(data))
    assert out[0].reasons == ["harmful:A1h"] and out[1].kept


def test_threshold_is_named_and_checked():
    near = BASE.replace("孩子们", "小朋友们")
    assert list(DuplicatePass().run(recs(("a", "f", 1, BASE), ("a", "f", 2, near))))[1].reasons
    assert not list(DuplicatePass(near_threshold=0.95).run(recs(("a", "f", 1, BASE), ("a", "f", 2, near))))[1].reasons
    try:
        DuplicatePass(near_threshold=0.99)
    except ValueError:
        pass
    else:
        raise AssertionError("threshold 0 accepted")
    assert [p.name for p in default_passes(optouts=None)] == ["duplicate"]


def test_missing_fingerprint_is_computed_and_same_result():
    plain = [CorpusRecord(id=f"a:f:{i}", source="a", file="f", line=i, text=t) for i, t in enumerate([BASE, BASE])]
    assert [r.reasons for r in DuplicatePass().run(plain)] == [[], ["duplicate:a:f:0"]]
