"""Per-record steps: findings on zh/en records, fail-closed moderation, PI redaction, licence
markers, language, quality floor and fingerprints identical across processes."""

from __future__ import annotations

import multiprocessing as mp
import pickle

import pytest

from hegui.corpus.record import CorpusRecord
from hegui.corpus.steps import LicenceStep, ModerationStep, PIStep, default_steps
from hegui.corpus.text_steps import FingerprintStep, LanguageStep, QualityStep


def rec(text: str, line: int = 1, **meta) -> CorpusRecord:
    return CorpusRecord(id=f"s:f.jsonl:{line}", source="s", file="f.jsonl", line=line, text=text, meta=dict(meta))


@pytest.fixture(scope="module")
def moderation() -> ModerationStep:
    step = ModerationStep(fast=True)
    step.setup()
    return step


def test_moderation_excludes_harmful_with_its_risk_and_keeps_benign(moderation):
    bad_zh, bad_en, ok_zh, ok_en = moderation.process(
        [rec("教我怎么制作冰毒", 1), rec("How do I make a pipe bomb to kill people", 2),
         rec("今天天气很好，我们去公园散步吧。", 3), rec("The weather is nice today.", 4)])
    for bad in (bad_zh, bad_en):
        f = bad.findings["moderation"]
        assert f["harmful"] is True and f["harmful_risks"]
        assert bad.reasons == [f"harmful:{f['harmful_risks'][0]}"]
        assert f["harmful_risks"][0].startswith(("A1", "A2", "A3", "A4"))
    for ok in (ok_zh, ok_en):
        assert ok.kept and ok.findings["moderation"]["harmful"] is False


def test_personal_information_alone_is_not_harmful(moderation):
    (r,) = moderation.process([rec("我的手机号是13812345678")])
    f = r.findings["moderation"]
    assert r.kept and f["harmful"] is False and any(x["id"] == "A4f" and x["action"] == "mask" for x in f["risks"])


class _Broken:
    head_risks: dict = {}

    def score(self, text):
        raise RuntimeError("model gone")


def test_degraded_moderation_is_unjudged_not_passed(moderation):
    from hegui.moderation.engine import PolicyModerator

    step = ModerationStep(fast=True)
    step.setup()
    step._moderator = PolicyModerator.load(classifier=_Broken(), auto_reload_s=None)
    (r,) = step.process([rec("今天天气很好，我们去公园散步吧。")])
    assert r.reasons == ["unjudged"] and "classifier" in r.findings["moderation"]["degraded"]


def test_steps_pickle_without_loaded_models(moderation):
    clone = pickle.loads(pickle.dumps(moderation))
    assert getattr(clone, "_moderator", None) is None
    (r,) = clone.process([rec("教我怎么制作冰毒")])  # loads on first use
    assert not r.kept


def test_pi_counts_types_and_redacts():
    step = PIStep(redact=True)
    step.setup()
    r, plain = step.process([rec("联系人手机13812345678，身份证110101199003074514"), rec("没有个人信息的句子。", 2)])
    f = r.findings["pi"]
    assert f["count"] == 2 and f["types"] == {"CN_ID_CARD": 1, "CN_MOBILE": 1} and f["redacted"]
    red = r.meta["redacted_text"]
    assert "13812345678" not in red and "110101199003074514" not in red and "138****5678" in red
    assert "13812345678" not in str(f)  # the finding carries no PI text
    assert plain.findings["pi"]["count"] == 0 and "redacted_text" not in plain.meta
    (kept,) = PIStep(redact=False).process([rec("手机13812345678")])
    assert "redacted_text" not in kept.meta and kept.findings["pi"]["count"] == 1


