"""Upstream models: any OpenAI-compatible HTTP endpoint, and the built-in demo model.

``HttpUpstream`` keeps one pooled ``httpx.AsyncClient`` per endpoint, with connect/read timeouts,
retries with exponential backoff on connection errors and 429/5xx (only before any byte of a
stream was received), and a per-upstream concurrency limit. httpx errors are translated to
:class:`hegui.errors.UpstreamError` here and never leak further.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import orjson

from hegui.errors import NotFound, UpstreamError, UpstreamTimeout
from hegui.settings import UpstreamSettings


@dataclass(slots=True)
class ChatResult:
    content: str
    finish_reason: str = "stop"
    usage: dict[str, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SpeechResult:
    """Generated speech as mono float32 PCM (numpy array) at ``sample_rate`` — labelled and encoded
    by the gateway, never sent as the upstream made it (GB 45438 §5.3, §6)."""

    samples: Any
    sample_rate: int


class Upstream(Protocol):
    name: str
    models: list[str]

    async def chat(self, body: dict[str, Any]) -> ChatResult: ...

    def chat_stream(self, body: dict[str, Any]) -> AsyncIterator[str]: ...

    async def images(self, body: dict[str, Any]) -> list[bytes]: ...

    async def speech(self, body: dict[str, Any]) -> SpeechResult: ...

    async def aclose(self) -> None: ...


_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
# After ``[DONE]`` the body normally ends at once (the chunked terminator follows in the same
# write); reading it lets httpx pool the connection. A server that keeps the body open longer
# than this gets its connection closed instead of delaying the client.
DRAIN_SECONDS = 0.25
MAX_SPEECH_BYTES = 64 * 1024 * 1024  # an upstream's audio answer above this is refused, not decoded


class HttpUpstream:
    def __init__(self, cfg: UpstreamSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name = cfg.name
        self.models = list(cfg.models)
        self.cfg = cfg
        # Every call is a JSON POST: the body is encoded once with orjson and sent as bytes.
        headers = {"Content-Type": "application/json"}
        if cfg.api_key:
            headers["Authorization"] = f"Bearer {cfg.api_key}"
        timeout = httpx.Timeout(cfg.timeout_seconds, connect=cfg.connect_timeout_seconds)
        limits = httpx.Limits(max_connections=cfg.max_concurrency, max_keepalive_connections=cfg.max_concurrency)
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout, limits=limits, transport=transport)
        base = cfg.base_url.rstrip("/") + "/"
        # Absolute URLs parsed once: httpx skips merging a relative path into base_url per call.
        self._urls = {path: httpx.URL(base + path) for path in ("chat/completions", "images/generations",
                                                                 "audio/speech")}
        self._sem = asyncio.Semaphore(cfg.max_concurrency)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        attempt = 0
        while True:
            try:
                resp = await self._client.post(self._urls[path], content=orjson.dumps(body))
            except httpx.TimeoutException as exc:
                err: UpstreamError = UpstreamTimeout(detail=f"{self.name}: {type(exc).__name__}")
            except httpx.HTTPError as exc:
                err = UpstreamError(detail=f"{self.name}: {type(exc).__name__}")
            else:
                if resp.status_code < 400:
                    return resp
                err = UpstreamError(detail=f"{self.name}: HTTP {resp.status_code}")
                if resp.status_code not in _RETRY_STATUS:
                    raise err
            if attempt >= self.cfg.retries:
                raise err
            await asyncio.sleep(min(0.2 * 2 ** attempt, 2.0) * (0.5 + random.random()))
            attempt += 1

    async def chat(self, body: dict[str, Any]) -> ChatResult:
        async with self._sem:
            resp = await self._post("chat/completions", {**body, "stream": False})
        try:
            data = orjson.loads(resp.content)
            choice = data["choices"][0]
            return ChatResult(choice["message"].get("content") or "", choice.get("finish_reason") or "stop",
                              data.get("usage") or {}, data)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise UpstreamError(detail=f"{self.name}: malformed completion") from exc

    async def chat_stream(self, body: dict[str, Any]) -> AsyncIterator[str]:
        async with self._sem:
            attempt = 0
            while True:
                try:
                    async with self._client.stream("POST", self._urls["chat/completions"],
                                                   content=orjson.dumps({**body, "stream": True})) as resp:
                        if resp.status_code >= 400:
                            await resp.aread()
                            raise UpstreamError(detail=f"{self.name}: HTTP {resp.status_code}")
                        lines = resp.aiter_lines()
                        async for line in lines:
                            if not line.startswith("data:"):
                                continue
                            payload = line[5:].strip()
                            if payload == "[DONE]":
                                await _drain(lines)
                                return
                            with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
                                delta = orjson.loads(payload)["choices"][0].get("delta") or {}
                                if delta.get("content"):
                                    yield delta["content"]
                        return
                except httpx.TimeoutException as exc:
                    raise UpstreamTimeout(detail=f"{self.name}: {type(exc).__name__}") from exc
                except httpx.ConnectError as exc:
                    if attempt >= self.cfg.retries:
                        raise UpstreamError(detail=f"{self.name}: {type(exc).__name__}") from exc
                    await asyncio.sleep(0.2 * 2 ** attempt)
                    attempt += 1
                except httpx.HTTPError as exc:
                    raise UpstreamError(detail=f"{self.name}: {type(exc).__name__}") from exc

    async def images(self, body: dict[str, Any]) -> list[bytes]:
        import base64

        async with self._sem:
            resp = await self._post("images/generations", {**body, "response_format": "b64_json"})
        try:
            return [base64.b64decode(item["b64_json"]) for item in resp.json()["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise UpstreamError(detail=f"{self.name}: malformed image response") from exc

    async def speech(self, body: dict[str, Any]) -> SpeechResult:
        """POST ``audio/speech`` (asking for lossless WAV) and decode the answer to PCM with ffmpeg."""
        from starlette.concurrency import run_in_threadpool

        from hegui.errors import HeguiError
        from hegui.labeling.gateway_audio import MAX_SECONDS, decode_mono

        async with self._sem:
            resp = await self._post("audio/speech", {**body, "response_format": "wav"})
        data = resp.content
        if not data or len(data) > MAX_SPEECH_BYTES:
            raise UpstreamError(detail=f"{self.name}: speech response empty or over {MAX_SPEECH_BYTES} bytes")
        try:
            samples, rate = await run_in_threadpool(lambda: decode_mono(data, timeout=self.cfg.timeout_seconds,
                                                                        seconds=MAX_SECONDS + 1))
        except HeguiError as exc:
            raise UpstreamError(detail=f"{self.name}: undecodable speech ({exc.message('en')[:200]})") from exc
        return SpeechResult(samples, rate)


async def _drain(lines: AsyncIterator[str]) -> None:
    """Read the rest of a finished stream so the connection goes back to the pool (without
    this, every stream cost a new TCP connection: docs/benchmarks-gateway.md). The answer is
    complete at ``[DONE]``, so a failure here only costs the connection, never the answer."""
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout(DRAIN_SECONDS):
            async for _ in lines:
                pass


class UpstreamRouter:
    """Maps a model name to the upstream that serves it."""

    def __init__(self, upstreams: list[Upstream]) -> None:
        self.upstreams = upstreams
        self._by_model: dict[str, Upstream] = {}
        for up in upstreams:
            for m in up.models:
                self._by_model.setdefault(m, up)

    def for_model(self, model: str | None) -> Upstream:
        up = self._by_model.get(model or "")
        if up is None:
            raise NotFound(message_en=f"unknown model {model!r}; see GET /v1/models",
                           message_zh=f"未知模型 {model!r}，可用模型见 GET /v1/models")
        return up

    def models(self) -> list[tuple[str, str]]:
        return [(m, up.name) for m, up in self._by_model.items()]

    async def aclose(self) -> None:
        for up in self.upstreams:
            await up.aclose()
