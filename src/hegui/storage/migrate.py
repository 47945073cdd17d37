"""Alembic, driven from code: ``upgrade(engine)`` and ``revision(message)`` (for developers)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
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
    version (e.g. a newer hegui) is refused with a clear error, untouched."""
    cfg = _config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
    except CommandError as exc:
        raise SchemaMismatch(detail=str(exc)) from exc


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision against the database at ``url`` (must be at head)."""
    command.revision(_config(url), message=message, autogenerate=True)
