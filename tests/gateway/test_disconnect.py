"""A request cut short still leaves its usage record (issue 9 #3; Interim Measures Art 11): a
client that closes a stream, a cancelled task, an unexpected upstream failure — the record is
committed with the text actually sent, status ``client_closed`` / ``error``."""

import asyncio
import json

import anyio
from sqlalchemy import select

from hegui.gateway.pipeline import chat
from hegui.gateway.pipeline.exchange import Exchange
from hegui.gateway.upstream import ChatResult
from hegui.storage.models import UsageContent, UsageRecord

PIECES = ["a" * 30, "b" * 30, "c" * 30]
BODY = {"model": "hanging", "messages": [{"role": "user", "content": "tell me a story"}], "user": "demo-user"}


class HangingUpstream:
    """Streams :data:`PIECES`, then waits forever (or raises ``fail``), like a stalled model."""

    name = "hanging"
    models = ["hanging"]

    def __init__(self, fail: BaseException | None = None):
        self.fail = fail
        self.entered: anyio.Event | None = None  # set when a non-streaming call starts waiting

    async def chat(self, body):
        if self.entered is not None:
            self.entered.set()
        await anyio.sleep_forever()
        return ChatResult("never")

    async def chat_stream(self, body):
        for p in PIECES:
            yield p
        if self.fail is not None:
            raise self.fail
        await anyio.sleep_forever()

    async def images(self, body):
        return []

    async def aclose(self):
        return None


def _app_id(gw) -> str:
    with gw.services.db.session() as s:
        return gw.services.authenticator.authenticate(s, gw.api_key)


def _exchange(gw, body: dict) -> Exchange:
    raw = json.dumps(body).encode()

    async def read_body() -> bytes:
        return raw

    return Exchange(endpoint="chat.completions", app_id=_app_id(gw), read_body=read_body)


def _sent_text(chunks: list[bytes]) -> str:
    text = []
    for line in b"".join(chunks).decode().splitlines():
        if line.startswith("data: {"):
            text.append(json.loads(line[6:])["choices"][0]["delta"].get("content") or "")
    return "".join(text)


def _record(gw, request_id: str):
    with gw.services.db.session() as s:
        rec = s.scalar(select(UsageRecord).where(UsageRecord.request_id == request_id))
        if rec is None:
            return None, "", ""
        content = s.get(UsageContent, rec.id)
        prompt, output = gw.services.writer.read_content(content) if content is not None else ("", "")
        return rec, prompt, output


def _checkpointing_db(gw, monkeypatch):
    """Database calls that yield to the event loop first, as PostgreSQL's worker threads do (on
    SQLite they run inline, so an unshielded commit would not be seen to be cancelled)."""
    run = gw.services.db.run

    async def yielding_run(fn, *args):
        await anyio.sleep(0)
        return await run(fn, *args)

    monkeypatch.setattr(gw.services.db, "run", yielding_run)


def test_stream_closed_by_client_leaves_record(gateway_factory):
    gw = gateway_factory(upstreams=[HangingUpstream()])
    ex = _exchange(gw, {**BODY, "stream": True})

    async def read_two_then_close() -> list[bytes]:
        events, _ = await chat.answer(gw.services, ex)
        got = [await events.__anext__(), await events.__anext__()]
        await events.aclose()  # what Starlette does when the client goes away at a write
        return got

    got = asyncio.run(read_two_then_close())
    rec, prompt, output = _record(gw, ex.request_id)
    assert rec is not None and rec.status == "client_closed" and rec.stream
    sent = _sent_text(got)
    assert sent.startswith("【AI生成】a") and output == sent  # exactly what was released
    assert prompt == "tell me a story" and rec.input_action == "allow" and rec.output_action == "allow"


def test_stream_cancelled_inside_upstream_wait_leaves_record(gateway_factory, monkeypatch):
    gw = gateway_factory(upstreams=[HangingUpstream()])
    _checkpointing_db(gw, monkeypatch)
    ex = _exchange(gw, {**BODY, "stream": True})
    got: list[bytes] = []

    async def main() -> None:
        events, _ = await chat.answer(gw.services, ex)
        first_content = anyio.Event()

        async def consume() -> None:
            async for chunk in events:
                got.append(chunk)
                if len(got) == 2:
                    first_content.set()

        async with anyio.create_task_group() as tg:  # as Starlette cancels on http.disconnect
            tg.start_soon(consume)
            await first_content.wait()
            tg.cancel_scope.cancel()

    asyncio.run(main())
    rec, _, output = _record(gw, ex.request_id)
    assert rec is not None and rec.status == "client_closed"
    assert output == _sent_text(got) and "a" * 30 in output and "c" * 30 not in output  # held back: unsent


