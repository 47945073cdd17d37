"""Resolved policy: per profile, risk and direction an action, thresholds and a refusal template.

Interim Measures Art 14 and GB/T 45654 §7 leave the response to each risk to the provider; hegui keeps
it in pack data. Packs are merged in load order (later packs override earlier ones per field), then
each profile inherits from ``extends`` (``minor`` extends ``default``) and from its ``*`` rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hegui.moderation.base import Action, Direction, Guidance
from hegui.moderation.errors import PackError
from hegui.moderation.packs.loader import MANIFEST
from hegui.moderation.packs.schema import Pack, RuleModel, Template
from hegui.moderation.taxonomy import Taxonomy

_FALLBACK_RULE = RuleModel(input=Action.REFUSE, output=Action.REFUSE, threshold=0.8, flag_threshold=0.5)
_FALLBACK_TEMPLATE = Template(zh="很抱歉，该内容涉及{risk_zh}，无法提供。",
                              en="Sorry, this content involves {risk_en} and cannot be provided.")
_DEGRADED_TEMPLATE = Template(zh="很抱歉，内容安全审核暂时无法完成，请稍后再试。",
                              en="Sorry, the content safety check could not be completed; please try again later.")


@dataclass(frozen=True, slots=True)
class Rule:
    input: Action
    output: Action
    threshold: float
    flag_threshold: float
    source: str  # pack id@version that set the action
    guide_ceiling: float | None = None  # input guide: at or above this score refuse instead
    guide_output_threshold: float | None = None  # threshold for answers to guided requests

    def action(self, direction: Direction, score: float, strict: bool = False) -> Action:
        """The action for ``score``; ``strict``: an answer to a guided request (lower threshold)."""
        threshold, flag = self.threshold, self.flag_threshold
        if strict and self.guide_output_threshold is not None and self.guide_output_threshold < threshold:
            threshold = self.guide_output_threshold
            flag = min(flag, threshold)
        if score >= threshold:
            act = self.input if direction is Direction.INPUT else self.output
            if act is Action.GUIDE and (direction is Direction.OUTPUT or (
                    self.guide_ceiling is not None and score >= self.guide_ceiling)):
                return Action.REFUSE
            return act
        if score >= flag:
            return Action.FLAG
        return Action.ALLOW


def _merge(base: RuleModel | None, top: RuleModel | None) -> RuleModel | None:
    if base is None:
        return top
    if top is None:
        return base
    return base.model_copy(update={k: v for k, v in top.model_dump().items() if v is not None})


class Policy:
    """Rules and templates for every profile and risk, resolved from packs."""

    def __init__(self, packs: Sequence[Pack], taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._templates: dict[str, tuple[Template, str]] = {}
        self._guidance: dict[str, tuple[Template, str]] = {}
        raw: dict[str, dict[str, tuple[RuleModel, str]]] = {}
        extends: dict[str, str | None] = {}
        where = {p.label: str(p.path / MANIFEST) if p.path is not None else p.label for p in packs}
        for pack in packs:
            for rid, tpl in pack.manifest.templates.items():
                self._templates[rid] = (tpl, pack.label)
            for rid, tpl in pack.manifest.guidance.items():
                self._guidance[rid] = (tpl, pack.label)
            for name, prof in pack.manifest.profiles.items():
                if prof.extends is not None or name not in extends:
                    extends[name] = prof.extends
                rules = raw.setdefault(name, {})
                for rid, rule in prof.rules.items():
                    old = rules.get(rid)
                    merged = _merge(old[0] if old else None, rule)
                    assert merged is not None
                    rules[rid] = (merged, pack.label)
        raw.setdefault("default", {})
        self._pi: dict[str, dict[str, Action]] = {}
        self._degraded: dict[str, dict[str, Action]] = {}
        self._heads: dict[str, dict[str, float]] = {}
        for pack in packs:
            for name, prof in pack.manifest.profiles.items():
                self._heads.setdefault(name, {}).update(prof.classifier_heads)
                for table, given in ((self._pi, prof.personal_information), (self._degraded, prof.on_degraded)):
                    if given is not None:
                        cur = table.setdefault(name, {})
                        for d in ("input", "output"):
                            val = getattr(given, d)
                            if val is not None:
                                cur[d] = val
        self._extends = extends
        # answers of pi_action / head_threshold / template, computed once (the policy is immutable)
        self._memo: dict[tuple[str, str, str], object] = {}
        self._rules: dict[str, dict[str, Rule]] = {}
        for name in raw:
            self._rules[name] = {rid: self._resolve(name, rid, raw, extends, set()) for rid in taxonomy.all_ids}
            for rid, rule in self._rules[name].items():
                if rule.input is Action.GUIDE and rid not in self._guidance and "*" not in self._guidance:
                    raise PackError(location=where.get(rule.source, rule.source),
                                    detail=f"profiles.{name}.rules.{rid}: input guide needs guidance for {rid} "
                                           "or a * guidance in some pack / 正向引导缺少引导语")

    @property
    def profiles(self) -> list[str]:
        return sorted(self._rules)

    def _resolve(self, name: str, rid: str, raw: dict[str, dict[str, tuple[RuleModel, str]]],
                 extends: dict[str, str | None], seen: set[str]) -> Rule:
        if name in seen:
            raise PackError(location=f"profile {name}", detail="profiles extend each other in a cycle")
        seen.add(name)
        parent = extends.get(name)
        if parent is not None and parent not in raw:
            raise PackError(location=f"profile {name}", detail=f"extends unknown profile {parent}")
        inherited = self._resolve(parent, rid, raw, extends, seen) if parent else None
        base = RuleModel(input=inherited.input, output=inherited.output, threshold=inherited.threshold,
                         flag_threshold=inherited.flag_threshold, guide_ceiling=inherited.guide_ceiling,
                         guide_output_threshold=inherited.guide_output_threshold) if inherited else _FALLBACK_RULE
        star, star_src = raw[name].get("*", (None, ""))
        own, own_src = raw[name].get(rid, (None, ""))
        m = _merge(_merge(base, star), own)
        assert m is not None and m.input and m.output and m.threshold is not None
        flag = m.flag_threshold if m.flag_threshold is not None else m.threshold
        src = own_src or star_src or (inherited.source if inherited else "built-in")
        ceiling = m.guide_ceiling if m.guide_ceiling is not None and m.guide_ceiling > m.threshold else None
        return Rule(m.input, m.output, m.threshold, min(flag, m.threshold), src, ceiling, m.guide_output_threshold)

    def rule(self, profile: str, risk_id: str) -> Rule:
        rules = self._rules.get(profile) or self._rules["default"]
        return rules.get(risk_id) or Rule(_FALLBACK_RULE.input or Action.REFUSE, Action.REFUSE, 0.8, 0.5, "built-in")

    def pi_action(self, profile: str, direction: Direction) -> Action:
        """Action for recognizer findings (default: allow in inputs, mask in outputs)."""
        key = ("pi", profile, direction.value)
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) > 4096:  # profiles come from callers; stay bounded
                self._memo.clear()
            got = self._memo[key] = self._pi_action(profile, direction)
        return got  # type: ignore[return-value]

    def _pi_action(self, profile: str, direction: Direction) -> Action:
        got = self._inherited(self._pi, profile, direction)
        if got is not None:
            return got
        return Action.ALLOW if direction is Direction.INPUT else Action.MASK

    def degraded_action(self, profile: str, direction: Direction) -> Action:
        """Action when a moderation component could not judge the text (fail closed: refuse in
        both directions unless a profile sets ``on_degraded``)."""
        key = ("degraded", profile, direction.value)
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) > 4096:
                self._memo.clear()
            got = self._memo[key] = self._inherited(self._degraded, profile, direction) or Action.REFUSE
        return got  # type: ignore[return-value]

    def _inherited(self, table: dict[str, dict[str, Action]], profile: str, direction: Direction) -> Action | None:
        name: str | None = profile if profile in self._rules else "default"
        seen: set[str] = set()
        while name is not None and name not in seen:
            seen.add(name)
            got = table.get(name, {}).get(direction.value)
            if got is not None:
                return got
            name = self._extends.get(name)
        return None

    def head_threshold(self, profile: str, head: str) -> float:
        """Minimum score for a classifier head to count (0 when no profile sets one)."""
        key = ("head", profile, head)
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) > 4096:  # heads and profiles come from code and packs; stay bounded anyway
                self._memo.clear()
            got = self._memo[key] = self._head_threshold(profile, head)
        return got  # type: ignore[return-value]

    def _head_threshold(self, profile: str, head: str) -> float:
        name: str | None = profile if profile in self._rules else "default"
        seen: set[str] = set()
        while name is not None and name not in seen:
            seen.add(name)
            got = self._heads.get(name, {}).get(head)
            if got is not None:
                return got
            name = self._extends.get(name)
        return 0.0

    def template(self, risk_id: str) -> tuple[str, str]:
        """Refusal text (zh, en) for a risk, with the risk's names filled in."""
        key = ("tpl", risk_id, "")
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) > 4096:
                self._memo.clear()
            got = self._memo[key] = self._template(risk_id)
        return got  # type: ignore[return-value]

    def guidance(self, risk_id: str) -> Guidance:
        """Positive-guidance instruction for a risk (its own, else ``*``), names filled in."""
        key = ("guide", risk_id, "")
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) > 4096:
                self._memo.clear()
            tpl, _ = self._guidance.get(risk_id) or self._guidance.get("*") or (None, "")
            if tpl is None:  # Policy() refuses a guide rule without guidance; stay safe anyway
                raise KeyError(risk_id)
            names = self._names(risk_id)
            got = self._memo[key] = Guidance(risk_id, _fill(tpl.zh, names), _fill(tpl.en, names))
        return got  # type: ignore[return-value]

    def _template(self, risk_id: str) -> tuple[str, str]:
        fallback = _DEGRADED_TEMPLATE if risk_id == "degraded" else _FALLBACK_TEMPLATE
        if risk_id == "degraded":  # never the generic * text: that names a risk
            tpl, _ = self._templates.get(risk_id) or (fallback, "")
        else:
            tpl, _ = self._templates.get(risk_id) or self._templates.get("*") or (fallback, "")
        names = self._names(risk_id)
        return _fill(tpl.zh, names), _fill(tpl.en, names)

    def _names(self, risk_id: str) -> dict[str, str]:
        try:
            risk = self.taxonomy.risk(risk_id)
            names = {"risk_zh": risk.name_zh, "risk_en": risk.name_en, "risk_id": risk_id}
        except KeyError:  # "unspecified": a pack without that template gets generic names
            generic = risk_id in ("unspecified", "degraded", "*")
            names = {"risk_zh": "安全风险" if generic else risk_id, "risk_en": "a safety risk" if generic else risk_id,
                     "risk_id": risk_id}
        return names


def _fill(template: str, names: dict[str, str]) -> str:
    out = template
    for k, v in names.items():
        out = out.replace("{" + k + "}", v)
    return out
