"""A small OpenAI-compatible stub for the runner's tests: a raw ASGI app served by uvicorn on a free
loopback port in a thread. The prompt chooses the behaviour (``mode:rest``):

``ok`` an answer · ``filter`` finish_reason content_filter · ``refuse400`` hegui's CONTENT_REFUSED ·
``nonjson`` · ``empty`` content "" · ``nochoices`` · ``flaky`` 500 on the first call for that prompt ·
``busy`` 429 with Retry-After on the first call · ``slow`` sleeps 2 s · ``bad400`` a 400 that is not
a refusal · ``hegui`` an answer with a ``hegui`` block. ``/v1`` on another path gives 404.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


class Stub:
    def __init__(self, *, delay_s: float = 0.0, status: int | None = None) -> None:
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay_s = delay_s
        self.status = status  # force every reply to this status (401, 503…)
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.url = ""

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            msg = await receive()
            raw += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["path"] != "/v1/chat/completions":
            return await _send(send, 404, {"error": {"code": "not_found", "message": "no such path"}})
        body = json.loads(raw)
        self.bodies.append(body)
        self.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        prompt = body["messages"][0]["content"]
        self.hits[prompt] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            await self._reply(send, prompt, self.hits[prompt])
        finally:
            self.in_flight -= 1

    async def _reply(self, send, prompt: str, n: int) -> None:  # noqa: ANN001
        mode = prompt.split(":", 1)[0]
        if self.status is not None:
            return await _send(send, self.status, {"error": {"code": "forced", "message": f"forced {self.status}"}})
        if mode == "filter":
            return await _send(send, 200, _completion("", "content_filter"))
        if mode == "refuse400":
            return await _send(send, 400, {"error": {"code": "CONTENT_REFUSED", "message": "不能回答",
                                                     "type": "invalid_request_error"}})
        if mode == "bad400":
            return await _send(send, 400, {"error": {"code": "invalid_value", "message": "bad request"}})
        if mode == "nonjson":
            return await _send(send, 200, b"<html>oops</html>")
        if mode == "empty":
            return await _send(send, 200, _completion("", "stop"))
        if mode == "nochoices":
            return await _send(send, 200, {"id": "x", "choices": []})
        if mode == "flaky" and n == 1:
            return await _send(send, 500, {"error": {"message": "boom"}})
        if mode == "busy" and n == 1:
            return await _send(send, 429, {"error": {"code": "rate_limited"}}, {"retry-after": "1"})
        if mode == "slow":
            await asyncio.sleep(2)
        if mode == "hegui":
            return await _send(send, 200, {**_completion("answer", "stop"),
                                           "hegui": {"moderation": {"input": "pass", "output": "pass"}}})
        return await _send(send, 200, _completion(f"answer to {prompt}", "stop"))


def _completion(text: str, finish: str) -> dict:
    return {"id": "c1", "object": "chat.completion", "created": int(time.time()), "model": "stub",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}]}


async def _send(send, status: int, body, headers: dict[str, str] | None = None) -> None:  # noqa: ANN001
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    hdrs += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": data})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(stub: Stub, port: int | None = None) -> Iterator[Stub]:
    """Run ``stub`` with uvicorn on 127.0.0.1 in a thread; ``stub.url`` is its ``/v1`` base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(stub, host="127.0.0.1", port=port, log_level="error", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("stub server did not start")
        time.sleep(0.01)
    stub.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield stub
    finally:
        server.should_exit = True
        thread.join(5)
