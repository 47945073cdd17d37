"""Does a set of test banks meet the profile's minimums? (GB/T 45654 B.1.2–B.1.3 / TC260-003 §8.2–8.3)

Coverage counts distinct prompts only (exact copies after folding count once), per risk for the
generated bank (31 risks: ≥ 50 per A.1/A.2 risk, ≥ 20 per other) and the should-refuse bank
(17 A.1/A.2 risks, ≥ 20 each), per aspect for the non-refusal bank (13 aspects, ≥ 20 each), plus the
totals and the monthly update rule (B.1.2 d, B.1.3 c). Near copies, modalities and undated items are
reported as notes. Political risks (A1a–A1c) are counted like any other but flagged
operator-supplied: hegui ships no political prompts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hegui.assessment.banks.dedup import NEAR_DUP_JACCARD, exact_groups, near_pairs
from hegui.assessment.models import ASPECTS, MODALITIES, BankItem, BankKind
from hegui.assessment.profiles import Profile
from hegui.moderation.taxonomy import RiskClass, default_taxonomy

MAX_LISTED = 200  # duplicate groups / near pairs listed in the result (all are counted)


@dataclass(frozen=True, slots=True)
class Gap:
    """One unmet minimum: what is short, how many there are, how many are needed, the clause."""

    bank: BankKind
    what_en: str
    what_zh: str
    have: int
    need: int
    clause: str

    def to_dict(self) -> dict[str, Any]:
        return {"bank": self.bank.value, "what_en": self.what_en, "what_zh": self.what_zh, "have": self.have,
                "need": self.need, "clause": self.clause}


@dataclass(frozen=True, slots=True)
class Note:
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One line of the coverage table: a bank's total, one risk or one aspect."""

    bank: BankKind
    key: str                 # "total", a risk id or an aspect id
    name_en: str
    name_zh: str
    have: int
    need: int
    clause: str
    operator_supplied: bool = False  # a political risk (A1a–A1c): hegui ships none

    @property
    def ok(self) -> bool:
        return self.have >= self.need

    def to_dict(self) -> dict[str, Any]:
        return {"bank": self.bank.value, "key": self.key, "name_en": self.name_en, "name_zh": self.name_zh,
                "have": self.have, "need": self.need, "ok": self.ok, "clause": self.clause,
                "operator_supplied": self.operator_supplied}


@dataclass
class BankCheck:
    profile: str
    today: date
    rows: list[CoverageRow] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    items: dict[BankKind, int] = field(default_factory=dict)          # rows read, copies included
    duplicates: list[list[str]] = field(default_factory=list)         # groups of item ids
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    near_duplicate_count: int = 0
    modalities: dict[BankKind, list[str]] = field(default_factory=dict)
    newest: dict[BankKind, date | None] = field(default_factory=dict)
    undated: dict[BankKind, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.gaps

    def counts(self, bank: BankKind) -> dict[str, int]:
        """Distinct items per risk / aspect (and ``total``) of one bank."""
        return {r.key: r.have for r in self.rows if r.bank is bank}

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "today": self.today.isoformat(), "ok": self.ok,
                "items": {k.value: v for k, v in self.items.items()},
                "coverage": [r.to_dict() for r in self.rows], "gaps": [g.to_dict() for g in self.gaps],
                "notes": [{"en": n.en, "zh": n.zh} for n in self.notes],
                "duplicates": self.duplicates, "near_duplicates": [list(p) for p in self.near_duplicates],
                "near_duplicate_count": self.near_duplicate_count,
                "modalities": {k.value: v for k, v in self.modalities.items()},
                "newest": {k.value: (v.isoformat() if v else None) for k, v in self.newest.items()},
                "undated": {k.value: v for k, v in self.undated.items()}}


def check_banks(items: Sequence[BankItem], profile: Profile, *, today: date,
                require_modalities: Sequence[str] = (), near_threshold: float = NEAR_DUP_JACCARD) -> BankCheck:
    """Check ``items`` (any mix of the three banks) against ``profile``. ``require_modalities``
    turns a missing modality (the draft asks for every output modality) from a note into a gap."""
    result = BankCheck(profile=profile.id, today=today)
    groups = exact_groups([i.prompt for i in items])
    copies = {idx for g in groups for idx in g[1:] if items[idx].bank is items[g[0]].bank}
    result.duplicates = [[items[i].id for i in g] for g in groups[:MAX_LISTED]]
    if groups:
        result.notes.append(Note(f"{len(groups)} group(s) of exact duplicates; each counts once",
                                 f"{len(groups)} 组完全重复题目，每组只计一次"))
    pairs = near_pairs([i.prompt for i in items], near_threshold)
    result.near_duplicate_count = len(pairs)
    result.near_duplicates = [(items[p.first].id, items[p.second].id, p.jaccard) for p in pairs[:MAX_LISTED]]
    if pairs:
        result.notes.append(Note(f"{len(pairs)} near-duplicate pair(s) (5-character shingle Jaccard ≥ "
                                 f"{near_threshold}); they still count, consider varying them",
                                 f"{len(pairs)} 对近似重复题目（5 字窗口 Jaccard ≥ {near_threshold}），仍计入，建议改写"))
    for kind in BankKind:
        bank_items = [it for n, it in enumerate(items) if it.bank is kind and n not in copies]
        result.items[kind] = sum(1 for it in items if it.bank is kind)
        _coverage(result, kind, bank_items, profile)
        _modalities(result, kind, bank_items, require_modalities, profile)
        _age(result, kind, bank_items, profile, today)
    return result


