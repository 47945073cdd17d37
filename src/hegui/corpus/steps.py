"""Per-record steps of a corpus audit: moderation, personal information and licence markers.

Interim Measures Art 7 (lawful sources, no IP infringement, PI only with consent); GB/T 45654 §5.1
(a source with more than 5 % illegal or harmful content — the 29 risks of Annex A.1–A.4 — is not
used). Each step follows :class:`hegui.corpus.record.RecordStep`: simple constructor arguments,
models loaded in :meth:`setup` (once per worker, never pickled), ``process`` a pure function of the
batch. The text steps (language, quality, fingerprint) are in :mod:`hegui.corpus.text_steps`.

Exclusion reasons (``record.reasons``): ``harmful:<risk id>``, ``unjudged``, ``licence_marker``,
``quality``, ``error:<step>`` (a step failed on the record — fail closed).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import yaml

from hegui.corpus.record import CorpusRecord, RecordStep

log = logging.getLogger(__name__)

UNKNOWN_LICENCES = frozenset({"", "unknown", "none", "n/a", "未知", "无"})
LICENCE_SCAN = 20_000  # licence markers are read in the first and last this many characters
LICENCE_META_KEYS = ("licence", "license", "rights", "copyright")


class BaseStep:
    """Shared plumbing: per-record errors fail closed (``error:<name>``), loaded state is not pickled."""

    name: ClassVar[str] = "base"
    version: ClassVar[str] = "1"
    _runtime: ClassVar[tuple[str, ...]] = ()  # attributes set by setup(); dropped when pickled

    def setup(self) -> None:
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in self._runtime}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _ready(self) -> None:
        if any(getattr(self, k, None) is None for k in self._runtime):
            self.setup()

    def process(self, batch: Sequence[CorpusRecord]) -> list[CorpusRecord]:
        self._ready()
        out = []
        for rec in batch:
            try:
                self.one(rec)
            except Exception as exc:  # noqa: BLE001 - one record's failure excludes it, never passes it
                log.warning("corpus step %s failed on %s: %s", self.name, rec.id, exc)
                rec.findings[self.name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                rec.exclude(f"error:{self.name}")
            out.append(rec)
        return out

    def one(self, rec: CorpusRecord) -> None:
        raise NotImplementedError


class ModerationStep(BaseStep):
    """The moderation engine's verdict on the text (GB/T 45654 §5.1 a, Annex A).

    The text is checked as model *output* (what training teaches the model to say). Finding:
    ``{"action", "risks": [{"id", "score", "action"}], "harmful": bool, "harmful_risks": [...],
    "degraded": [...], "packs"}``. ``harmful`` is true when any of the 29 risks of A.1–A.4
    (``taxonomy.harmful_slice``) has a stopping action (refuse/block); the record is excluded with
    ``harmful:<risk>`` (the strongest such risk). A.5 risks are recorded, not counted. A component
    that could not judge the text (``degraded``) or an engine error excludes it as ``unjudged``.
    """

    name: ClassVar[str] = "moderation"
    version: ClassVar[str] = "1"
    _runtime = ("_moderator",)

    def __init__(self, *, fast: bool = False, profile: str = "default", pack_dirs: Sequence[str] = (),
                 include_shipped: bool = True) -> None:
        self.fast = fast
        self.profile = profile
        self.pack_dirs = tuple(str(p) for p in pack_dirs)
        self.include_shipped = include_shipped
        self._moderator: Any = None

    def setup(self) -> None:
        from hegui.moderation.engine import PolicyModerator

        self._moderator = PolicyModerator.load(
            [Path(p) for p in self.pack_dirs] or None, include_shipped=self.include_shipped,
            profile=self.profile, classifier="fast" if self.fast else "default", auto_reload_s=None)
        tax = self._moderator.taxonomy
        self._harmful = frozenset(tax.harmful_slice)
        self._order = {rid: i for i, rid in enumerate(tax.all_ids)}

    def one(self, rec: CorpusRecord) -> None:
        from hegui.moderation.base import Action, CheckContext, Direction
        from hegui.moderation.engine import PI_RISKS

        m = self._moderator
        try:
            v = m.check(rec.text, Direction.OUTPUT, CheckContext(profile=self.profile))
        except Exception as exc:  # noqa: BLE001 - fail closed
            rec.findings[self.name] = {"action": None, "risks": [], "harmful": False, "harmful_risks": [],
                                       "degraded": ["engine"], "error": f"{type(exc).__name__}"}
            rec.exclude("unjudged")
            return
        policy = m.policy
        risks = []
        for r in v.risks:
            # as the engine decides: personal information found by the recognizers alone takes the
            # profile's PI action (mask), anything else the risk's rule at its score
            from_rec = [ev.source.startswith("recognizer:") for ev in r.evidence]
            act = Action.ALLOW
            if not (r.risk_id in PI_RISKS and from_rec and all(from_rec)):
                act = policy.rule(self.profile, r.risk_id).action(Direction.OUTPUT, r.score, False)
            if r.risk_id in PI_RISKS and any(from_rec):
                pi_act = policy.pi_action(self.profile, Direction.OUTPUT)
                act = pi_act if pi_act.rank > act.rank else act
            risks.append({"id": r.risk_id, "score": round(float(r.score), 4), "action": act.value})
        risks.sort(key=lambda x: (-Action(x["action"]).rank, -x["score"], self._order.get(x["id"], 99)))
        harmful = [x["id"] for x in risks if x["id"] in self._harmful and Action(x["action"]).stops]
        finding = {"action": v.action.value, "risks": risks, "harmful": bool(harmful), "harmful_risks": harmful,
                   "degraded": list(v.degraded), "packs": m.label}
        rec.findings[self.name] = finding
        if harmful:
            rec.exclude(f"harmful:{harmful[0]}")
        if v.degraded:
            rec.exclude("unjudged")


class PIStep(BaseStep):
    """Personal information in the text (PIPL Arts 13, 28; Interim Measures Art 7 (3)).

    Finding: ``{"count", "types": {entity type: n}, "sensitive": n, "redacted": bool}`` (no PI text).
    With ``redact`` the masked text goes to ``record.meta["redacted_text"]`` when anything was
    masked (the pipeline writes ``meta.get("redacted_text", text)`` to the filtered corpus).
    """

    name: ClassVar[str] = "pi"
    version: ClassVar[str] = "1"
    _runtime = ("_registry",)

    def __init__(self, *, redact: bool = True) -> None:
        self.redact = redact
        self._registry: Any = None

    def setup(self) -> None:
        from hegui.moderation.recognizers import RecognizerRegistry

        self._registry = RecognizerRegistry.default()

    def one(self, rec: CorpusRecord) -> None:
        from hegui.moderation.recognizers.content import is_personal

        found = [f for f in self._registry.analyze(rec.text) if is_personal(f)] if rec.text else []
        types: dict[str, int] = {}
        for f in found:
            types[f.entity_type] = types.get(f.entity_type, 0) + 1
        sensitive = sum(1 for f in found if f.risk_id == "A4e" or f.entity_type.startswith(_SENSITIVE))
        redacted = bool(self.redact and found)
        if redacted:
            rec.meta["redacted_text"] = self._registry.mask(rec.text, found)
        rec.findings[self.name] = {"count": len(found), "types": dict(sorted(types.items())),
                                   "sensitive": sensitive, "redacted": redacted}


_SENSITIVE = ("CN_ID_CARD", "BANK_CARD", "CN_PASSPORT", "ETHNICITY", "SENSITIVE")  # PIPL Art 28 (prefixes)


# -- licence markers ------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def load_licence_markers(path: str | None = None) -> tuple[tuple[str, str, tuple[re.Pattern[str], ...]], ...]:
    """``(id, kind, patterns)`` of every marker in the shipped file (or ``path``)."""
    if path is None:
        text = (resources.files("hegui.data") / "corpus" / "licence_markers.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    out = []
    for m in data.get("markers", []):
        kind = m["kind"]
        if kind not in ("spdx", "open", "restricted"):
            raise ValueError(f"licence marker {m.get('id')}: unknown kind {kind!r}")
        out.append((str(m["id"]), kind, tuple(re.compile(p, re.IGNORECASE) for p in m["patterns"])))
    return tuple(out)


def licence_unknown(value: object) -> bool:
    """True when a source's licence (``record.meta["source_licence"]``) says nothing usable."""
    return value is None or (isinstance(value, str) and value.strip().casefold() in UNKNOWN_LICENCES)


