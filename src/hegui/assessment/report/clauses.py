"""The per-clause table of the report: conforms / does not conform / not applicable, with evidence
in zh and en, for every clause the assessment covers (TC260-003 §9.1 c; GB/T 45654 B.1.2–B.1.3
bank sizes and update, B.2.2 b–d and B.2.3 b–c samples and bars). Titles and wiring are data
(``data/assessment/clauses.yaml``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from hegui.assessment.models import BankItem, BankKind
from hegui.assessment.profiles import Profile

CONFORMS, DOES_NOT_CONFORM, NOT_APPLICABLE = "conforms", "does_not_conform", "not_applicable"
_BANK_ZH = {"generated": "生成内容测试题", "should_refuse": "应拒答测试题", "non_refusal": "非拒答测试题"}


@lru_cache(maxsize=1)
def clause_data() -> dict[str, Any]:
    ref = resources.files("hegui.data") / "assessment" / "clauses.yaml"
    return yaml.safe_load(ref.read_text(encoding="utf-8"))


def signatories_default() -> list[dict[str, str]]:
    """The signature block of TC260-003 §9.1 d [U]."""
    return [dict(s) for s in clause_data()["signatories"]]


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _row(clause: str, status: str, zh: str, en: str) -> dict[str, str]:
    t = clause_data()["titles"].get(clause, {"zh": clause, "en": clause})
    return {"clause": clause, "title_zh": t["zh"], "title_en": t["en"], "status": status,
            "evidence_zh": zh, "evidence_en": en}


def _gaps_for(bank: BankKind, clause: str, bank_check: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The gaps of ``bank_check`` that name this bank (or its clause), as zh and en text; a gap
    naming no bank counts for every bank (fail closed)."""
    names = {k.value for k in BankKind}
    zh: list[str] = []
    en: list[str] = []
    for gap in bank_check.get("gaps") or []:
        raw = gap if isinstance(gap, str) else json.dumps(gap, ensure_ascii=False, default=str)
        named = {gap.get("bank")} & names if isinstance(gap, Mapping) else {n for n in names if n in raw}
        if not (bank.value in named or clause in raw or not named):
            continue
        if isinstance(gap, Mapping) and "what_en" in gap:
            have_need = f"{gap.get('have')} / {gap.get('need')}"
            zh.append(f"{gap.get('what_zh', gap['what_en'])}：现有 {have_need}")
            en.append(f"{gap['what_en']}: have {have_need}")
        else:
            zh.append(raw)
            en.append(raw)
    return zh, en


def _shown(texts: list[str], sep: str) -> str:
    return sep.join(texts[:5]) + (f" (+{len(texts) - 5})" if len(texts) > 5 else "")


def _wanted(m: Any) -> tuple[str, str]:
    zh, en = [f"总数 ≥ {m.total}"], [f"total ≥ {m.total}"]
    if m.per_risk_a1_a2:
        zh.append(f"A.1/A.2 每类 ≥ {m.per_risk_a1_a2}")
        en.append(f"≥ {m.per_risk_a1_a2} per A.1/A.2 risk")
    if m.per_risk_other:
        zh.append(f"其他每类 ≥ {m.per_risk_other}")
        en.append(f"≥ {m.per_risk_other} per other risk")
    if m.per_aspect:
        zh.append(f"每方面 ≥ {m.per_aspect}")
        en.append(f"≥ {m.per_aspect} per aspect")
    return "，".join(zh), ", ".join(en)


def _bank_rows(profile: Profile, report: Mapping[str, Any], bank_check: Mapping[str, Any] | None) -> list[dict]:
    rows = []
    for bank in BankKind:
        m = profile.banks[bank]
        want_zh, want_en = _wanted(m)
        n_bank = report[bank.value].get("sampled", {}).get("n_bank")
        size_zh = f"题库 {n_bank} 题；" if n_bank is not None else ""
        size_en = f"bank of {n_bank} items; " if n_bank is not None else ""
        if bank_check is None:
            rows.append(_row(m.clause, DOES_NOT_CONFORM, f"{size_zh}未检查题库覆盖（要求 {want_zh}）：请运行 hegui bank check",
                             f"{size_en}bank coverage not checked (required: {want_en}): run hegui bank check"))
            continue
        gaps_zh, gaps_en = _gaps_for(bank, m.clause, bank_check)
        if gaps_en or (not bank_check.get("ok") and not bank_check.get("gaps")):
            rows.append(_row(m.clause, DOES_NOT_CONFORM,
                             f"{size_zh}未达到要求（{want_zh}）：{_shown(gaps_zh, '；') or '检查未通过'}",
                             f"{size_en}short of the minimums ({want_en}): {_shown(gaps_en, '; ') or 'check not ok'}"))
        else:
            rows.append(_row(m.clause, CONFORMS, f"{size_zh}满足 {want_zh}（hegui bank check）",
                             f"{size_en}meets {want_en} (hegui bank check)"))
    return rows


def _when(text: str) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text).date()
    except (TypeError, ValueError):
        return None


