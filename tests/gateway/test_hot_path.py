"""Hot-path changes from the benchmark (docs/benchmarks-gateway.md): the upstream stream is read
to its end after [DONE] (connection reuse) without ever delaying the answer, and stale pooled
PostgreSQL connections are replaced when checked out after idling."""

import asyncio
import time

import httpx
import pytest
from sqlalchemy import text

from hegui.gateway import upstream as upstream_mod
from hegui.gateway.upstream import HttpUpstream
from hegui.settings import UpstreamSettings
from hegui.storage import db as db_mod
from hegui.storage.db import Database

SSE = (b'data: {"choices":[{"delta":{"content":"hello "}}]}\n\n'
       b'data: {"choices":[{"delta":{"content":"world"}}]}\n\n'
       b"data: [DONE]\n\n")


class _Body(httpx.AsyncByteStream):
    """An SSE body; after [DONE] it sends a trailing comment, then ends or hangs."""

    def __init__(self, hang: bool) -> None:
        self.hang = hang
        self.read_to_end = False

    async def __aiter__(self):
        yield SSE
        yield b": trailing\n\n"
        if self.hang:
            await asyncio.sleep(30)
        self.read_to_end = True


def _upstream(body: _Body) -> HttpUpstream:
    cfg = UpstreamSettings(name="sse", base_url="http://upstream.test/v1", models=["m"], timeout_seconds=5)
    return HttpUpstream(cfg, transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=body)))


async def _collect(up: HttpUpstream) -> list[str]:
    return [piece async for piece in up.chat_stream({"model": "m", "messages": []})]


def test_stream_is_read_to_its_end_after_done():
    body = _Body(hang=False)
    assert asyncio.run(_collect(_upstream(body))) == ["hello ", "world"]
    assert body.read_to_end


def test_a_body_left_open_after_done_does_not_delay_the_answer(monkeypatch):
    monkeypatch.setattr(upstream_mod, "DRAIN_SECONDS", 0.05)
    body = _Body(hang=True)
    started = time.monotonic()
    assert asyncio.run(_collect(_upstream(body))) == ["hello ", "world"]
    assert time.monotonic() - started < 5 and not body.read_to_end


def test_stale_postgres_connection_is_replaced_after_idle(db_url, monkeypatch):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (SQLite has no server connection to lose)")
    import psycopg

    monkeypatch.setattr(db_mod, "PING_AFTER_IDLE_SECONDS", 0.05)
    db = Database(db_url, pool_size=1)
    try:
        with db.session() as s:
            pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.2)
        with db.session() as s:
            assert s.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        db.dispose()
