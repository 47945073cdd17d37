"""The lifetime of PI export archives reaches the retention job from the composition root (bound to
the database at start), not by records importing the cases policy (PIPL Arts 47, 51)."""

import datetime as dt
import os
from pathlib import Path

import pytest

from hegui.errors import ConfigError
from hegui.records.exports import EXPORTS_DIR
from hegui.records.protection import protect
from hegui.records.retention import EXPORT_DAYS_INFO, purge
from hegui.storage.db import Database


def _archive(var, days_old: int) -> None:
    folder = var / EXPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "old.zip"
    path.write_bytes(b"PK")
    then = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_old)).timestamp()
    os.utime(path, (then, then))


def test_build_services_binds_the_cases_policy_lifetime(make_services):
    services = make_services()
    assert services.db.info[EXPORT_DAYS_INFO] == 15  # pi_export_days of the shipped cases policy
    _archive(Path(services.settings.var_dir), 16)
    assert purge(services.db, services.settings.retention).pi_exports == 1


def test_an_unbound_lifetime_fails_closed(make_services, tmp_path):
    services = make_services()
    db = Database(f"sqlite:///{tmp_path}/bare.db")
    db.upgrade()
    var = tmp_path / "bare-var"
    protect(db, services.keys, var)  # var_dir bound, the lifetime not
    _archive(var, 400)
    try:
        with pytest.raises(ConfigError) as exc:
            purge(db, services.settings.retention)
        assert "pi_export_days" in exc.value.message("en") and "pi_export_days" in exc.value.message("zh")
        assert purge(db, services.settings.retention, pi_export_days=30).pi_exports == 1  # given explicitly
    finally:
        db.dispose()
