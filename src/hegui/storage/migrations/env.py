"""Alembic environment: uses the connection handed in by hegui.storage.migrate, or the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hegui.storage.all_models import load_all

target_metadata = load_all().metadata
config = context.config


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        _migrate(conn)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _migrate(conn)


def _migrate(conn) -> None:  # noqa: ANN001
    context.configure(connection=conn, target_metadata=target_metadata,
                      render_as_batch=conn.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
