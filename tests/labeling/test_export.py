"""Unlabelled export on request (Labeling Measures Art 9): refused without agreement cover; logged
with the recipient; log kept ≥ 6 months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from hegui.errors import ConfigError, LabelError
from hegui.labeling.explicit.errors import ExportRefused
from hegui.labeling.export import (
    add_months,
    purge_expired_exports,
    request_unlabelled_export,
)
from hegui.labeling.models import UnlabelledExport
from hegui.storage.base import Base

T0 = dt.datetime(2026, 8, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def session(tmp_path) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'export.db'}")
    Base.metadata.create_all(engine, tables=[UnlabelledExport.__table__])
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_refused_unless_agreement_covers_it(session: Session) -> None:
    with pytest.raises(ExportRefused) as err:
        request_unlabelled_export(session, user_id="u1", content_id="c1", recipient="Acme 王经理 138xxxx",
                                  agreement_covers=False)
    assert isinstance(err.value, LabelError) and "第九条" in err.value.message("zh")
    assert session.scalars(select(UnlabelledExport)).all() == []


def test_recipient_is_required(session: Session) -> None:
    with pytest.raises(ExportRefused):
        request_unlabelled_export(session, user_id="u1", content_id="c1", recipient="  ", agreement_covers=True)


def test_grant_is_logged_with_recipient_for_six_months(session: Session) -> None:
    grant = request_unlabelled_export(session, user_id="u1", content_id="c1", recipient="Acme Ltd, ops@acme.example",
                                      agreement_covers=True, agreement_version="2026-08", now=T0)
    session.commit()
    row = session.get(UnlabelledExport, grant.id)
    assert row is not None and row.recipient == "Acme Ltd, ops@acme.example" and row.implicit_label_kept
    assert grant.retain_until == dt.datetime(2027, 2, 28, 12, 0, tzinfo=dt.UTC)  # calendar months
    assert grant.retain_until - grant.granted_at >= dt.timedelta(days=181)


def test_retention_below_six_months_is_a_config_error(session: Session) -> None:
    with pytest.raises(ConfigError):
        request_unlabelled_export(session, user_id="u", content_id="c", recipient="r", agreement_covers=True,
                                  retention_months=5)


def test_longer_retention_and_purge_keeps_rows_inside_retention(session: Session) -> None:
    request_unlabelled_export(session, user_id="u", content_id="old", recipient="r", agreement_covers=True, now=T0)
    request_unlabelled_export(session, user_id="u", content_id="long", recipient="r", agreement_covers=True,
                              retention_months=24, now=T0)
    session.commit()
    assert purge_expired_exports(session, now=T0 + dt.timedelta(days=150)) == 0
    assert purge_expired_exports(session, now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC)) == 1
    session.commit()
    assert [r.content_id for r in session.scalars(select(UnlabelledExport))] == ["long"]


@pytest.mark.parametrize(("start", "months", "end"), [
    (dt.datetime(2026, 1, 31), 6, dt.datetime(2026, 7, 31)),
    (dt.datetime(2026, 8, 31), 6, dt.datetime(2027, 2, 28)),
    (dt.datetime(2027, 8, 30), 6, dt.datetime(2028, 2, 29)),
    (dt.datetime(2026, 12, 1), 13, dt.datetime(2028, 1, 1)),
])
def test_add_months(start: dt.datetime, months: int, end: dt.datetime) -> None:
    assert add_months(start, months) == end
