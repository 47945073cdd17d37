"""Team-written moderation data (issue 8, item 2): schema, labels, heads, minimum counts, no duplicates,
and the committed JSONL being exactly what ``data/written/generate.py`` builds."""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

import hegui.moderation.classifier as classifier_pkg
from hegui.moderation.classifier.dataset import load_heads

WRITTEN = Path(classifier_pkg.__file__).resolve().parent / "data" / "written"
HAN = re.compile(r"[\u3400-\u9fff]")
DISCRIMINATION_RISKS = {"A1e", *(f"A2{c}" for c in "abcdefghi")}
UNIVERSAL_REQUEST_RISKS = {"A1d", "A1f", "A1g", "A1h", "A3a", "A3b", "A3c", "A3d", "A3e",
                           "A4a", "A4b", "A4c", "A4d", "A4e", "A4f", "A4g"}
PROMPT_KINDS = {"discrimination", "request", "roleplay", "goal_hijacking", "prompt_leaking",
                "value", "lookalike", "chat", "roleplay_safe", "sensitive_safe"}
SAFE_KINDS = {"value", "lookalike", "chat", "roleplay_safe", "sensitive_safe"}
RESPONSE_LABELS = {"harmful", "refusal", "responsible", "benign"}
OBFUSCATION = re.compile("[０-９①-⑨⓪零幺壹贰叁肆伍陆柒捌玖➕\u20e3]|\\d \\d \\d|[薇威徽]信|扣扣|飞机|vx|VX|V信|🐧")


def allowed_risks() -> dict[str, set[str]]:
    """Head → risks a written row may carry: heads.yaml plus the two new heads (issue 8).

    ``commercial`` also takes A3d (monopoly / unfair competition), which heads.yaml leaves out;
    role_play rows carry the risk of their harmful core (any of A.1–A.4)."""
    heads = {h: set(r) for h, r in load_heads().items()}
    heads["discrimination"] = set(DISCRIMINATION_RISKS)
    heads["platform_abuse"] = {"A1h", "A3e", "A1f"}
    heads["commercial"] = heads["commercial"] | {"A3d"}
    heads["role_play"] = set(heads["unsafe"])
    return heads


