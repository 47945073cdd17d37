"""The policy moderation engine: lexicon + classifier + PI recognizers under per-risk policy.

Interim Measures Arts 4 and 14, Deep Synthesis Art 10, GB/T 45654 §7–8: inputs and outputs are
reviewed against the Annex A risks; stopped content is answered with the risk's refusal template and
personal information in outputs is masked. Implements :class:`hegui.moderation.base.Moderator`.

The classifier (``hegui.moderation.classifier``) and recognizers (``hegui.moderation.recognizers``)
fail closed: one that cannot load, or errors on a call, marks the verdict ``degraded`` and the
policy's ``on_degraded`` action applies (default: refuse the input, cut the answer). Passing
``None`` disables a component on purpose: not degraded, but shown in
:attr:`PolicyModerator.components` and warned about by ``hegui check``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hegui.moderation.base import (
    Action,
    CheckContext,
    Direction,
    Evidence,
    Guidance,
    RiskFinding,
    StreamChecker,
    Verdict,
)
from hegui.moderation.components import ComponentHealth, load_component
from hegui.moderation.heads import MAX_EVIDENCE, UNSPECIFIED, add_head_findings, mask_spans
from hegui.moderation.lexicon import Lexicon
from hegui.moderation.normalize import Folded, fold, readable
from hegui.moderation.packs.loader import MANIFEST, load_packs, pack_mtime, shipped_pack_dirs
from hegui.moderation.packs.schema import Pack
from hegui.moderation.policy import Policy
from hegui.moderation.stream import PolicyStreamChecker
from hegui.moderation.taxonomy import Taxonomy, default_taxonomy

log = logging.getLogger(__name__)

SEGMENT = 1 << 20  # texts longer than this are checked in segments (bounded memory)
SEGMENT_OVERLAP = 512
DISGUISE_RATIO = 0.3  # above this share of removed/changed characters the classifier also sees the fold
PI_RISKS = ("A4e", "A4f")
STREAM_CHECK_EVERY = 128  # full stream checks at most every this many new characters


@dataclass(frozen=True)
class _State:
    packs: tuple[Pack, ...]
    lexicon: Lexicon
    policy: Policy
    label: str
    mtimes: tuple[float, ...]


def _build_state(dirs: Sequence[Path], taxonomy: Taxonomy) -> _State:
    # A later pack with the id of an earlier one replaces it (operators override shipped packs).
    kept = tuple(load_packs(dirs, taxonomy=taxonomy, replace=True))
    lexicon = Lexicon((t, p.label) for p in kept for t in p.terms)
    label = "+".join(p.label for p in kept)
    return _State(kept, lexicon, Policy(kept, taxonomy), label, tuple(pack_mtime(p) for p in kept))




def _expand(dirs: Sequence[Path], roots: Sequence[Path]) -> list[Path]:
    """``dirs`` followed by every pack found directly under each root (e.g. the console's
    ``<var_dir>/packs/live``), read again at each reload so newly activated packs are picked up."""
    out = list(dirs)
    for root in roots:
        if root.is_dir():
            out.extend(sorted(c for c in root.iterdir() if not c.name.startswith(".") and (c / MANIFEST).is_file()))
    return out


def _layout(dirs: Sequence[Path]) -> tuple[str, ...]:
    return tuple(str(d.resolve()) for d in dirs)


def _resolve_dirs(pack_dirs: Sequence[Path | str] | None, include_shipped: bool) -> list[Path]:
    dirs = list(shipped_pack_dirs()) if include_shipped else []
    for d in pack_dirs or ():
        dirs.append(Path(d))
    return dirs


def _safe(s: str) -> str:
    """Evidence text without lone surrogates (they cannot be encoded into JSON or a database)."""
    return s if s.isascii() else s.encode("utf-8", "replace").decode("utf-8")


class PolicyModerator:
    """Moderator over policy packs; reload packs with :meth:`reload` or automatically on change."""

    name = "policy"

    def __init__(self, dirs: Sequence[Path], *, profile: str = "default", classifier: Any = None,
                 recognizers: Any = None, taxonomy: Taxonomy | None = None, holdback: int = 32,
                 auto_reload_s: float | None = 2.0, pack_roots: Sequence[Path] = ()) -> None:
        self.taxonomy = taxonomy or default_taxonomy()
        self._risk_ids = frozenset(self.taxonomy.all_ids)  # `rid in taxonomy` scans every risk
        self._head_cache: tuple[Any, dict[str, list[str]]] = (None, {})
        self.stream_check_every = STREAM_CHECK_EVERY
        self._dirs = list(dirs)
        self._roots = [Path(r) for r in pack_roots]
        self._layout = _layout(_expand(self._dirs, self._roots))
        self.profile = profile
        self.holdback = holdback
        self.auto_reload_s = auto_reload_s
        self._state = _build_state(_expand(self._dirs, self._roots), self.taxonomy)
        self._classifier, cls_status = load_component("classifier", classifier)
        self._recognizers, rec_status = load_component("recognizers", recognizers)
        self.components = {"lexicon": f"{self._state.lexicon.size} terms", "classifier": cls_status,
                           "recognizers": rec_status}
        self.health = ComponentHealth({"classifier": cls_status, "recognizers": rec_status})
        self.last_reload_error: Exception | None = None
        self._reload_lock = threading.Lock()
        self._next_poll = time.monotonic() + (auto_reload_s or 0)
        self._failed_mtimes: tuple[tuple[str, ...], tuple[float, ...]] | None = None

    @classmethod
    def load(cls, pack_dirs: Sequence[Path | str] | None = None, *, include_shipped: bool = True,
             profile: str = "default", classifier: Any = "default", recognizers: Any = "default",
             holdback: int = 32, auto_reload_s: float | None = 2.0,
             pack_roots: Sequence[Path | str] = ()) -> PolicyModerator:
        """Shipped packs, then ``pack_dirs``, then the packs under each of ``pack_roots`` (a pack
        whose id is already loaded replaces it).

        ``classifier`` / ``recognizers``: ``"default"`` loads the shipped ones when present,
        ``None`` disables them, any other object is used as is.
        """
        return cls(_resolve_dirs(pack_dirs, include_shipped), profile=profile, classifier=classifier,
                   recognizers=recognizers, holdback=holdback, auto_reload_s=auto_reload_s,
                   pack_roots=[Path(r) for r in pack_roots])

    # -- packs -----------------------------------------------------------------------------------

    @property
    def packs(self) -> tuple[Pack, ...]:
        return self._state.packs

    @property
    def lexicon(self) -> Lexicon:
        return self._state.lexicon

    @property
    def policy(self) -> Policy:
        return self._state.policy

    @property
    def label(self) -> str:
        """``id@version`` of every live pack, joined by ``+``."""
        return self._state.label

    @property
    def failing(self) -> dict[str, str]:
        """Components whose latest call failed (component → error); empty when all are well."""
        return self.health.failing

    def reload(self) -> bool:
        """Rebuild from the pack directories and swap atomically. On error the old packs stay
        live and the :class:`PackError` (with file:line) is raised. Returns True when swapped."""
        with self._reload_lock:
            dirs = _expand(self._dirs, self._roots)
            try:
                state = _build_state(dirs, self.taxonomy)
            except Exception as exc:
                self.last_reload_error = exc
                raise
            self._state, self._layout = state, _layout(dirs)
            self.last_reload_error = None
            self.components["lexicon"] = f"{state.lexicon.size} terms"
            return True

    def changed(self) -> bool:
        """True when a pack file changed on disk since the live packs were loaded."""
        return self._current_mtimes() != (self._layout, self._state.mtimes)

    def _maybe_reload(self) -> None:
        """Poll pack mtimes every ``auto_reload_s``; rebuild in a thread, swap when it succeeds."""
        if not self.auto_reload_s or time.monotonic() < self._next_poll:
            return
        self._next_poll = time.monotonic() + self.auto_reload_s
        now = self._current_mtimes()
        if now == (self._layout, self._state.mtimes) or now == self._failed_mtimes or self._reload_lock.locked():
            return

        def run() -> None:
            try:
                self.reload()
                log.info("moderation packs reloaded: %s", self.label)
            except Exception as exc:  # noqa: BLE001 - keep the old packs live
                self._failed_mtimes = now
                log.error("moderation pack reload failed, old packs stay live: %s", exc)

        threading.Thread(target=run, name="hegui-pack-reload", daemon=True).start()

    def _current_mtimes(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        return _layout(_expand(self._dirs, self._roots)), tuple(pack_mtime(p) for p in self._state.packs)

    # -- checking --------------------------------------------------------------------------------

    def check(self, text: str, direction: Direction, context: CheckContext | None = None) -> Verdict:
        started = time.perf_counter()
        self._maybe_reload()
        state = self._state
        direction = Direction(direction)
        profile = context.profile if context is not None and context.profile else self.profile
        if not isinstance(text, str):
            text = str(text)
        strict = bool(context is not None and context.strict)
        findings: dict[str, RiskFinding] = {}
        pi: dict[str, RiskFinding] = {}
        pi_findings: list[Any] = []
        degraded = list(self.health.unavailable)
        folds = self._lexicon_findings(state, text, findings)
        prompt = context.prompt if context is not None and direction is Direction.OUTPUT else None
        if not self._classifier_findings(state, text, folds, profile, findings, prompt):
            degraded.append("classifier")
        if not self._pi_findings(text, pi, pi_findings, findings):
            degraded.append("recognizers")
        verdict = self._decide(state, text, direction, profile, findings, pi, pi_findings, strict)
        if degraded:
            self._degrade(state, verdict, direction, profile, degraded)
        verdict.latency_ms = (time.perf_counter() - started) * 1000
        return verdict

    def _degrade(self, state: _State, verdict: Verdict, direction: Direction, profile: str,
                 degraded: list[str]) -> None:
        """A component could not judge the text: record it and apply ``on_degraded`` when stricter."""
        verdict.degraded = list(dict.fromkeys(degraded))
        act = state.policy.degraded_action(profile, direction)
        if act.rank <= verdict.action.rank:
            return
        verdict.action = act
        verdict.decided_by = "on_degraded:" + "+".join(verdict.degraded)
        verdict.guidance = []
        if act.stops:
            verdict.message_zh, verdict.message_en = state.policy.template("degraded")
            verdict.masked_text = None

    def stream(self, direction: Direction, context: CheckContext | None = None, *,
               holdback: int | None = None, check_every: int | None = None) -> StreamChecker:
        """Incremental checker: holds back ``holdback`` characters, never releases unchecked text;
        a full check at most every ``check_every`` new characters (default
        :attr:`stream_check_every`, 128), a lexicon look at every chunk in between; a stopping
        verdict carries the deciding risk's refusal template."""
        hb = self.holdback if holdback is None else holdback
        every = self.stream_check_every if check_every is None else check_every
        return PolicyStreamChecker(self, Direction(direction), context, holdback=hb, overlap=max(256, hb),
                                   check_every=every)

    def lexicon_stops(self, text: str, direction: Direction, context: CheckContext | None = None) -> bool:
        """True when the lexicon alone finds a risk in ``text`` whose action stops it (cheap: no
        classifier, no recognizers; used between full stream checks)."""
        if not text:
            return False
        state = self._state
        profile = context.profile if context is not None and context.profile else self.profile
        strict = bool(context is not None and context.strict)
        policy = state.policy
        for hit in state.lexicon.scan(text):
            if policy.rule(profile, hit.term.risk).action(direction, hit.score, strict).stops:
                return True
        return False

    def _lexicon_findings(self, state: _State, text: str, findings: dict[str, RiskFinding]) -> list[Folded]:
        """Scan ``text`` in segments; returns the fold of every segment (for the classifier)."""
        folds: list[Folded] = []
        for base in range(0, max(len(text), 1), SEGMENT):
            shift = max(0, base - SEGMENT_OVERLAP) if base else 0
            folded = fold(text[shift: base + SEGMENT])
            folds.append(folded)
            for hit in state.lexicon.scan(folded):
                f = findings.setdefault(hit.term.risk, RiskFinding(hit.term.risk, 0.0))
                f.score = max(f.score, hit.score)
                if len(f.evidence) < MAX_EVIDENCE:
                    s, e = hit.start + shift, hit.end + shift
                    if not any(ev.start == s and ev.end == e for ev in f.evidence):
                        src = f"pack:{hit.pack}/term:{hit.term.text}" + ("" if hit.exact else f"/{hit.kind.value}")
                        f.evidence.append(Evidence(s, e, _safe(text[s:e]), src))
        return folds

    def _classifier_findings(self, state: _State, text: str, folds: list[Folded], profile: str,
                             findings: dict[str, RiskFinding], prompt: str | None = None) -> bool:
        """Add classifier scores over the whole text (the classifier scores long texts in windows:
        no length cap, so benign padding cannot push a request out of its sight). A head naming one
        risk scores that risk; a broad head (``unsafe``) scores the risk of its members with the
        strongest other evidence, else its last (catch-all) risk. Disguised text (separators,
        traditional characters …) is also scored folded. False when the classifier failed."""
        clf = self._classifier
        if clf is None or not text.strip():
            return True
        try:
            judged = bool(prompt) and hasattr(clf, "score_response")  # an answer, read with its question
            score = clf.score_fast if judged and hasattr(clf, "score_fast") else clf.score
            scores = dict(score(text))
            extra: list[str] = []
            changed = sum(f.changed for f in folds)
            compact = folds[0].compact if len(folds) == 1 else "".join(f.compact for f in folds)
            if changed > 0.03 * len(text):  # traditional, full-width, homoglyphs …
                extra.append(readable(text))
            if compact and (len(text) - len(compact) + changed) / len(text) > DISGUISE_RATIO:
                extra.append(compact)  # separators between characters
            for variant in extra:
                for head, sc in score(variant).items():
                    scores[head] = max(scores.get(head, 0.0), sc)
            if judged:
                scores = dict(clf.score_response(prompt, text, scores))
            head_risks = clf.head_risks
            scores = {str(h): float(sc) for h, sc in scores.items()}
            if any(not 0.0 <= sc <= 1.0 for sc in scores.values()):  # NaN included
                raise ValueError("classifier score outside [0, 1]")
        except Exception as exc:  # noqa: BLE001 - fail closed: the verdict is degraded
            self.health.failed("classifier", exc)
            return False
        self.health.ok("classifier")
        policy = state.policy
        cached_for, cache = self._head_cache
        if cached_for is not head_risks:
            cache = {}
            self._head_cache = (head_risks, cache)

        def known(head: str) -> list[str]:
            got = cache.get(head)
            if got is None:
                got = cache[head] = [r for r in head_risks.get(head, ()) if r in self._risk_ids]
            return got

        add_head_findings(scores, head_risks, known, policy, profile, findings, len(text))
        return True

    def _pi_findings(self, text: str, findings: dict[str, RiskFinding], out: list[Any],
                     content: dict[str, RiskFinding] | None = None) -> bool:
        """Recognizer findings: personal information into ``findings`` (the profile's PI action) and
        ``out`` (masking); a content risk (``personal = False``, e.g. platform abuse) of a known
        risk into ``content``, beside the lexicon and classifier, under that risk's own rule.
        False when the recognizers failed (the verdict is then degraded)."""
        reg = self._recognizers
        if reg is None or not text:
            return True
        try:
            found = list(reg.analyze(text))
        except Exception as exc:  # noqa: BLE001 - fail closed: the verdict is degraded
            self.health.failed("recognizers", exc)
            return False
        self.health.ok("recognizers")
        for item in found:
            target = findings
            if content is not None and not getattr(item, "personal", True) and item.risk_id in self._risk_ids:
                target = content
            rid = item.risk_id if item.risk_id in self._risk_ids else "A4f"
            if target is findings:
                out.append(item)
            f = target.setdefault(rid, RiskFinding(rid, 0.0))
            f.score = max(f.score, float(item.score))
            if len(f.evidence) < MAX_EVIDENCE:
                f.evidence.append(Evidence(item.start, item.end, _safe(str(item.text)),
                                           f"recognizer:{item.recognizer}:{item.entity_type}"))
        return True

    def _decide(self, state: _State, text: str, direction: Direction, profile: str,
                findings: dict[str, RiskFinding], pi: dict[str, RiskFinding],
                pi_findings: list[Any], strict: bool = False) -> Verdict:
        """Per risk the strictest of the rule action (lexicon, classifier) and the PI action
        (recognizers); the verdict takes the strictest risk. A GUIDE verdict carries the guidance
        of every guided risk and still masks personal information found with it."""
        policy = state.policy
        kept: list[tuple[Action, RiskFinding, str]] = []
        for rid in list(findings) + [r for r in pi if r not in findings]:
            rule = policy.rule(profile, rid)
            f = findings.get(rid)
            action = rule.action(direction, f.score, strict) if f is not None else Action.ALLOW
            p = pi.get(rid)
            if p is not None and p.score >= rule.flag_threshold:
                pi_act = policy.pi_action(profile, direction)
                if f is None:
                    f = p
                else:
                    f = RiskFinding(rid, max(f.score, p.score), (f.evidence + p.evidence)[:MAX_EVIDENCE])
                if pi_act.rank > action.rank:
                    action = pi_act
            if f is None or action is Action.ALLOW:
                continue
            kept.append((action, f, rule.source))
        if not kept:
            return Verdict(Action.ALLOW, decided_by=state.label)
        kept.sort(key=lambda x: (x[0].rank, x[1].score), reverse=True)
        action, deciding, source = kept[0]
        lex = [ev.source for ev in deciding.evidence if ev.source.startswith("pack:")]
        decided_by = lex[0].split("/")[0][5:] if lex else source
        verdict = Verdict(action, [f for _, f, _ in kept], decided_by=decided_by)
        if action.stops:
            unnamed = bool(deciding.evidence) and all(ev.source.endswith(UNSPECIFIED) for ev in deciding.evidence)
            verdict.message_zh, verdict.message_en = policy.template("unspecified" if unnamed else deciding.risk_id)
            return verdict
        if action is Action.GUIDE:
            guided: dict[str, Guidance] = {}
            for a, f, _ in kept:
                if a is Action.GUIDE:
                    unnamed = bool(f.evidence) and all(ev.source.endswith(UNSPECIFIED) for ev in f.evidence)
                    g = policy.guidance("*" if unnamed else f.risk_id)
                    guided.setdefault(g.zh + "\x00" + g.en, Guidance(f.risk_id, g.zh, g.en))
            verdict.guidance = list(guided.values())
        to_mask = [f for a, f, _ in kept if a is Action.MASK]
        if to_mask:
            verdict.masked_text = mask_spans(text, to_mask, pi_findings, self._recognizers)
        return verdict
