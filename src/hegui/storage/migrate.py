"""Alembic, driven from code: ``upgrade(engine)`` and ``revision(message)`` (for developers)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hegui.errors import SchemaMismatch

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, target: str = "head") -> None:
    """Bring the schema to ``target`` in one transaction; a database made by an unknown schema
    version (e.g. a newer hegui) is refused with a clear error, untouched. On PostgreSQL several
    processes starting at once take turns (an advisory lock until commit): the later ones find the
    schema at head."""
    cfg = _config()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7283002)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
    except CommandError as exc:
        raise SchemaMismatch(detail=str(exc)) from exc


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision against the database at ``url`` (must be at head)."""
    command.revision(_config(url), message=message, autogenerate=True)