def test_unexpected_upstream_failure_mid_stream_leaves_record(gateway_factory):
    gw = gateway_factory(upstreams=[HangingUpstream(fail=RuntimeError("boom"))])
    ex = _exchange(gw, {**BODY, "stream": True})
    got: list[bytes] = []

    async def main() -> None:
        events, _ = await chat.answer(gw.services, ex)
        try:
            async for chunk in events:
                got.append(chunk)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the failure was swallowed")

    asyncio.run(main())
    rec, _, output = _record(gw, ex.request_id)
    assert rec is not None and rec.status == "error" and rec.error_code == "HEGUI_ERROR"
    assert output == _sent_text(got) and output


async def _call_app(gw, body: dict, send_fails_after: int | None) -> list[dict]:
    """Run one request through the ASGI app; the client 'disconnects' (send raises OSError, as
    uvicorn's does) after ``send_fails_after`` messages (the response start counts)."""
    raw = json.dumps(body).encode()
    sent: list[dict] = []
    delivered = False

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await anyio.sleep_forever()

    async def send(message):
        if send_fails_after is not None and len(sent) >= send_fails_after:
            raise OSError("connection reset by peer")
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1), "server": ("test", 80),
             "headers": [(b"host", b"test"), (b"content-type", b"application/json"),
                         (b"authorization", f"Bearer {gw.api_key}".encode()),
                         (b"content-length", str(len(raw)).encode())]}
    try:
        await gw.client.app(scope, receive, send)
    except Exception:  # noqa: BLE001 - the server sees the disconnect; the test looks at the record
        pass
    return sent


def _last(gw):
    with gw.services.db.session() as s:
        return s.scalars(select(UsageRecord).order_by(UsageRecord.created_at.desc())).first()


def test_client_gone_at_a_write_leaves_record_through_the_app(gateway_factory):
    gw = gateway_factory(upstreams=[HangingUpstream()])

    async def main() -> UsageRecord | None:
        sent = await _call_app(gw, {**BODY, "stream": True}, send_fails_after=3)
        assert sum(m["type"] == "http.response.body" for m in sent) == 2
        return _last(gw)  # at once: not left to the garbage collector

    rec = asyncio.run(main())
    assert rec is not None and rec.status == "client_closed" and rec.output_chars > 0


def test_client_gone_before_the_first_chunk_leaves_record(gateway_factory):
    gw = gateway_factory(upstreams=[HangingUpstream()])

    async def main() -> UsageRecord | None:
        sent = await _call_app(gw, {**BODY, "stream": True}, send_fails_after=0)
        assert sent == []  # not even the response start got out: the generator never ran
        return _last(gw)

    rec = asyncio.run(main())
    assert rec is not None and rec.status == "client_closed" and rec.input_action == "allow"
    assert rec.output_chars == 0 and rec.prompt_chars == len("tell me a story")


def test_cancelled_non_streaming_request_leaves_record(gateway_factory, monkeypatch):
    up = HangingUpstream()
    gw = gateway_factory(upstreams=[up])
    _checkpointing_db(gw, monkeypatch)

    async def main() -> None:
        up.entered = anyio.Event()
        task = asyncio.ensure_future(_call_app(gw, BODY, send_fails_after=None))
        await up.entered.wait()  # the request is parked in the upstream call
        task.cancel()  # as a server does at shutdown, or when it drops the request
        try:
            await task
        except asyncio.CancelledError:
            pass

    asyncio.run(main())
    rec = _last(gw)
    assert rec is not None and rec.status == "client_closed" and rec.input_action == "allow"
    assert rec.prompt_chars == len("tell me a story")


def test_real_server_client_closes_stream_mid_answer(gateway_factory):
    """End to end through uvicorn: the client reads the first chunks and hangs up while the model
    is still generating; the server notices (http.disconnect) and the record is written."""
    import threading
    import time

    import httpx
    import uvicorn

    gw = gateway_factory(upstreams=[HangingUpstream()])
    server = uvicorn.Server(uvicorn.Config(gw.client.app, host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30  # a bound on waiting, not an assertion on time
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        received = b""
        with httpx.Client(timeout=30) as client:
            with client.stream("POST", f"http://127.0.0.1:{port}/v1/chat/completions", headers=gw.headers,
                               json={**BODY, "stream": True}) as r:
                request_id = r.headers["x-request-id"]
                for chunk in r.iter_raw():
                    received += chunk
                    if b"aaaa" in received:
                        break  # leaving the block closes the connection mid-stream
        rec = None
        while rec is None and time.monotonic() < deadline:
            rec = _record(gw, request_id)[0]
            time.sleep(0.01)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert rec is not None and rec.status == "client_closed" and rec.stream and rec.output_chars > 0
