"""A small closed-loop HTTP/1.1 load generator (raw asyncio, keep-alive, one request per connection
at a time) that times each request to the last byte and, for SSE, to the first *upstream* content.

It is deliberately framework-free so that the client costs little CPU on this 2-core machine and the
same client measures the direct upstream, hegui and LiteLLM.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# First SSE delta whose content starts with a lowercase ASCII letter: the upstream's text (the fast
# upstream sends only [a-z ]), not a gateway notice such as hegui's 【AI生成】 label.
_FIRST_CONTENT = re.compile(rb'"content":\s?"[a-z]')


class _ResponseError(Exception):
    pass


class _Conn(asyncio.Protocol):
    """One keep-alive connection; ``request()`` sends bytes and waits for one full response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(_ResponseError("connection closed"))

    # -- response parsing ---------------------------------------------------------------------
    def _reset(self) -> None:
        self.head = b""
        self.in_head = True
        self.status = 0
        self.length: int | None = None
        self.chunked = False
        self.chunk_left = -1  # -1: expecting a size line; -2: expecting CRLF after data
        self.pending = b""
        self.body = bytearray()
        self.first: float | None = None

    def request(self, data: bytes) -> asyncio.Future:
        self._reset()
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(data)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if self.waiter is None or self.waiter.done():
            return
        try:
            if self.in_head:
                self.head += data
                end = self.head.find(b"\r\n\r\n")
                if end < 0:
                    return
                data = self.head[end + 4:]
                self._parse_head(self.head[:end])
                self.in_head = False
            self._body(data, now)
        except Exception as exc:  # noqa: BLE001 - any parse problem is a failed request
            self.waiter.set_exception(_ResponseError(str(exc)))

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        self.status = int(lines[0].split(b" ", 2)[1])
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                self.length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                self.chunked = True

    def _payload(self, piece: bytes, now: float) -> None:
        start = max(0, len(self.body) - 16)
        self.body += piece
        if self.first is None and _FIRST_CONTENT.search(self.body, start):
            self.first = now

    def _body(self, data: bytes, now: float) -> None:
        if not self.chunked:
            self._payload(data, now)
            if self.length is not None and len(self.body) >= self.length:
                self.waiter.set_result(now)  # type: ignore[union-attr]
            return
        buf = self.pending + data
        i = 0
        while True:
            if self.chunk_left == -1:
                j = buf.find(b"\r\n", i)
                if j < 0:
                    break
                size = int(buf[i:j].split(b";")[0], 16)
                i = j + 2
                if size == 0:  # last chunk (no trailers expected)
                    self.waiter.set_result(now)  # type: ignore[union-attr]
                    self.pending = b""
                    return
                self.chunk_left = size
            elif self.chunk_left == -2:
                if len(buf) - i < 2:
                    break
                i += 2
                self.chunk_left = -1
            else:
                take = min(self.chunk_left, len(buf) - i)
                if take <= 0:
                    break
                self._payload(buf[i:i + take], now)
                i += take
                self.chunk_left -= take
                if self.chunk_left == 0:
                    self.chunk_left = -2
        self.pending = buf[i:]


@dataclass
class Target:
    """Where to send requests: host/port, path, headers and the model name it serves."""

    name: str
    port: int
    model: str
    api_key: str = ""
    host: str = "127.0.0.1"
    path: str = "/v1/chat/completions"

    def request(self, *, stream: bool, user: str = "demo-user") -> bytes:
        body = json.dumps({"model": self.model, "stream": stream, "user": user,
                           "messages": [{"role": "system", "content": "You are a helpful assistant."},
                                        {"role": "user", "content": "Write one paragraph about lighthouses."}]},
                          separators=(",", ":")).encode()
        auth = f"Authorization: Bearer {self.api_key}\r\n" if self.api_key else ""
        return (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nAccept: */*\r\n{auth}Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)  # to the last byte
    first_ms: list[float] = field(default_factory=list)  # to the first upstream content (SSE only)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = float("nan")  # CPU time of the measured process group during the timed phase
    upstream_conns_per_request: float = float("nan")  # new upstream connections / upstream requests

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / (self.ok + self.errors) if self.ok + self.errors else float("nan")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100); NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def _check(body: bytes, status: int, stream: bool, first: float | None, expect: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    if b'"content_filter"' in body:
        return "refused or cut by the gateway's moderation (finish_reason content_filter)"
    if stream:
        if b"[DONE]" not in body or first is None:
            return f"incomplete stream: {body[-200:]!r}"
    elif expect not in body:
        return f"unexpected body: {body[:200]!r}"
    return None


async def run_load(target: Target, *, stream: bool, concurrency: int, requests: int, warmup: int,
                   max_seconds: float, expect: bytes, warmup_seconds: float = 10.0, cpu_probe: Callable[[], float] | None = None) -> Result:
    """Closed loop: ``concurrency`` connections each send the next request as soon as the previous
    one ended. ``warmup`` requests (at most ``warmup_seconds``) are sent first and not counted; then
    ``requests`` are timed, or fewer when ``max_seconds`` runs out (requests in flight then finish)."""
    loop = asyncio.get_running_loop()
    payload = target.request(stream=stream)
    result = Result()

    async def connect() -> _Conn:
        _, proto = await loop.create_connection(_Conn, target.host, target.port)
        return proto  # type: ignore[return-value]

    async def phase(n: int, record: bool, deadline: float) -> None:
        counter = iter(range(n))

        async def worker() -> None:
            conn = await connect()
            try:
                for _ in counter:
                    if time.perf_counter() > deadline:
                        return
                    if conn.lost:
                        conn = await connect()
                    t0 = time.perf_counter()
                    try:
                        t_end = await asyncio.wait_for(conn.request(payload), timeout=60)
                    except (_ResponseError, TimeoutError, OSError) as exc:
                        result.errors += record
                        if record and len(result.error_samples) < 3:
                            result.error_samples.append(f"{type(exc).__name__}: {exc}")
                        conn.transport.close()  # type: ignore[union-attr]
                        conn = await connect()
                        continue
                    problem = _check(bytes(conn.body), conn.status, stream, conn.first, expect)
                    if not record:
                        continue
                    if problem:
                        result.errors += 1
                        if len(result.error_samples) < 3:
                            result.error_samples.append(problem)
                        continue
                    result.latencies_ms.append((t_end - t0) * 1000)
                    if stream and conn.first is not None:
                        result.first_ms.append((conn.first - t0) * 1000)
            finally:
                if conn.transport is not None:
                    conn.transport.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await phase(warmup, False, time.perf_counter() + warmup_seconds)
    cpu0 = cpu_probe() if cpu_probe else 0.0
    t0 = time.perf_counter()
    await phase(requests, True, t0 + max_seconds)
    result.wall_s = time.perf_counter() - t0
    if cpu_probe:
        result.cpu_s = cpu_probe() - cpu0
    return result
