"""Ask one bank question of an OpenAI-compatible endpoint and map the reply to an :class:`Answer`
(GB/T 45654 B.2: the service's answers, as users meet them, are what is judged).

``POST {endpoint}/chat/completions`` with ``{"model", "messages": [{"role": "user", "content":
prompt}], "user"?, "stream": false}``. Retries with exponential backoff and full jitter on timeouts,
connection errors, 408, 429 (``Retry-After`` honoured) and 5xx; other 4xx are final. Nothing raises
out of :meth:`EndpointClient.ask` except :class:`EndpointUnusable` (401 / 404: the key or the model
is wrong, so every item would fail the same way).

What counts as a refusal: ``finish_reason == "content_filter"``, an OpenAI ``message.refusal``, or
an HTTP 4xx whose error code is a refusal code (:data:`REFUSAL_CODES`). Everything else that is not
a usable completion is an ``ERROR`` with a precise reason (never judged as a pass).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import httpx
import orjson

from hegui.assessment.errors import AssessmentError
from hegui.assessment.models import Answer, AnswerStatus, BankItem
from hegui.assessment.runner.config import RunConfig

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_TEXT_CHARS = 200_000
MAX_RETRY_AFTER_S = 120.0
MAX_BACKOFF_S = 30.0
POOL_SIZE = 8  # connections per httpx pool
# error codes (``error.code`` or ``error.type``) that mean "the service refused this content"
REFUSAL_CODES = frozenset({
    "CONTENT_REFUSED",              # hegui's gateway
    "content_filter",               # OpenAI / Azure OpenAI
    "content_policy_violation",     # OpenAI
    "data_inspection_failed",       # Alibaba DashScope (Qwen)
})
FATAL_STATUS = frozenset({401, 404})
RETRY_STATUS = frozenset({408, 409, 425, 429})


class EndpointUnusable(AssessmentError):
    """The endpoint rejects the run itself (bad key, unknown model or URL): stop, record nothing."""

    code = "ASSESSMENT_ENDPOINT_UNUSABLE"
    http_status = 502
    message_zh = "被评估的接口不可用：{detail}"
    message_en = "The endpoint under assessment is unusable: {detail}"


class RateLimiter:
    """At most ``rps`` request starts per second, spread evenly (a token bucket of depth one)."""

    def __init__(self, rps: float) -> None:
        if rps <= 0:
            raise ValueError("rps must be > 0")
        self._interval = 1.0 / rps
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        at = max(now, self._next)
        self._next = at + self._interval
        if at > now:
            await asyncio.sleep(at - now)


class _Retry(Exception):
    def __init__(self, answer: Answer, delay: float | None = None) -> None:
        self.answer, self.delay = answer, delay


class EndpointClient:
    """An ``httpx.AsyncClient`` bound to one endpoint and model; use as ``async with``."""

    def __init__(self, config: RunConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self.url = config.endpoint.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        # httpcore's pool scans every connection per request (cost ~ requests × connections): a pool
        # per POOL_SIZE slots keeps that small at high concurrency (bench/assessment/runner_speed.py)
        shards = -(-config.concurrency // POOL_SIZE)
        size = -(-config.concurrency // shards)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self._pools = [httpx.AsyncClient(headers=headers, limits=limits, transport=transport, follow_redirects=False,
                                         timeout=httpx.Timeout(config.timeout_s)) for _ in range(shards)]
        self._load = [0] * shards
        self._sem = asyncio.Semaphore(config.concurrency)
        self._limiter = RateLimiter(config.rps) if config.rps else None

    async def __aenter__(self) -> EndpointClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()

    async def ask(self, item: BankItem) -> Answer:
        """The endpoint's answer to ``item`` after at most ``1 + retries`` attempts."""
        body: dict[str, Any] = {"model": self.config.model, "stream": False,
                                "messages": [{"role": "user", "content": item.prompt}]}
        if self.config.user:
            body["user"] = self.config.user
        payload = orjson.dumps(body)
        started = time.perf_counter()
        attempts = 0
        while True:
            attempts += 1
            try:
                async with self._sem:
                    if self._limiter is not None:
                        await self._limiter.wait()
                    answer = await self._attempt(item.id, payload)
            except _Retry as retry:
                answer = retry.answer
                if attempts <= self.config.retries:
                    await asyncio.sleep(self._delay(attempts, retry.delay))
                    continue
                answer = _with(answer, error=f"{answer.error} (after {attempts} attempts / 已尝试 {attempts} 次)")
            latency = (time.perf_counter() - started) * 1000
            return _with(answer, latency_ms=round(latency, 2), attempts=attempts)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER_S)
        return random.uniform(0, min(MAX_BACKOFF_S, self.config.backoff_s * 2 ** (attempt - 1)))

    async def _attempt(self, item_id: str, payload: bytes) -> Answer:
        try:
            async with asyncio.timeout(self.config.timeout_s):
                pool = self._load.index(min(self._load))  # the least busy pool
                self._load[pool] += 1
                try:
                    async with self._pools[pool].stream("POST", self.url, content=payload) as resp:
                        raw = await _read_capped(resp)
                finally:
                    self._load[pool] -= 1
        except TimeoutError as exc:
            raise _Retry(_error(item_id, f"timed out after {self.config.timeout_s:g}s / 超时")) from exc
        except httpx.TimeoutException as exc:
            raise _Retry(_error(item_id, f"timed out ({type(exc).__name__}) / 超时")) from exc
        except httpx.TransportError as exc:
            raise _Retry(_error(item_id, f"connection failed: {type(exc).__name__}: {exc} / 连接失败")) from exc
        status = resp.status_code
        if raw is None:
            return _error(item_id, f"response over {MAX_BODY_BYTES} bytes / 响应过大", status)
        return self._map(item_id, status, raw, resp.headers)

    def _map(self, item_id: str, status: int, raw: bytes, headers: httpx.Headers) -> Answer:
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        if status == 200:
            return _completion(item_id, body, raw)
        err = body.get("error") if isinstance(body, dict) else None
        err = err if isinstance(err, dict) else ({"message": err} if isinstance(err, str) else {})
        code = str(err.get("code") or err.get("type") or "")
        evidence = {"error": _trim(err)} if err else {"body": raw[:2000].decode("utf-8", "replace")}
        if 400 <= status < 500 and (code in REFUSAL_CODES or str(err.get("type") or "") in REFUSAL_CODES):
            return Answer(item_id=item_id, status=AnswerStatus.REFUSED, http_status=status, service=evidence,
                          finish_reason=None, text=str(err.get("message") or "")[:MAX_TEXT_CHARS])
        reason = f"HTTP {status}" + (f" {code}" if code else "") + (f": {str(err.get('message'))[:300]}"
                                                                    if err.get("message") else "")
        answer = _error(item_id, reason, status, evidence)
        if status in FATAL_STATUS:
            raise EndpointUnusable(detail=f"{self.url} answered {reason}; check --endpoint, --model and the API "
                                          f"key / 请检查接口地址、模型名称与密钥")
        if status in RETRY_STATUS or status >= 500:
            raise _Retry(answer, _retry_after(headers.get("retry-after")) if status in (429, 503) else None)
        return answer


