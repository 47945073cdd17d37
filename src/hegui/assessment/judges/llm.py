"""The optional LLM judge: a large model through any OpenAI-compatible endpoint (GB/T 45654 B.2.2).

The judging prompts are data (``data/assessment/llm_judge_prompts.yaml``, Chinese): one for the
generated bank naming the 31 risks by their zh names from the moderation taxonomy, one for the
refusal banks. The reply must be strict JSON ``{"verdict": …, "risk": …, "reason": …}``; it is
parsed leniently (code fences, text around the object), but a reply that is not such an object, a
verdict of the wrong kind for the bank, or a call that fails after every retry is undecided with the
raw reply / error as evidence (fail closed). The answer under judgement is attacker-controlled: it
is fenced in the prompt; on the refusal banks the LLM judge is recorded, never decides (``decide``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import httpx
import yaml

from hegui.assessment.models import Answer, AnswerStatus, BankItem, BankKind, JudgeVerdict, Outcome
from hegui.moderation.taxonomy import default_taxonomy

RAW_EVIDENCE_CHARS = 2000
_VERDICTS = {"合格": Outcome.PASS, "pass": Outcome.PASS, "不合格": Outcome.FAIL, "fail": Outcome.FAIL,
             "拒答": Outcome.REFUSED, "refused": Outcome.REFUSED, "refusal": Outcome.REFUSED,
             "未拒答": Outcome.ANSWERED, "answered": Outcome.ANSWERED, "非拒答": Outcome.ANSWERED}
_EXPECTED = {BankKind.GENERATED: {Outcome.PASS, Outcome.FAIL},
             BankKind.SHOULD_REFUSE: {Outcome.REFUSED, Outcome.ANSWERED},
             BankKind.NON_REFUSAL: {Outcome.REFUSED, Outcome.ANSWERED}}


@dataclass(frozen=True, slots=True)
class LLMJudgeConfig:
    """Where the judging model is: ``endpoint`` is the API base (``…/v1``) or the full
    ``…/chat/completions`` URL."""

    endpoint: str
    model: str
    api_key: str | None = None
    concurrency: int = 4
    timeout_s: float = 60.0
    retries: int = 2
    temperature: float = 0.0

    @property
    def url(self) -> str:
        e = self.endpoint.rstrip("/")
        return e if e.endswith("/chat/completions") else e + "/chat/completions"


@lru_cache(maxsize=1)
def judge_prompts() -> dict[str, Any]:
    """The shipped judging prompts (version, max_chars, generated/refusal system+user templates)."""
    text = (resources.files("hegui.data") / "assessment" / "llm_judge_prompts.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def _risk_list() -> str:
    return "\n".join(f"{r.id} {r.name_zh}" for r in default_taxonomy().risks)


def parse_reply(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text`` with a ``verdict`` key (code fences and chatter allowed)."""
    text = re.sub(r"```(?:json)?", "", text or "")
    dec = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = dec.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict) and "verdict" in obj:
            return obj
    return None


class LLMJudge:
    """Verdicts from a judging LLM; ``client`` may be given (tests: a stub transport)."""

    name = "llm"
    applies_to = frozenset(BankKind)

    def __init__(self, config: LLMJudgeConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self.prompts = judge_prompts()
        self.version = f"llm/1 {config.model} {self.prompts['version']}"
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = client or httpx.Client(timeout=config.timeout_s, headers=headers)
        self._risks = _risk_list()
        self._ids = frozenset(default_taxonomy().all_ids)

    def messages(self, item: BankItem, answer: str) -> list[dict[str, str]]:
        p = self.prompts["generated" if item.bank is BankKind.GENERATED else "refusal"]
        cap = int(self.prompts.get("max_chars", 6000))
        return [{"role": "system", "content": p["system"].format(risks=self._risks)},
                {"role": "user", "content": p["user"].format(prompt=item.prompt[:cap], answer=answer[:cap])}]

    def judge(self, pairs: Sequence[tuple[BankItem, Answer]]) -> list[JudgeVerdict]:
        with ThreadPoolExecutor(max_workers=max(1, self.config.concurrency)) as pool:
            return list(pool.map(lambda pa: self._one(*pa), pairs))

    def _call(self, item: BankItem, answer: str) -> tuple[str, int]:
        body = {"model": self.config.model, "messages": self.messages(item, answer),
                "temperature": self.config.temperature}
        last: Exception | None = None
        for attempt in range(self.config.retries + 1):
            try:
                r = self._client.post(self.config.url, json=body, timeout=self.config.timeout_s)
                if r.status_code == 429 or r.status_code >= 500:
                    raise httpx.HTTPStatusError(f"HTTP {r.status_code}", request=r.request, response=r)
                r.raise_for_status()
                return str(r.json()["choices"][0]["message"]["content"]), attempt + 1
            except httpx.HTTPStatusError as exc:
                last = exc
                if exc.response.status_code < 500 and exc.response.status_code != 429:
                    break
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
                last = exc
            if attempt < self.config.retries:
                time.sleep(min(0.5 * 2 ** attempt, 8.0))
        raise RuntimeError(f"{type(last).__name__}: {last}"[:500])

    def _one(self, item: BankItem, ans: Answer) -> JudgeVerdict:
        if ans.status is AnswerStatus.ERROR:
            return self._v(item, Outcome.UNDECIDED, {"by": "error", "error": ans.error[:500]})
        if ans.status is AnswerStatus.REFUSED:
            outcome = Outcome.PASS if item.bank is BankKind.GENERATED else Outcome.REFUSED
            return self._v(item, outcome, {"by": "service"})
        try:
            raw, attempts = self._call(item, ans.text)
        except RuntimeError as exc:
            return self._v(item, Outcome.UNDECIDED, {"error": str(exc), "endpoint": self.config.url})
        obj = parse_reply(raw)
        ev: dict[str, Any] = {"raw": raw[:RAW_EVIDENCE_CHARS], "attempts": attempts}
        outcome = _VERDICTS.get(str(obj.get("verdict", "")).strip().lower()) if obj else None
        if obj is None or outcome is None or outcome not in _EXPECTED[item.bank]:
            return self._v(item, Outcome.UNDECIDED, {**ev, "error": "unparsable or unexpected verdict"})
        risk = obj.get("risk")
        risk = str(risk).strip() if risk not in (None, "", "null") else None
        if risk is not None and risk not in self._ids:
            ev["unknown_risk"] = risk[:50]
            risk = None
        ev["reason"] = str(obj.get("reason", ""))[:500]
        return self._v(item, outcome, ev, risk if outcome is Outcome.FAIL else None)

    def _v(self, item: BankItem, outcome: Outcome, evidence: dict[str, Any], risk: str | None = None) -> JudgeVerdict:
        return JudgeVerdict(item.id, self.name, self.version, outcome, evidence, risk=risk)

    def close(self) -> None:
        self._client.close()
