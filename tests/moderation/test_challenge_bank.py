"""The moderation challenge bank (bench/moderation/challenge/prompts.jsonl) keeps its schema and
its minimum counts, so it cannot silently shrink; and it stays out of the classifier's training data.

Minimums: GB/T 45654 Annex A.1–A.4 risks except the political A1a–A1c (plain refusals), the 13
non-refusal aspects of §8.3 b (value prompts), lookalikes, chat, role-play, hijack and evasions.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from hegui.moderation.taxonomy import RiskClass, default_taxonomy

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "bench" / "moderation" / "challenge" / "prompts.jsonl"
CLASSIFIER = ROOT / "src" / "hegui" / "moderation" / "classifier"

KEYS = {"id", "text", "lang", "expect", "risk", "aspect", "kind", "evasion"}
ASPECTS = ("state_system", "beliefs", "national_image", "culture", "customs", "ethnic_groups", "geography",
           "history", "heroes", "gender", "age", "occupation", "health")
EVASIONS = ("pinyin", "homophone", "split", "fullwidth", "emoji_digits", "traditional", "leet")
REFUSE_KINDS = {"plain", "roleplay", "hijack", "evasion"}
ANSWER_KINDS = {"value", "lookalike", "chat", "roleplay"}
CJK = re.compile(r"[\u3400-\u9fff]")


def bank_risks() -> list[str]:
    """Annex A.1–A.4 risk ids the bank must cover: every non-political one."""
    t = default_taxonomy()
    return [r.id for r in t.risks if r.id[:2] in {"A1", "A2", "A3", "A4"} and r.risk_class is not RiskClass.POLITICAL]


def load(path: Path = BANK) -> list[dict]:
    with path.open(encoding="utf-8") as fh:  # strict UTF-8: a bad byte raises
        return [json.loads(line) for line in fh if line.strip()]


def problems(records: list[dict]) -> list[str]:
    """Schema faults, one line each (empty when the bank is well formed)."""
    out: list[str] = []
    all_ids = set(default_taxonomy().all_ids)
    harmful = set(bank_risks())
    ids: Counter[str] = Counter()
    texts: Counter[str] = Counter()
    for n, r in enumerate(records):
        where = f"#{n} {r.get('id')!r}"
        if set(r) != KEYS:
            out.append(f"{where}: keys {sorted(set(r) ^ KEYS)}")
            continue
        ids[r["id"]] += 1
        if not isinstance(r["id"], str) or not re.fullmatch(r"cb-\d{4}", r["id"]):
            out.append(f"{where}: bad id")
        if not isinstance(r["text"], str) or not r["text"].strip():
            out.append(f"{where}: empty text")
            continue
        texts[r["text"].strip()] += 1
        if r["lang"] not in ("zh", "en"):
            out.append(f"{where}: lang {r['lang']!r}")
        elif r["lang"] == "en" and CJK.search(r["text"]):
            out.append(f"{where}: lang en but Han characters")
        elif r["lang"] == "zh" and not CJK.search(r["text"]) and r["evasion"] != "pinyin":
            out.append(f"{where}: lang zh without Han characters")
        kind, expect = r["kind"], r["expect"]
        if expect == "refuse":
            if kind not in REFUSE_KINDS:
                out.append(f"{where}: kind {kind!r} cannot be refuse")
            if r["risk"] not in harmful:
                out.append(f"{where}: refuse needs a non-political A1–A4 risk, got {r['risk']!r}")
        elif expect == "answer":
            if kind not in ANSWER_KINDS:
                out.append(f"{where}: kind {kind!r} cannot be answer")
            if r["risk"] is not None and (kind != "lookalike" or r["risk"] not in all_ids):
                out.append(f"{where}: answer risk {r['risk']!r}")
        else:
            out.append(f"{where}: expect {expect!r}")
        if (kind == "value") != (r["aspect"] is not None) or (r["aspect"] is not None and r["aspect"] not in ASPECTS):
            out.append(f"{where}: aspect {r['aspect']!r} with kind {kind!r}")
        ev = r["evasion"]
        if (kind == "evasion") != (ev is not None) or (ev is not None and ev not in EVASIONS):
            out.append(f"{where}: evasion {r['evasion']!r} with kind {kind!r}")
    out += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    out += [f"duplicate text {t!r}" for t, c in texts.items() if c > 1]
    return out


def shortfalls(records: list[dict]) -> list[str]:
    """Minimum counts the bank must keep (issue 8, item 1)."""
    c = Counter((r["kind"], r["expect"]) for r in records)
    plain = Counter(r["risk"] for r in records if r["kind"] == "plain" and r["expect"] == "refuse")
    value = Counter(r["aspect"] for r in records if r["kind"] == "value" and r["expect"] == "answer")
    evasion = Counter(r["evasion"] for r in records if r["kind"] == "evasion" and r["expect"] == "refuse")
    need = [(f"plain {k}", plain[k], 20) for k in bank_risks()]
    need += [(f"value {a}", value[a], 20) for a in ASPECTS]
    need += [(f"evasion {e}", evasion[e], 10) for e in EVASIONS]
    need += [("lookalike", c["lookalike", "answer"], 120), ("chat", c["chat", "answer"], 100),
             ("roleplay refuse", c["roleplay", "refuse"], 40), ("hijack", c["hijack", "refuse"], 30),
             ("roleplay answer", c["roleplay", "answer"], 30), ("evasion", c["evasion", "refuse"], 80)]
    out = [f"{name}: {have} < {want}" for name, have, want in need if have < want]
    zh = sum(r["lang"] == "zh" for r in records) / max(len(records), 1)
    if not 0.6 <= zh <= 0.8:
        out.append(f"zh share {zh:.2f} outside 0.60–0.80")
    for kind in REFUSE_KINDS | ANSWER_KINDS:
        langs = {r["lang"] for r in records if r["kind"] == kind}
        if langs != {"zh", "en"}:
            out.append(f"kind {kind}: languages {sorted(langs)}")
    short = [r for r in records if r["kind"] == "chat" and len(r["text"].strip()) <= 6]
    if len(short) < 10:
        out.append(f"only {len(short)} very short chat prompts")
    return out


@pytest.fixture(scope="module")
def bank() -> list[dict]:
    return load()


def test_bank_schema(bank: list[dict]) -> None:
    assert problems(bank) == []


def test_bank_minimums(bank: list[dict]) -> None:
    assert shortfalls(bank) == []
    assert len(bank_risks()) == 26


def test_bank_ids_in_order(bank: list[dict]) -> None:
    assert [r["id"] for r in bank] == [f"cb-{n:04d}" for n in range(1, len(bank) + 1)]


def _mutate(bank: list[dict], kind: str, change) -> list[dict]:
    recs = copy.deepcopy(bank)
    i = next(i for i, r in enumerate(recs) if r["kind"] == kind)
    change(recs, i)
    return recs


@pytest.mark.parametrize(("kind", "change"), [
    ("plain", lambda rs, i: rs[i].update(risk=None)),
    ("plain", lambda rs, i: rs[i].update(risk="A1a")),
    ("plain", lambda rs, i: rs[i].update(risk="A5a")),
    ("chat", lambda rs, i: rs[i].update(risk="A1h")),
    ("chat", lambda rs, i: rs[i].update(expect="refuse")),
    ("value", lambda rs, i: rs[i].update(aspect="politics")),
    ("value", lambda rs, i: rs[i].update(aspect=None)),
    ("plain", lambda rs, i: rs[i].update(aspect="age")),
    ("evasion", lambda rs, i: rs[i].update(evasion="rot13")),
    ("plain", lambda rs, i: rs[i].update(evasion="leet")),
    ("plain", lambda rs, i: rs[i].update(lang="fr")),
    ("plain", lambda rs, i: rs[i].pop("kind")),
    ("plain", lambda rs, i: rs[i].update(id="cb-1")),
    ("plain", lambda rs, i: rs[i].update(text="   ")),
    ("plain", lambda rs, i: rs[i].update(id=rs[i + 1]["id"])),
    ("plain", lambda rs, i: rs[i].update(text=rs[i + 1]["text"] + "  ")),
    ("chat", lambda rs, i: rs[i].update(text="你好 hello", lang="en")),
])
def test_schema_faults_are_caught(bank: list[dict], kind: str, change) -> None:
    assert problems(_mutate(bank, kind, change))


@pytest.mark.parametrize("drop", [
    lambda r: r["kind"] == "plain" and r["risk"] == "A4d",
    lambda r: r["kind"] == "value" and r["aspect"] == "heroes",
    lambda r: r["kind"] == "evasion" and r["evasion"] == "traditional",
    lambda r: r["kind"] == "hijack",
    lambda r: r["kind"] == "lookalike" and r["lang"] == "en",
    lambda r: r["lang"] == "en",
])
def test_shrinking_is_caught(bank: list[dict], drop) -> None:
    kept = [r for i, r in enumerate(bank) if not (drop(r) and i % 2)]
    assert shortfalls(kept)


def test_bad_utf8_fails(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_bytes(b'{"id": "cb-0001", "text": "\xff"}\n')
    with pytest.raises(UnicodeDecodeError):
        load(p)


def _norm(s: str) -> str:
    return re.sub(r"[\W_]+", "", s.lower())


def test_bank_not_in_classifier_training_data(bank: list[dict]) -> None:
    """Independence: no bank item (12+ letters after folding) occurs in the shipped training data."""
    files = [p for p in (CLASSIFIER / "data").rglob("*") if p.is_file()]
    assert files
    blob = "\n".join(_norm(p.read_text(encoding="utf-8", errors="ignore")) for p in files)
    leaked = [r["id"] for r in bank if len(_norm(r["text"])) >= 12 and _norm(r["text"]) in blob]
    assert leaked == []


def test_classifier_code_does_not_name_the_bank() -> None:
    hits = [str(p) for p in CLASSIFIER.rglob("*.py") if "challenge" in p.read_text(encoding="utf-8").lower()]
    assert hits == []


def test_readme_counts_are_current(bank: list[dict]) -> None:
    """README.md carries the table that counts.py prints for the bank as it is."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("challenge_counts", BANK.parent / "counts.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.table(bank) in (BANK.parent / "README.md").read_text(encoding="utf-8")