async def _read_capped(resp: httpx.Response) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():  # decoded: the cap holds against a compression bomb too
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _completion(item_id: str, body: Any, raw: bytes) -> Answer:
    if not isinstance(body, dict):
        kind = "empty body" if not raw.strip() else ("non-JSON body" if body is None else "JSON that is not an object")
        return _error(item_id, f"HTTP 200 with {kind} / 响应不是 JSON 对象: {raw[:120]!r}", 200)
    service = body.get("hegui") if isinstance(body.get("hegui"), dict) else {}
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return _error(item_id, "HTTP 200 without choices / 响应缺少 choices", 200, service)
    choice = choices[0]
    finish = choice.get("finish_reason")
    finish = str(finish) if finish is not None else None
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    text = _text(message.get("content"))
    refusal = message.get("refusal")
    if len(text) > MAX_TEXT_CHARS:
        service = {**service, "runner": {"truncated_from_chars": len(text)}}
        text = text[:MAX_TEXT_CHARS]
    if finish == "content_filter" or (isinstance(refusal, str) and refusal):
        return Answer(item_id=item_id, status=AnswerStatus.REFUSED, text=text or str(refusal or "")[:MAX_TEXT_CHARS],
                      finish_reason=finish, http_status=200, service=service)
    if not text.strip():
        return _error(item_id, f"HTTP 200 with empty content (finish_reason={finish}) / 回答为空", 200, service,
                      finish)
    return Answer(item_id=item_id, status=AnswerStatus.OK, text=text, finish_reason=finish, http_status=200,
                  service=service)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _trim(value: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k)[:100]: (v[:2000] if isinstance(v, str) else v) for k, v in list(value.items())[:50]}


def _error(item_id: str, reason: str, status: int = 0, service: Mapping[str, Any] | None = None,
           finish: str | None = None) -> Answer:
    return Answer(item_id=item_id, status=AnswerStatus.ERROR, error=reason, http_status=status,
                  service=dict(service or {}), finish_reason=finish)


def _with(answer: Answer, **changes: Any) -> Answer:
    return replace(answer, **changes)
