"""Checks on the hand-written challenge banks in ``bench/moderation/challenge`` (issue 8).

The banks are evaluation-only (GB/T 45654 §8.2 b test bank style): this pins their schema, exact NAME
offsets, uniqueness, minimum sizes, that the README count table matches the files, and that none of their
texts has leaked into the classifier's training data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hegui.moderation.taxonomy import default_taxonomy

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "bench" / "moderation" / "challenge"
TRAINING_DATA = ROOT / "src" / "hegui" / "moderation" / "classifier" / "data"
CJK = re.compile(r"[\u4e00-\u9fff]")

RESPONSE_LABELS = ("harmful", "refusal", "responsible", "benign")
ABUSE_KINDS = {"contact_ad", "black_market", "gambling_lure", "porn_lure", "money_for_contact", "fraud"}
SAFE_KINDS = {"benign_contact", "benign_ad", "chat"}
TITLES = ("教授", "女士", "先生", "老师", "医生", "博士", "院士",
          "主任", "队长", "律师", "经理", "记者")


def _load(name: str) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate((BANK / name).read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{name}:{n} blank line"
        row = json.loads(line)
        assert isinstance(row, dict), f"{name}:{n} is not an object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def responses() -> list[dict[str, Any]]:
    return _load("responses.jsonl")


@pytest.fixture(scope="module")
def abuse() -> list[dict[str, Any]]:
    return _load("abuse.jsonl")


@pytest.fixture(scope="module")
def names() -> list[dict[str, Any]]:
    return _load("names.jsonl")


def _risk_slice() -> set[str]:
    tax = default_taxonomy()
    return {r for r in tax.ids("A1", "A2", "A3", "A4") if r >= "A1d"}


def _ids_ok(rows: list[dict[str, Any]], prefix: str) -> None:
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert all(re.fullmatch(rf"{prefix}-\d{{4}}", i) for i in ids), "bad id format"


# --- responses.jsonl -------------------------------------------------------------------------

def test_responses_schema(responses: list[dict[str, Any]]) -> None:
    allowed = _risk_slice()
    _ids_ok(responses, "cr")
    for r in responses:
        assert set(r) == {"id", "prompt", "response", "lang", "label", "risk"}, r["id"]
        assert isinstance(r["prompt"], str) and r["prompt"].strip(), r["id"]
        assert isinstance(r["response"], str) and r["response"].strip(), r["id"]
        assert r["lang"] in ("zh", "en"), r["id"]
        assert r["label"] in RESPONSE_LABELS, r["id"]
        if r["label"] == "benign":
            assert r["risk"] is None, r["id"]
        else:
            assert r["risk"] in allowed, r["id"]
        assert bool(CJK.search(r["prompt"])) == (r["lang"] == "zh"), f"{r['id']} lang mismatch"


def test_responses_unique_pairs(responses: list[dict[str, Any]]) -> None:
    pairs = Counter((r["prompt"], r["response"]) for r in responses)
    assert [p for p, n in pairs.items() if n > 1] == []
    answers = Counter(r["response"] for r in responses)
    assert [a for a, n in answers.items() if n > 1] == []


def test_responses_minimum_counts_and_mix(responses: list[dict[str, Any]]) -> None:
    labels = Counter(r["label"] for r in responses)
    assert len(responses) >= 240
    assert all(labels[lab] >= 60 for lab in RESPONSE_LABELS), labels
    zh_share = sum(r["lang"] == "zh" for r in responses) / len(responses)
    assert 0.55 <= zh_share <= 0.75, zh_share
    assert {r["risk"] for r in responses if r["risk"]} == _risk_slice()


def test_responses_same_prompt_groups(responses: list[dict[str, Any]]) -> None:
    """≥ 40 prompts carry several labels, so the judge must read the response (issue 8)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in responses:
        groups.setdefault(r["prompt"], []).append(r)
    multi = {p: g for p, g in groups.items() if len({r["label"] for r in g}) >= 2}
    assert len(multi) >= 40
    for prompt, g in multi.items():
        assert len({r["risk"] for r in g}) == 1, prompt
        assert len({r["lang"] for r in g}) == 1, prompt
        assert "benign" not in {r["label"] for r in g}, prompt
    full = [g for g in multi.values() if {r["label"] for r in g} >= {"harmful", "refusal", "responsible"}]
    assert len(full) >= 40


# --- abuse.jsonl -----------------------------------------------------------------------------

def test_abuse_schema(abuse: list[dict[str, Any]]) -> None:
    _ids_ok(abuse, "ca")
    for a in abuse:
        assert set(a) == {"id", "text", "label", "kind"}, a["id"]
        assert isinstance(a["text"], str) and a["text"].strip(), a["id"]
        kinds = ABUSE_KINDS if a["label"] == "abuse" else SAFE_KINDS if a["label"] == "safe" else set()
        assert a["kind"] in kinds, a["id"]


def test_abuse_unique_and_counts(abuse: list[dict[str, Any]]) -> None:
    texts = Counter(a["text"] for a in abuse)
    assert [t for t, n in texts.items() if n > 1] == []
    labels = Counter(a["label"] for a in abuse)
    assert labels["abuse"] >= 150 and labels["safe"] >= 150, labels
    assert set(Counter(a["kind"] for a in abuse)) == ABUSE_KINDS | SAFE_KINDS
    zh_share = sum(bool(CJK.search(a["text"])) for a in abuse) / len(abuse)
    assert zh_share >= 0.80, zh_share


