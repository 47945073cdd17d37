"""PI never leaks through database error messages (logged by the record step on failure)."""

import pytest
from sqlalchemy import text

from hegui.errors import StorageError
from hegui.storage.db import Database


def test_database_errors_carry_no_parameters(db_url: str) -> None:
    db = Database(db_url)
    try:
        with pytest.raises(StorageError) as exc, db.session() as s:
            s.execute(text("SELECT no_such_column FROM no_such_table WHERE x = :phone"), {"phone": "13812345678"})
        cause = exc.value.__cause__ or exc.value.__context__
        for message in (str(exc.value), str(cause)):
            assert "13812345678" not in message
        assert "hidden due to hide_parameters" in str(cause)
    finally:
        db.dispose()
