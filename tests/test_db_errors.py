"""PI never leaks through database error messages (logged by the record step on failure)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hegui.errors import StorageError
from hegui.storage.db import Database


def test_database_errors_carry_no_parameters(db_url: str) -> None:
    db = Database(db_url)
    try:
        with pytest.raises((StorageError, DBAPIError)) as exc, db.session() as s:
            s.execute(text("SELECT no_such_column FROM no_such_table WHERE x = :phone"), {"phone": "13812345678"})
        chain = [exc.value, exc.value.__cause__ or exc.value.__context__]
        dbapi = next(e for e in chain if isinstance(e, DBAPIError))  # SQLite errors come wrapped in StorageError
        assert all("13812345678" not in str(e) for e in chain if e is not None)
        assert "hidden due to hide_parameters" in str(dbapi)
    finally:
        db.dispose()