def test_abuse_obfuscation_variety(abuse: list[dict[str, Any]]) -> None:
    """The abuse side exercises each contact-obfuscation family the issue lists."""
    bad = " ".join(a["text"] for a in abuse if a["label"] == "abuse")
    families = {
        "emoji keycap digits": "\ufe0f\u20e3",
        "circled digits": "⑧",
        "full-width digits": "８",
        "chinese digits 幺": "幺",
        "financial digits 壹": "壹",
        "look-alike O": "O",
        "威信": "威信",
        "扣扣": "扣扣",
        "飞机": "飞机",
        "加我➕": "➕",
        "dotted url": "点example",
    }
    missing = [name for name, mark in families.items() if mark not in bad]
    assert missing == []


# --- names.jsonl -----------------------------------------------------------------------------

def test_names_schema_and_offsets(names: list[dict[str, Any]]) -> None:
    _ids_ok(names, "cn")
    for s in names:
        assert set(s) == {"id", "text", "entities"}, s["id"]
        text = s["text"]
        assert isinstance(text, str) and text and "[[" not in text and "]]" not in text, s["id"]
        last_end = 0
        for e in s["entities"]:
            assert set(e) == {"start", "end", "type", "text"}, s["id"]
            assert e["type"] == "NAME", s["id"]
            assert isinstance(e["start"], int) and isinstance(e["end"], int), s["id"]
            assert last_end <= e["start"] < e["end"] <= len(text), f"{s['id']} overlapping/out of range"
            assert text[e["start"]:e["end"]] == e["text"], s["id"]
            last_end = e["end"]


def test_names_follow_the_rule(names: list[dict[str, Any]]) -> None:
    """Spans exclude titles and '@'; surname-only forms (小王, 老李) are never a NAME."""
    for s in names:
        for e in s["entities"]:
            t = e["text"]
            assert not t.startswith("@") and not t.endswith(TITLES), s["id"]
            assert len(t) >= 2 and t == t.strip(), s["id"]
            assert not re.fullmatch(r"[小老阿][\u4e00-\u9fff]", t), s["id"]
            assert "某" not in t, s["id"]


def test_names_counts_and_coverage(names: list[dict[str, Any]]) -> None:
    texts = Counter(s["text"] for s in names)
    assert [t for t, n in texts.items() if n > 1] == []
    assert len(names) >= 150
    assert sum(not s["entities"] for s in names) >= 40
    ents = [e["text"] for s in names for e in s["entities"]]
    assert any("·" in t for t in ents), "foreign names"
    assert any(t.startswith(("欧阳", "司马")) for t in ents), "compound surnames"
    assert {2, 3} <= {len(t) for t in ents if "·" not in t}


# --- README and independence -----------------------------------------------------------------

def _count_rows(responses: list[dict[str, Any]], abuse: list[dict[str, Any]],
                names: list[dict[str, Any]]) -> list[str]:
    rows: list[tuple[str, str, int]] = [("responses.jsonl", "total", len(responses))]
    rows += [("responses.jsonl", f"label={lab}", sum(r["label"] == lab for r in responses))
             for lab in RESPONSE_LABELS]
    rows += [("responses.jsonl", f"lang={lg}", sum(r["lang"] == lg for r in responses)) for lg in ("zh", "en")]
    by_prompt: dict[str, set[str]] = {}
    for r in responses:
        by_prompt.setdefault(r["prompt"], set()).add(r["label"])
    rows.append(("responses.jsonl", "same-prompt groups (≥2 labels)",
                 sum(len(v) >= 2 for v in by_prompt.values())))
    rows.append(("responses.jsonl", "risks covered", len({r["risk"] for r in responses if r["risk"]})))
    rows.append(("abuse.jsonl", "total", len(abuse)))
    rows += [("abuse.jsonl", f"label={lab}", sum(a["label"] == lab for a in abuse)) for lab in ("abuse", "safe")]
    rows += [("abuse.jsonl", f"kind={k}", n) for k, n in sorted(Counter(a["kind"] for a in abuse).items())]
    rows.append(("abuse.jsonl", "zh texts", sum(bool(CJK.search(a["text"])) for a in abuse)))
    rows += [("names.jsonl", "sentences", len(names)),
             ("names.jsonl", "with NAME", sum(bool(s["entities"]) for s in names)),
             ("names.jsonl", "without NAME", sum(not s["entities"] for s in names)),
             ("names.jsonl", "NAME entities", sum(len(s["entities"]) for s in names))]
    return [f"| {f} | {k} | {v} |" for f, k, v in rows]


def test_readme_counts_match_files(responses: list[dict[str, Any]], abuse: list[dict[str, Any]],
                                   names: list[dict[str, Any]]) -> None:
    readme = (BANK / "README-more.md").read_text(encoding="utf-8")
    assert "2026-12-02" in readme
    table = {line for line in readme.splitlines() if line.startswith("| ") and ".jsonl" in line}
    assert set(_count_rows(responses, abuse, names)) == table


def test_banks_not_in_training_data(responses: list[dict[str, Any]], abuse: list[dict[str, Any]],
                                    names: list[dict[str, Any]]) -> None:
    """Never trained on: no bank text (≥ 8 chars) appears in the classifier's training sources."""
    sources = [p.read_text(encoding="utf-8", errors="replace")
               for p in sorted(TRAINING_DATA.rglob("*")) if p.is_file()]
    if not sources:
        pytest.skip("no classifier training sources in this checkout")
    corpus = "\n".join(sources)
    texts = [r["prompt"] for r in responses] + [r["response"] for r in responses]
    texts += [a["text"] for a in abuse] + [s["text"] for s in names]
    leaked = sorted({t for t in texts if len(t) >= 8 and t in corpus})
    assert leaked == []
