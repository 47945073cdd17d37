"""A minimal, fast OpenAI-compatible upstream for the gateway benchmark.

Raw asyncio protocol (uvloop when installed), HTTP/1.1 keep-alive, no framework. It answers
``POST /v1/chat/completions``:

* non-streaming: one ``chat.completion`` JSON whose content is ``TEXT`` (1,000 characters);
* ``"stream": true``: SSE ``chat.completion.chunk`` events carrying ``TEXT`` in ``CHUNK_CHARS``
  pieces, then ``data: [DONE]``, with chunked transfer encoding.

``GET /v1/models`` lists ``fast-model``; ``GET /stats`` counts accepted connections and chat requests
(so the benchmark can tell whether a gateway reuses its upstream connections). Nothing is slept: the point is that the upstream costs as
little as possible so that what remains is the gateway's own cost.

Usage: ``python bench/gateway/upstream.py PORT [CHUNK_CHARS]``
"""

from __future__ import annotations

import asyncio
import json
import sys

MODEL = "fast-model"
TEXT_CHARS = 1000
CHUNK_CHARS = 50
_WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
# Only lowercase ASCII letters and spaces, so the client can tell upstream text from gateway notices.
TEXT = (_WORDS * (TEXT_CHARS // len(_WORDS) + 1))[:TEXT_CHARS]


def _completion_body() -> bytes:
    return json.dumps({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": TEXT}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 250, "total_tokens": 260},
    }, separators=(",", ":")).encode()


def _chunk(delta: dict, finish: str | None = None) -> bytes:
    obj = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": MODEL,
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    data = b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)  # one HTTP chunk per SSE event


COMPLETION = _completion_body()
NONSTREAM_RESPONSE = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                      % len(COMPLETION)) + COMPLETION
STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"


def stream_events(chunk_chars: int = CHUNK_CHARS) -> list[bytes]:
    return ([_chunk({"role": "assistant", "content": ""})]
            + [_chunk({"content": TEXT[i:i + chunk_chars]}) for i in range(0, TEXT_CHARS, chunk_chars)]
            + [_chunk({}, "stop"), b"e\r\ndata: [DONE]\n\n\r\n", b"0\r\n\r\n"])


STREAM_EVENTS = stream_events()
_models = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "bench"}]}).encode()
MODELS_RESPONSE = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                   % len(_models)) + _models
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


STATS = {"connections": 0, "requests": 0}


class UpstreamProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buf = b""
        STATS["connections"] += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4:end + 4 + length]
            self.buf = self.buf[end + 4 + length:]
            self.respond(head.split(b" ", 2), body)

    def respond(self, request_line: list[bytes], body: bytes) -> None:
        method, path = request_line[0], request_line[1] if len(request_line) > 1 else b""
        if path == b"/stats":  # connections accepted / chat requests served so far (bench bookkeeping)
            data = json.dumps(STATS).encode()
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                                 % len(data) + data)
            return
        if method == b"POST" and path.rstrip(b"/").endswith(b"/chat/completions"):
            STATS["requests"] += 1
            if b'"stream":true' in body.replace(b" ", b""):
                self.transport.write(STREAM_HEAD)
                for event in STREAM_EVENTS:  # separate writes: the client sees a stream, not one blob
                    self.transport.write(event)
            else:
                self.transport.write(NONSTREAM_RESPONSE)
        elif method == b"GET" and path.rstrip(b"/").endswith(b"/models"):
            self.transport.write(MODELS_RESPONSE)
        else:
            self.transport.write(NOT_FOUND)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(UpstreamProtocol, "127.0.0.1", port, backlog=1024, reuse_address=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    global STREAM_EVENTS
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9100
    if len(sys.argv) > 2:  # characters per SSE chunk (a real model sends ~1 token ≈ 3–4 characters)
        STREAM_EVENTS = stream_events(int(sys.argv[2]))
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(port))


if __name__ == "__main__":
    main()