def _clause(profile: Profile, clause: str) -> str:
    return f"{profile.clause_prefix}{clause}"


def _add(result: BankCheck, row: CoverageRow, what_en: str, what_zh: str) -> None:
    result.rows.append(row)
    if not row.ok:
        result.gaps.append(Gap(row.bank, what_en, what_zh, row.have, row.need, row.clause))


def _coverage(result: BankCheck, kind: BankKind, bank_items: list[BankItem], profile: Profile) -> None:
    rule = profile.banks.get(kind)
    if rule is None:
        return
    clause = _clause(profile, rule.clause)
    tax = default_taxonomy()
    _add(result, CoverageRow(kind, "total", "total", "总数", len(bank_items), rule.total, clause),
         f"{kind.value} bank: total items", f"{kind.value} 题库：题目总数")
    by_risk = Counter(it.risk for it in bank_items if it.risk)
    risk_ids = tax.all_ids if rule.risks == "all" else tax.keyword_slice if rule.risks == "a1_a2" else []
    for rid in risk_ids:
        risk = tax.risk(rid)
        need = rule.per_risk_a1_a2 if risk.category in ("A1", "A2") else rule.per_risk_other
        political = risk.risk_class is RiskClass.POLITICAL
        _add(result, CoverageRow(kind, rid, risk.name_en, risk.name_zh, by_risk.get(rid, 0), need, clause, political),
             f"{kind.value} bank: risk {rid} ({risk.name_en})" + (" — operator-supplied" if political else ""),
             f"{kind.value} 题库：风险 {rid}（{risk.name_zh}）" + ("——由运营方提供" if political else ""))
    for rid, n in sorted(by_risk.items()):
        if rid not in risk_ids:  # counted in the total, no minimum of its own
            risk = tax.risk(rid)
            result.rows.append(CoverageRow(kind, rid, risk.name_en, risk.name_zh, n, 0, clause))
    if rule.per_aspect:
        by_aspect = Counter(it.aspect for it in bank_items if it.aspect)
        for aspect in ASPECTS:
            _add(result, CoverageRow(kind, aspect.id, aspect.name_en, aspect.name_zh, by_aspect.get(aspect.id, 0),
                                     rule.per_aspect, clause),
                 f"{kind.value} bank: aspect {aspect.id} ({aspect.name_en})",
                 f"{kind.value} 题库：方面 {aspect.name_zh}（{aspect.id}）")


def _modalities(result: BankCheck, kind: BankKind, bank_items: list[BankItem], required: Sequence[str],
                profile: Profile) -> None:
    present = sorted({it.modality for it in bank_items}, key=MODALITIES.index)
    result.modalities[kind] = present
    missing = [m for m in MODALITIES if m not in present]
    if not bank_items or not missing:
        return
    clause = _clause(profile, profile.banks[kind].clause) if kind in profile.banks else ""
    for m in missing:
        if m in required:
            result.gaps.append(Gap(kind, f"{kind.value} bank: no {m} items", f"{kind.value} 题库：缺少 {m} 模态题目",
                                   0, 1, clause))
    result.notes.append(Note(f"{kind.value} bank: no {', '.join(missing)} items; the draft asks for every output "
                             f"modality the service offers ({clause})",
                             f"{kind.value} 题库：缺少 {', '.join(missing)} 模态题目；征求意见稿要求覆盖服务提供的"
                             f"每种输出模态（{clause}）"))


def _age(result: BankCheck, kind: BankKind, bank_items: list[BankItem], profile: Profile, today: date) -> None:
    """The monthly update rule (B.1.2 d for the generated bank, B.1.3 c for the refusal banks)."""
    days = profile.update_days.get(kind)
    if days is None or not bank_items:
        return
    dated = [it.date for it in bank_items if it.date is not None]
    result.undated[kind] = len(bank_items) - len(dated)
    newest = max(dated, default=None)
    result.newest[kind] = newest
    base = profile.banks[kind].clause.split()[0] if kind in profile.banks else ""
    clause = _clause(profile, f"{base} {'d' if kind is BankKind.GENERATED else 'c'}".strip())
    if result.undated[kind]:
        result.notes.append(Note(f"{kind.value} bank: {result.undated[kind]} item(s) without a date",
                                 f"{kind.value} 题库：{result.undated[kind]} 道题目没有日期"))
    if newest is not None and newest > today:
        result.notes.append(Note(f"{kind.value} bank: dated in the future ({newest})",
                                 f"{kind.value} 题库：日期晚于今天（{newest}）"))
    age = (today - newest).days if newest is not None else None
    if age is None or age > days:
        result.gaps.append(Gap(kind, f"{kind.value} bank: days since the newest item (update at least every "
                                     f"{days} days)" if age is not None else f"{kind.value} bank: no dated item",
                               f"{kind.value} 题库：最新题目距今天数（至少每 {days} 天更新）" if age is not None
                               else f"{kind.value} 题库：没有带日期的题目",
                               age if age is not None else 0, days, clause))
