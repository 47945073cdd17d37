"""DS-14 split, LM-9, complaints and PI rights: each row flips on live evidence (issue 11)."""

from __future__ import annotations

import datetime as dt

import pytest

from hegui.obligations import evidence
from hegui.obligations.register import Status, evaluate


def _rows(sv) -> dict:
    return {r.duty.id: r.finding for r in evaluate(sv)[1]}


def test_ds14_split_training_part_met_biometric_part_on_its_self_test(make_services):
    rows = _rows(make_services())
    assert rows["DS-14-T"].status is Status.MET and "opted-out" in rows["DS-14-T"].reason_en
    assert rows["DS-14"].status is Status.MET and "self-test passed" in rows["DS-14"].reason_en  # issue 14
    assert rows["IM-7"].status is Status.NOT_MET and "no training-corpus audit report" in rows["IM-7"].reason_en
    assert rows["IM-8"].status is Status.NOT_MET and "safety annotation rules" in rows["IM-8"].reason_en


def test_ds14_training_part_fails_when_the_export_ignores_opt_outs(make_services, monkeypatch):
    import hegui.records.training_export as te
    from hegui.storage.models import EndUser

    real = te.export_for_training

    def leaky(writer, out, **kw):  # noqa: ANN001, ANN003, ANN202
        with writer.db.session() as s:  # an export that forgets the opt-out
            for u in s.query(EndUser).all():
                u.training_opt_out = False
        return real(writer, out, **kw)

    monkeypatch.setattr(te, "export_for_training", leaky)
    f = evidence.training_opt_out_finding(make_services())
    assert f.status is Status.NOT_MET and "opted-out user's content was exported" in f.reason_en


def test_lm9_met_by_the_self_test_and_leaves_no_row(make_services):
    from sqlalchemy import func, select

    from hegui.labeling.models import UnlabelledExport

    sv = make_services()
    f = evidence.unlabelled_export_finding(sv.db)
    assert f.status is Status.MET and "≥ 6 months" in f.reason_en
    with sv.db.session() as s:
        assert s.scalar(select(func.count()).select_from(UnlabelledExport)) == 0  # rolled back


def test_lm9_not_met_when_a_kept_log_row_is_short(make_services):
    from hegui.labeling.models import UnlabelledExport

    sv = make_services()
    now = dt.datetime.now(dt.timezone.utc)
    with sv.db.session() as s:
        s.add(UnlabelledExport(user_id="u", content_id="c", recipient="r", agreement_covers=True,
                               granted_at=now, retain_until=now + dt.timedelta(days=30)))
    f = evidence.unlabelled_export_finding(sv.db)
    assert f.status is Status.NOT_MET and "less than six months" in f.reason_en


def test_lm9_not_met_when_the_retention_is_shortened(make_services, monkeypatch):
    import hegui.labeling.export as ex

    monkeypatch.setattr(ex, "add_months", lambda when, months: when + dt.timedelta(days=30))
    f = evidence.unlabelled_export_finding(make_services().db)
    assert f.status is Status.NOT_MET


@pytest.mark.parametrize(("drop", "row"), [("sanction_appeal", "IM-15"), ("pi_withdraw", "PIPL-44")])
def test_complaint_and_pi_rows_read_the_live_cases_config(make_services, drop, row):
    from hegui.cases.config import load_config

    sv = make_services()
    assert _rows(sv)[row].status is Status.MET
    load_config.cache_clear()
    # an operator override that turns the kind into a non-PI, unnamed one breaks the row
    (sv.settings.var_dir and __import__("pathlib").Path(sv.settings.var_dir)).joinpath("cases.yaml").write_text(
        f"case_types:\n  {drop}: null\n", encoding="utf-8")
    load_config.cache_clear()
    try:
        f = _rows(sv)[row]
    finally:
        load_config.cache_clear()
    assert f.status is not Status.MET, f