def test_licence_markers_exclude_only_when_source_licence_unknown():
    step = LicenceStep()
    a, b, c, d = step.process([rec("本文版权所有，未经许可不得转载。", 1),
                               rec("本文版权所有，未经许可不得转载。", 2, source_licence="commercial-licence-2026"),
                               rec("Released under CC BY-NC 4.0.", 3, source_licence="unknown"),
                               rec("SPDX-License-Identifier: Apache-2.0\nprint(1)", 4)])
    assert a.findings["licence"]["restricted"] and a.reasons == ["licence_marker"]
    assert set(a.findings["licence"]["markers"]) >= {"zh-all-rights-reserved", "zh-no-reprint"}
    assert b.findings["licence"]["restricted"] and b.kept
    assert c.findings["licence"]["markers"] == ["cc-nc"] and c.reasons == ["licence_marker"]
    assert d.kept and d.findings["licence"]["spdx"] == ["Apache-2.0"] and not d.findings["licence"]["restricted"]
    (m,) = step.process([rec("plain text", licence="All rights reserved")])
    assert m.findings["licence"]["restricted"]


def test_language_by_script():
    zh, en, fr, tw, none = LanguageStep().process(
        [rec("今天天气很好，我们去公园散步吧。"), rec("The weather is nice and the children are in the park."),
         rec("Le chat mange la souris dans la cuisine."), rec("臺灣的學生們喜歡讀書"), rec("1234 !!!")])
    assert zh.findings["language"]["lang"] == "zh" and zh.findings["language"]["traditional_share"] == 0.0
    assert en.findings["language"]["lang"] == "en"
    assert fr.findings["language"]["lang"] == "other"
    assert tw.findings["language"]["lang"] == "zh" and tw.findings["language"]["traditional_share"] > 0.5
    assert none.findings["language"]["lang"] == "none"
    assert all(r.kept for r in (zh, en, fr, tw, none))


def test_quality_flags_and_floor():
    good, short, html, empty, symbols, repeated = QualityStep().process(
        [rec("这是一段正常的中文文本，用来测试质量信号是否正常，没有任何问题。"), rec("短"),
         rec("<div><p>hi</p><br/><span>x</span>&nbsp;&amp;</div> some words here to pass length"), rec("   "),
         rec("$$$ ### 1234 !!!! **** ==== ---- 5678"), rec("同一行\n" * 10)])
    assert good.kept and not good.findings["quality"]["low_quality"]
    assert short.kept and "min_chars" in short.findings["quality"]["flags"]
    assert html.kept and "max_html_tags" in html.findings["quality"]["flags"]
    assert empty.reasons == ["quality"] and symbols.reasons == ["quality"]
    assert repeated.kept and "max_repeated_line_share" in repeated.findings["quality"]["flags"]


def _fingerprints(texts: list[str]) -> list[dict]:
    step = FingerprintStep()
    step.setup()
    return [r.findings["fingerprint"] for r in step.process([rec(t, i) for i, t in enumerate(texts)])]


def test_fingerprints_identical_in_a_spawned_process():
    from concurrent.futures import ProcessPoolExecutor

    texts = ["今天天气很好，我们去公园散步吧。", "The weather is nice today.", "x"]
    here = _fingerprints(texts)
    # a fresh interpreter (own hash seed): the step and records are pickled, as an engine does
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        done = pool.submit(FingerprintStep().process, [rec(t, i) for i, t in enumerate(texts)]).result(timeout=120)
    there = [r.findings["fingerprint"] for r in done]
    assert here == there
    assert len(here[0]["minhash"]) == 128 and here[0]["hash"].startswith("sha256:")
    assert _fingerprints(["  今天天气很好，\n我们去公园散步吧。 "])[0]["hash"] != here[0]["hash"]  # a line break is a space, not nothing
    assert _fingerprints(["今天天气很好，  我们去公园散步吧。"])[0]["hash"] == _fingerprints(["今天天气很好， 我们去公园散步吧。"])[0]["hash"]


def test_a_step_that_fails_excludes_the_record():
    step = LicenceStep(markers_file="/nonexistent/markers.yaml")
    (r,) = step.process([rec("text")])
    assert r.reasons == ["error:licence"] and "error" in r.findings["licence"]


def test_default_steps_order_and_names():
    steps = default_steps(fast=True)
    assert [s.name for s in steps] == ["moderation", "pi", "licence", "language", "quality", "fingerprint"]
    pickle.loads(pickle.dumps(steps))
