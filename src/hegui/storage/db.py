"""Engine and sessions. SQLite in WAL mode is the embedded default; PostgreSQL by URL.

Foreign database errors are translated to :class:`hegui.errors.StorageError` at this boundary.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hegui.errors import StorageError

T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Database:
    """One engine + session factory. ``session()`` commits on success, rolls back on error.

    ``info`` is copied into every session's ``Session.info``: what the deployment binds at start
    (the key ring that seals case text, the audit log's MAC key and head checkpoint — see
    :func:`hegui.records.protection.protect`).
    """

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 10) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.info: dict[str, Any] = {}
        self.sqlite_path: Path | None = None
        if self.is_sqlite:
            path = self.url.split("///", 1)[1].split("?", 1)[0] if "///" in self.url else ""  # "sqlite://": memory
            if path and path != ":memory:" and not path.startswith("file:"):
                self.sqlite_path = Path(path)
                _private_sqlite_files(self.sqlite_path, create=True)
            db_path = self.sqlite_path
            self.engine: Engine = create_engine(self.url, connect_args={"timeout": 30, "check_same_thread": False},
                                                pool_size=pool_size, max_overflow=pool_size, hide_parameters=True)
            sync = sqlite_synchronous

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA synchronous={sync}")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()
                if db_path is not None:
                    _private_sqlite_files(db_path)
        else:
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size, hide_parameters=True)
            _ping_when_idle(self.engine)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking database work from async code: inline for SQLite, on a worker thread
        for PostgreSQL.

        SQLite work is local and sub-millisecond (WAL, no fsync per commit at ``NORMAL``), less
        than the hand-off to a worker thread and back, which the profiles showed as the largest
        cost of a request's storage step (docs/benchmarks-gateway.md). PostgreSQL waits on the
        network, which must not block the event loop. Trade-off: while another connection holds
        SQLite's write lock (a retention purge, an admin action) the loop waits with the writer;
        requests would wait for that lock on a worker thread as well."""
        if self.is_sqlite:
            return fn(*args)
        return await anyio.to_thread.run_sync(fn, *args)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with translate_errors():
            with self._factory(info=self.info) as s:
                try:
                    yield s
                    s.commit()
                except BaseException:
                    s.rollback()
                    raise

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from hegui.storage.migrate import upgrade

        with translate_errors():
            upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def _private_sqlite_files(path: Path, *, create: bool = False) -> None:
    """The database and its WAL/SHM files are 0600 (SQLite gives WAL/SHM the database file's mode),
    a folder made for them 0700: they hold personal information (PIPL Art 51)."""
    if create:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
              path.with_name(path.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            if os.stat(p).st_mode & 0o077:
                os.chmod(p, 0o600)


PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Like ``pool_pre_ping``, but only for connections idle longer than a few seconds.

    ``pool_pre_ping`` costs a round trip on *every* checkout (two per chat request); connections
    go stale while idle (server restart, network idle timeouts), so that is when to check them. A
    stale one is replaced by a fresh connection before the session sees it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:  # noqa: ANN001
        record.info["hegui_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
        since = record.info.get("hegui_idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception:  # noqa: BLE001 - e.g. AdminShutdown after a server restart: treat as stale
            alive = False
        if not alive:
            raise DisconnectionError("stale pooled connection")  # the pool reconnects and retries


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise StorageError(detail=_short(exc)) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageError(detail=_short(exc)) from exc
        raise


def _short(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0][:200]
