"""The moderation contract the gateway depends on.

Interim Measures Arts 4 and 14, Deep Synthesis Art 10, GB/T 45654 §7–8: a provider reviews inputs
and outputs. The gateway only sees :class:`Moderator` and :class:`StreamChecker`; engines plug in
behind them without the gateway changing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class Direction(str, enum.Enum):
    INPUT = "input"
    OUTPUT = "output"


class Action(str, enum.Enum):
    """What to do with a text, mildest first (the order is used to combine decisions).

    ``GUIDE`` (正向引导, inputs only) ranks above ``MASK``: it changes more of what happens (an
    instruction goes upstream and the answer is moderated at a stricter threshold). A GUIDE verdict
    still carries ``masked_text`` when personal information in the same input is to be masked, so
    a mask is never lost to a guide.
    """

    ALLOW = "allow"
    FLAG = "flag"  # allow, but queue for human review
    MASK = "mask"  # allow after masking the evidence spans (personal information)
    GUIDE = "guide"  # pass on with the risk's guidance as a system instruction; stricter output check
    REFUSE = "refuse"  # answer with the risk's refusal template
    BLOCK = "block"  # refuse and count as a violation of the user

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def stops(self) -> bool:
        """True when the text must not be passed on."""
        return self in (Action.REFUSE, Action.BLOCK)


_ORDER = [Action.ALLOW, Action.FLAG, Action.MASK, Action.GUIDE, Action.REFUSE, Action.BLOCK]


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the *original* text that supports a risk finding."""

    start: int
    end: int
    text: str
    source: str  # e.g. "pack:starter-zh@1/term:…", "recognizer:id_card", "classifier"


@dataclass(slots=True)
class RiskFinding:
    risk_id: str  # GB/T 45654 Annex A id, e.g. "A1f"
    score: float  # 0..1
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.risk_id, "score": round(self.score, 4),
                "evidence": [{"start": e.start, "end": e.end, "text": e.text, "source": e.source}
                             for e in self.evidence]}


@dataclass(frozen=True, slots=True)
class Guidance:
    """A positive-guidance instruction (正向引导) for one risk, sent upstream as a system message."""

    risk_id: str
    zh: str
    en: str

    def to_dict(self) -> dict:
        return {"risk": self.risk_id, "zh": self.zh, "en": self.en}


@dataclass(slots=True)
class CheckContext:
    """Who and where; ``profile`` selects the policy profile (``default`` or ``minor``).

    ``strict``: check an answer to a guided request: each risk's ``guide_output_threshold`` (if
    lower) replaces its threshold. ``prompt``: for an output check, what the user asked, so the
    answer is judged in context (a refusal or a responsible answer on a sensitive topic passes)."""

    profile: str = "default"
    user_id: str | None = None
    app_id: str | None = None
    request_id: str | None = None
    lang: str = "zh"
    strict: bool = False
    prompt: str | None = None


@dataclass(slots=True)
class Verdict:
    action: Action
    risks: list[RiskFinding] = field(default_factory=list)
    message_zh: str = ""  # refusal text shown to the user when ``action.stops``
    message_en: str = ""
    masked_text: str | None = None  # set when ``action`` is MASK (or GUIDE with PI to mask)
    decided_by: str = ""  # pack id@version / engine name that decided
    latency_ms: float = 0.0
    guidance: list[Guidance] = field(default_factory=list)  # set when ``action`` is GUIDE
    degraded: list[str] = field(default_factory=list)  # components that could not judge this text

    @property
    def risk_ids(self) -> list[str]:
        return [r.risk_id for r in self.risks]

    def guidance_text(self, lang: str = "zh") -> str:
        """The guidance as one system instruction, both languages (``lang`` first)."""
        zh = "\n".join(dict.fromkeys(g.zh for g in self.guidance))
        en = "\n".join(dict.fromkeys(g.en for g in self.guidance))
        return f"{zh}\n{en}" if lang.startswith("zh") else f"{en}\n{zh}"

    def to_dict(self) -> dict:
        out = {"action": self.action.value, "risks": [r.to_dict() for r in self.risks],
               "decided_by": self.decided_by, "latency_ms": round(self.latency_ms, 3),
               "degraded": list(self.degraded)}
        if self.guidance:
            out["guidance"] = [g.to_dict() for g in self.guidance]
        return out

    def to_api_dict(self) -> dict:
        """The form returned to API clients: evidence as spans and sources only, never its text,
        which can be the very personal information an output was masked for (PIPL Arts 6, 51)."""
        data = self.to_dict()
        for risk in data["risks"]:
            risk["evidence"] = [{k: v for k, v in ev.items() if k != "text"} for ev in risk["evidence"]]
        return data

    @classmethod
    def allow(cls, decided_by: str = "") -> "Verdict":
        return cls(action=Action.ALLOW, decided_by=decided_by)


@dataclass(slots=True)
class StreamDecision:
    """Result of feeding a chunk: text now safe to release, and a verdict if the stream must end."""

    release: str
    verdict: Verdict | None = None

    @property
    def stopped(self) -> bool:
        return self.verdict is not None and self.verdict.action.stops


@runtime_checkable
class StreamChecker(Protocol):
    def feed(self, chunk: str) -> StreamDecision: ...

    def finish(self) -> StreamDecision: ...

    @property
    def verdict(self) -> Verdict: ...  # combined verdict over everything seen so far


@runtime_checkable
class Moderator(Protocol):
    def check(self, text: str, direction: Direction, context: CheckContext | None = None) -> Verdict: ...

    def stream(self, direction: Direction, context: CheckContext | None = None) -> StreamChecker: ...