class LicenceStep(BaseStep):
    """Licence and reuse markers in the text and its metadata (Interim Measures Art 7 (2)).

    Finding: ``{"markers": [ids], "spdx": [ids], "restricted": bool, "source_licence"}``. A
    ``restricted`` marker (all rights reserved, 版权所有, 未经许可不得转载, CC …-NC/-ND, no AI
    training) excludes the record as ``licence_marker`` **only when the source's licence is unknown**
    (``meta["source_licence"]`` missing, empty or "unknown"): a source register entry with licence or
    authorisation evidence is the provider's statement that the source may be used, the marker is
    then recorded for the report but does not exclude.
    """

    name: ClassVar[str] = "licence"
    version: ClassVar[str] = "1"

    def __init__(self, *, markers_file: str | None = None) -> None:
        self.markers_file = markers_file

    def one(self, rec: CorpusRecord) -> None:
        text = rec.text
        if len(text) > 2 * LICENCE_SCAN:
            text = text[:LICENCE_SCAN] + "\n" + text[-LICENCE_SCAN:]
        parts = [unicodedata.normalize("NFKC", text)]
        parts += [unicodedata.normalize("NFKC", str(rec.meta[k]))[:2000] for k in LICENCE_META_KEYS
                  if isinstance(rec.meta.get(k), (str, int, float)) and rec.meta.get(k) != ""]
        found: list[str] = []
        spdx: list[str] = []
        restricted = False
        for mid, kind, patterns in load_licence_markers(self.markers_file):
            for part in parts:
                for p in patterns:
                    hit = p.search(part)
                    if hit is None:
                        continue
                    if mid not in found:
                        found.append(mid)
                    if kind == "spdx":
                        sid = (hit.group(1) if hit.groups() else hit.group(0)).strip()
                        if sid and sid not in spdx:
                            spdx.append(sid)
                    restricted = restricted or kind == "restricted"
        source_licence = rec.meta.get("source_licence")
        rec.findings[self.name] = {"markers": found, "spdx": spdx, "restricted": restricted,
                                   "source_licence": source_licence if isinstance(source_licence, str) else None}
        if restricted and licence_unknown(source_licence):
            rec.exclude("licence_marker")


def default_steps(*, fast: bool = False, redact: bool = True, pack_dirs: Iterable[str | Path] = (),
                  profile: str = "default") -> list[RecordStep]:
    """The audit's per-record steps in order: moderation, PI, licence, language, quality, fingerprint."""
    from hegui.corpus.text_steps import FingerprintStep, LanguageStep, QualityStep

    return [ModerationStep(fast=fast, profile=profile, pack_dirs=[str(p) for p in pack_dirs]),
            PIStep(redact=redact), LicenceStep(), LanguageStep(), QualityStep(), FingerprintStep()]