def _update_rows(profile: Profile, items: Sequence[BankItem], finished: str) -> list[dict]:
    """B.1.2 d / B.1.3 c: the newest dated item of each bank is no older than the update rule."""
    end = _when(finished) or dt.date.today()
    by_clause: dict[str, list[BankKind]] = {}
    for bank in BankKind:
        clause = clause_data()["update"].get(profile.banks[bank].clause, profile.banks[bank].clause + " (update)")
        by_clause.setdefault(clause, []).append(bank)
    rows = []
    for clause, banks in by_clause.items():
        ok, zh, en = True, [], []
        for bank in banks:
            days = profile.update_days[bank]
            dates = [i.date for i in items if i.bank is bank and i.date is not None]
            if not dates:
                ok = False
                zh.append(f"{_BANK_ZH[bank.value]}：所评估题目均无日期，无法证明 {days} 天内更新")
                en.append(f"{bank.value}: no assessed item carries a date; an update within {days} days is not shown")
                continue
            newest = max(dates)
            age = (end - newest).days
            ok &= age <= days
            zh.append(f"{_BANK_ZH[bank.value]}：最新题目日期 {newest}（{age} 天前，要求 ≤ {days} 天）")
            en.append(f"{bank.value}: newest item dated {newest} ({age} days before the run, required ≤ {days})")
        rows.append(_row(clause, CONFORMS if ok else DOES_NOT_CONFORM, "；".join(zh), "; ".join(en)))
    return rows


def _rate_row(clause: str, sec: Mapping[str, Any], key: str, zh_name: str, en_name: str) -> dict:
    n, value, ci = sec["n"], sec[key], sec.get("ci95")
    cmp = "≥" if sec["direction"] == "min" else "≤"
    if not n:
        return _row(clause, DOES_NOT_CONFORM, f"未评估任何题目（要求 ≥ {sec['min']} 题，{zh_name} {cmp} {pct(sec['bar'])}）",
                    f"no item assessed (required ≥ {sec['min']} items, {en_name} {cmp} {pct(sec['bar'])})")
    ci_txt = f"{pct(ci[0])}–{pct(ci[1])}" if ci else "—"
    zh = f"{zh_name} {pct(value)}（95% 置信区间 {ci_txt}），阈值 {cmp} {pct(sec['bar'])}；样本 {n} 题，要求 ≥ {sec['min']}"
    en = f"{en_name} {pct(value)} (95% CI {ci_txt}), bar {cmp} {pct(sec['bar'])}; sample of {n}, required ≥ {sec['min']}"
    if sec.get("undecided"):
        zh += f"；未判定 {sec['undecided']} 题按不利结果计"
        en += f"; {sec['undecided']} undecided counted against the service"
    if sec.get("under_size"):
        zh += "；样本量不足"
        en += "; the sample is under size"
    ok = bool(sec.get("meets_bar")) and not sec.get("under_size")
    return _row(clause, CONFORMS if ok else DOES_NOT_CONFORM, zh, en)


def _method_rows(profile: Profile, gen: Mapping[str, Any]) -> list[dict]:
    """B.2.2 b–d: each method (manual, keyword, classifier) judged ≥ min items at ≥ bar."""
    rule = profile.samples[BankKind.GENERATED]
    rows = []
    for suffix, method in clause_data()["methods"].items():
        clause = f"{rule.clause} {suffix}"
        names = set(method["judges"])
        judged = {j: r for j, r in gen.get("by_method", {}).items() if j.split(":")[0].split("@")[0] in names}
        if not judged:
            zh = "本次评估没有该方法的判定" + ("（人工审核工作表尚未导入）" if method["id"] == "manual" else "")
            en = "no verdict by this method in this run" + (
                " (the human-review worksheet has not been imported)" if method["id"] == "manual" else "")
            rows.append(_row(clause, DOES_NOT_CONFORM, zh, en))
            continue
        parts = [_rate_row(clause, {**r, "direction": rule.direction, "bar": rule.bar, "min": rule.min,
                                    "meets_bar": r["pass_rate"] is not None and rule.met(r["pass_rate"]),
                                    "under_size": r["n"] < rule.min}, "pass_rate", f"{j} 合格率", f"{j} pass rate")
                 for j, r in sorted(judged.items())]
        ok = all(p["status"] == CONFORMS for p in parts)
        rows.append(_row(clause, CONFORMS if ok else DOES_NOT_CONFORM, "；".join(p["evidence_zh"] for p in parts),
                         "; ".join(p["evidence_en"] for p in parts)))
    return rows


def clause_table(report: Mapping[str, Any], profile: Profile, items: Sequence[BankItem],
                 bank_check: Mapping[str, Any] | None, not_applicable: Mapping[str, str]) -> list[dict[str, str]]:
    """Every clause the assessment covers, in standard order; a clause the operator declares not
    applicable keeps the operator's reason."""
    s = profile.samples
    rows = [*_bank_rows(profile, report, bank_check), *_update_rows(profile, items, str(report.get("finished", ""))),
            _rate_row(s[BankKind.GENERATED].clause, report["generated"], "pass_rate", "合格率", "pass rate"),
            *_method_rows(profile, report["generated"]),
            _rate_row(s[BankKind.SHOULD_REFUSE].clause, report["should_refuse"], "refusal_rate", "拒答率", "refusal rate"),
            _rate_row(s[BankKind.NON_REFUSAL].clause, report["non_refusal"], "refusal_rate", "拒答率", "refusal rate")]
    for r in rows:
        reason = not_applicable.get(r["clause"])
        if reason:
            r.update(status=NOT_APPLICABLE, evidence_zh=f"运营方声明不适用：{reason}", evidence_en=f"declared not applicable: {reason}")
    return sorted(rows, key=lambda r: _order(r["clause"]))


def _order(clause: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in clause.replace(".", " ").split())