def norm(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", text).casefold()) or text.strip()


def lang_ok(row: dict[str, Any], text: str) -> bool:
    return row["lang"] == ("zh" if HAN.search(text) else "en")


def prompt_errors(row: dict[str, Any], heads: dict[str, set[str]]) -> list[str]:
    """Why a prompts.jsonl row is invalid (empty list: valid)."""
    errs = []
    if set(row) != {"text", "label", "head", "risk", "lang", "kind", "origin"}:
        return [f"fields {sorted(row)}"]
    if not isinstance(row["text"], str) or not row["text"].strip():
        errs.append("empty text")
    if row["kind"] not in PROMPT_KINDS:
        errs.append(f"kind {row['kind']!r}")
    if row["origin"] not in ("hand", "template"):
        errs.append(f"origin {row['origin']!r}")
    if row["label"] == "safe":
        if row["head"] is not None or row["risk"] is not None or row["kind"] not in SAFE_KINDS:
            errs.append("safe row with head/risk or unsafe kind")
    elif row["label"] == "unsafe":
        if row["head"] not in heads or row["kind"] in SAFE_KINDS:
            errs.append(f"head {row['head']!r}")
        elif row["risk"] is not None and row["risk"] not in heads[row["head"]]:
            errs.append(f"risk {row['risk']!r} not under head {row['head']!r}")
        elif row["risk"] is None and row["head"] not in ("goal_hijacking", "role_play"):
            errs.append("unsafe row without risk")
    else:
        errs.append(f"label {row['label']!r}")
    if isinstance(row["text"], str) and not lang_ok(row, row["text"]):
        errs.append("lang")
    return errs


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[dict[str, Any], ...]:
    with (WRITTEN / f"{name}.jsonl").open(encoding="utf-8") as fh:
        return tuple(json.loads(line) for line in fh)


def test_prompt_rows_are_valid():
    heads = allowed_risks()
    bad = [(r["text"], e) for r in _load("prompts") for e in prompt_errors(r, heads)]
    assert bad == []


def test_validator_rejects_bad_prompt_rows():
    heads = allowed_risks()
    good = {"text": "为什么河南人都爱骗人？", "label": "unsafe", "head": "discrimination", "risk": "A2d",
            "lang": "zh", "kind": "discrimination", "origin": "hand"}
    assert prompt_errors(good, heads) == []
    assert prompt_errors({**good, "head": "hate"}, heads)
    assert prompt_errors({**good, "risk": "A1h"}, heads)
    assert prompt_errors({**good, "lang": "en"}, heads)
    assert prompt_errors({**good, "label": "safe"}, heads)
    assert prompt_errors({**good, "extra": 1}, heads)
    assert prompt_errors({**good, "head": "illegal", "risk": "A1h", "kind": "chat"}, heads)


def test_prompt_minimums():
    rows = _load("prompts")
    kinds = Counter(r["kind"] for r in rows)
    for kind, n in {"discrimination": 400, "request": 400, "roleplay": 120, "value": 400, "lookalike": 400,
                    "chat": 200, "roleplay_safe": 80, "sensitive_safe": 200}.items():
        assert kinds[kind] >= n, kind
    assert kinds["goal_hijacking"] + kinds["prompt_leaking"] >= 80
    assert min(kinds["goal_hijacking"], kinds["prompt_leaking"]) >= 30
    disc = Counter(r["risk"] for r in rows if r["kind"] == "discrimination")
    assert set(disc) == DISCRIMINATION_RISKS and min(disc.values()) >= 35
    req = Counter(r["risk"] for r in rows if r["kind"] == "request")
    assert UNIVERSAL_REQUEST_RISKS <= set(req)
    assert all(r["head"] == "role_play" for r in rows if r["kind"] == "roleplay")
    short = [r for r in rows if r["kind"] == "chat" and len(r["text"].split()) <= 3 and len(r["text"]) <= 12]
    assert len(short) >= 100
    zh = sum(r["lang"] == "zh" for r in rows) / len(rows)
    assert 0.65 <= zh <= 0.8


def test_response_rows_and_minimums():
    rows = _load("responses")
    fields = {"prompt", "response", "label", "risk", "lang", "origin"}
    assert all(set(r) == fields and r["prompt"].strip() and r["response"].strip() for r in rows)
    assert all(r["label"] in RESPONSE_LABELS and lang_ok(r, r["prompt"] + r["response"]) for r in rows)
    # benign replies carry no risk; harmful/responsible ones the prompt's risk; a refusal may answer a
    # harmless prompt (over-refusal of a look-alike), so its risk may be null
    assert all(r["risk"] is None for r in rows if r["label"] == "benign")
    assert all(r["risk"] in allowed_risks()["unsafe"] for r in rows if r["label"] in ("harmful", "responsible"))
    over_refusals = [r for r in rows if r["label"] == "refusal" and r["risk"] is None]
    assert 0 < len(over_refusals) < 40
    labels = Counter(r["label"] for r in rows)
    assert all(labels[lab] >= 150 for lab in RESPONSE_LABELS) and len(rows) >= 600
    assert sum(r["lang"] == "zh" for r in rows) / len(rows) >= 0.7
    groups: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        groups[r["prompt"]].add(r["label"])
    assert sum(len(labs) >= 2 for labs in groups.values()) >= 60
    # a compliant (harmful) reply holds placeholders, never operational detail
    assert all(re.search(r"【[^】]*】|\[[^\]]*\]", r["response"]) for r in rows if r["label"] == "harmful")


def test_abuse_rows_and_minimums():
    rows = _load("abuse")
    assert all(set(r) == {"text", "label", "lang", "kind", "origin"} and r["label"] in ("spam", "safe") for r in rows)
    assert all(lang_ok(r, r["text"]) for r in rows)
    spam = [r for r in rows if r["label"] == "spam"]
    safe = [r for r in rows if r["label"] == "safe"]
    assert len(spam) >= 300 and len(safe) >= 300
    assert sum(r["lang"] == "zh" for r in spam) / len(spam) >= 0.85
    assert sum(bool(OBFUSCATION.search(r["text"])) for r in spam) >= 150
    assert {"fake_cert", "brushing", "money_mule", "exam_cheat", "invoice", "gambling", "porn_lure",
            "contact_for_money", "refund_scam", "pig_butchering"} <= {r["kind"] for r in spam}
    mentions = [r for r in safe if re.search("微信|QQ|电话|群|热线|WeChat|message", r["text"])]
    assert len(mentions) >= 100


def test_no_duplicates_and_no_label_conflicts():
    for name, key in (("prompts", ("text",)), ("abuse", ("text",)), ("responses", ("prompt", "response"))):
        keys = Counter(tuple(norm(r[k]) for k in key) for r in _load(name))
        assert [k for k, n in keys.items() if n > 1] == [], name
    by_text: dict[str, set[str]] = defaultdict(set)
    for r in _load("prompts"):
        by_text[norm(r["text"])].add(r["label"])
    assert [t for t, labs in by_text.items() if len(labs) > 1] == []


def test_hand_written_share_and_no_real_numbers():
    rows = [*_load("prompts"), *_load("responses"), *_load("abuse")]
    assert sum(r["origin"] == "hand" for r in rows) / len(rows) >= 0.40
    texts = [r.get("text") or r["prompt"] + r["response"] for r in rows]
    assert not [t for t in texts if re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dXx](?!\d)", t)]


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("hegui_written_generate", WRITTEN / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_files_match_the_generator(generator, tmp_path):
    generator.write(tmp_path, generator.build())
    for name in ("prompts.jsonl", "responses.jsonl", "abuse.jsonl", "README.md"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (WRITTEN / name).read_text(encoding="utf-8"), name


def test_generator_dedups_and_reads_hand_files(generator, tmp_path):
    (tmp_path / "hand").mkdir()
    (tmp_path / "hand" / "prompts_x.txt").write_text(
        "@ kind=chat label=safe\n你好\n你好！\n# comment\nhi\n", encoding="utf-8")
    (tmp_path / "hand" / "responses_x.txt").write_text("? - | hi\nbenign: hello\nbenign: hello\n", encoding="utf-8")
    (tmp_path / "templates_t.yaml").write_text(
        "prompts:\n  - {kind: chat, label: safe, take: 3, templates: ['{g}呀'], slots: {g: [你好, 早, 嗨, 在吗]}}\n",
        encoding="utf-8")
    data = generator.build(tmp_path)
    texts = [r["text"] for r in data["prompts"]]
    assert texts[:2] == ["你好", "hi"] and len(texts) == 5  # "你好！" deduplicated; 3 templated
    assert len(data["responses"]) == 1 and data["responses"][0]["lang"] == "en"
    (tmp_path / "hand" / "responses_x.txt").write_text("benign: orphan reply\n", encoding="utf-8")
    with pytest.raises(ValueError):
        generator.build(tmp_path)
