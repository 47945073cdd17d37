"""Annotators, separation of duties, qualification expiry, inspections, export and IM-8 — on
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from hegui.annotation import annotators, batches, rules
from hegui.annotation.errors import NotAssignable, SeparationOfDuties
from hegui.annotation.export import export
from hegui.errors import ValidationFailed
from hegui.obligations.annotation import annotation_finding
from hegui.obligations.register import Status

TODAY = dt.date.today()


def _rules_doc() -> bytes:
    return "\n".join(l for l in rules.template_text().splitlines() if rules.TEMPLATE_MARK not in l).encode()


def _people(s, months=12):
    annotators.add(s, actor="t", code="E1", initials="Z.S.", roles=["executor"])
    annotators.add(s, actor="t", code="R1", initials="L.S.", roles=["reviewer", "executor"])
    annotators.add(s, actor="t", code="S1", initials="W.W.", roles=["supervisor"])
    for code in ("E1", "R1"):
        annotators.train(s, code, actor="t", course="安全标注规则 v1", hours=4)
        annotators.record_test(s, code, actor="t", score=0.95, pass_mark=0.9)


def test_roles_qualification_and_separation_of_duties(make_services, db_url):
    sv = make_services(db_url=db_url)
    with sv.db.session() as s:
        _people(s)
        with pytest.raises(ValidationFailed, match="initials"):
            annotators.add(s, actor="t", code="X", initials="A very long full name here", roles=["executor"])
        with pytest.raises(ValidationFailed, match="not one of"):
            annotators.add(s, actor="t", code="X", initials="X", roles=["boss"])
        batches.add(s, actor="t", name="b1", kind="safety", item_count=1000)
        batches.assign(s, "b1", "R1", "executor", actor="t", reexam_months=12)
        with pytest.raises(SeparationOfDuties) as err:
            batches.assign(s, "b1", "R1", "reviewer", actor="t", reexam_months=12)
        assert "不能再担任审核" in err.value.message("zh") and "cannot also be its reviewer" in str(err.value)
        with pytest.raises(NotAssignable, match="does not hold the role reviewer"):
            batches.assign(s, "b1", "E1", "reviewer", actor="t", reexam_months=12)
        batches.assign(s, "b1", "S1", "supervisor", actor="t", reexam_months=12)  # no test needed
        annotators.deactivate(s, "E1", actor="t")
        with pytest.raises(NotAssignable, match="deactivated"):
            batches.assign(s, "b1", "E1", "executor", actor="t", reexam_months=12)
        assert annotators.qualification(s, annotators.get(s, "E1"), 12).state == "deactivated"


def test_pass_mark_and_expiry(make_services, db_url):
    sv = make_services(db_url=db_url)
    with sv.db.session() as s:
        a = annotators.add(s, actor="t", code="E2", initials="E", roles=["executor"])
        assert annotators.qualification(s, a, 12).state == "untested"
        t = annotators.record_test(s, "E2", actor="t", score=0.89, pass_mark=0.9)
        assert not t.passed and annotators.qualification(s, a, 12).state == "failed"
        b = annotators.add(s, actor="t", code="E3", initials="E", roles=["executor"])
        annotators.record_test(s, "E3", actor="t", score=0.9, pass_mark=0.9, taken_on=TODAY - dt.timedelta(days=400))
        assert annotators.qualification(s, b, 12).state == "expired"
        annotators.record_test(s, "E3", actor="t", score=0.91, pass_mark=0.9, taken_on=TODAY - dt.timedelta(days=340))
        assert annotators.qualification(s, b, 12).state == "due"  # re-exam within 30 days
        assert annotators.qualification(s, b, 11).state == "expired"
        assert annotators.qualification(s, b, 24).state == "qualified"
        batches.add(s, actor="t", name="b", kind="functional", item_count=10)
        with pytest.raises(NotAssignable, match="expired"):
            batches.assign(s, "b", "E3", "executor", actor="t", reexam_months=11)
        with pytest.raises(ValidationFailed, match="fraction"):
            annotators.record_test(s, "E2", actor="t", score=92, pass_mark=0.9)
        with pytest.raises(ValidationFailed, match="future"):
            annotators.record_test(s, "E2", actor="t", score=0.9, pass_mark=0.9, taken_on=TODAY + dt.timedelta(days=5))


def test_inspection_aql_and_discard_are_both_reported(make_services, db_url):
    sv = make_services(db_url=db_url)
    with sv.db.session() as s:
        _people(s)
        batches.add(s, actor="t", name="ok", kind="safety", item_count=1000)
        batches.assign(s, "ok", "E1", "executor", actor="t", reexam_months=12)
        p, picks = batches.sample(s, "ok", actor="t", aql=1.0)
        assert (p.sample_size, p.ac) == (80, 2) and len(picks) == 80 == len(set(picks))
        assert batches.sample(s, "ok", actor="t", aql=1.0)[1] == picks  # reproducible draw
        with pytest.raises(SeparationOfDuties):
            batches.inspect(s, "ok", actor="t", inspected_by="E1", defects=0, safety_failed=0)
        row = batches.inspect(s, "ok", actor="t", inspected_by="QA", defects=3, safety_failed=0)
        assert (row.aql_decision, row.discard, row.decision) == ("reject", False, "rejected")
        with pytest.raises(ValidationFailed, match="already rejected"):
            batches.inspect(s, "ok", actor="t", inspected_by="QA", defects=0, safety_failed=0)
        batches.add(s, actor="t", name="drop", kind="safety", item_count=1000)
        row = batches.inspect(s, "drop", actor="t", inspected_by="QA", defects=0, safety_failed=51, aql=2.5)
        assert (row.aql_decision, row.discard, row.decision) == ("accept", True, "discarded")


def test_im8_flips_and_export_and_filing(make_services, db_url, tmp_path):
    sv = make_services(db_url=db_url)
    f = annotation_finding(sv)
    assert f.status is Status.NOT_MET
    for part in ("safety annotation rules", "qualified executor", "qualified reviewer", "no accepted annotation batch"):
        assert part in f.reason_en
    with sv.db.session() as s:
        bad = _rules_doc().decode().replace("A4b", "").replace("侵害他人肖像权", "").replace("infringing portrait rights", "")
        rules.add(s, actor="t", kind="safety", version="0.9", effective_on=TODAY, file_name="r.md", data=bad.encode(),
                  approved_by="负责人")
    assert "do not cover Annex A risks: A4b" in annotation_finding(sv).reason_en
    with sv.db.session() as s:
        with pytest.raises(ValidationFailed, match="template"):
            rules.add(s, actor="t", kind="safety", version="t", effective_on=TODAY, file_name="t.md",
                      data=rules.template_text().encode(), approved_by="x")
    with sv.db.session() as s:
        rules.add(s, actor="t", kind="safety", version="1.0", effective_on=TODAY, file_name="rules.md",
                  data=_rules_doc(), approved_by="负责人")
        _people(s)
        batches.add(s, actor="t", name="b1", kind="safety", item_count=500)
        batches.assign(s, "b1", "E1", "executor", actor="t", reexam_months=12)
        batches.assign(s, "b1", "R1", "reviewer", actor="t", reexam_months=12)
        batches.sample(s, "b1", actor="t", aql=2.5)
        batches.inspect(s, "b1", actor="t", inspected_by="QA", defects=1, safety_failed=3)
    f = annotation_finding(sv)
    assert f.status is Status.NOT_MET and "has no agreement (κ) record" in f.reason_en
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("item_id,label\n1,safe\n2,A1f\n3,safe\n4,A4e\n", encoding="utf-8")
    b.write_text("item_id,label\n1,safe\n2,A1f\n3,A1f\n4,A4e\n", encoding="utf-8")
    with sv.db.session() as s:
        batches.record_agreement(s, "b1", a, b, actor="t")
    f = annotation_finding(sv)
    assert f.status is Status.MET and "κ = 0.64" in f.reason_en
    with sv.db.session() as s:
        files = export(s, tmp_path / "out", reexam_months=12)
    names = {p.relative_to(tmp_path / "out").as_posix() for p in files}
    assert {"rules.json", "roster.csv", "training.csv", "qa.json", "summary.md", "summary.html",
            "rules/safety-v1.0-rules.md"} <= names
    roster = list(csv.DictReader((tmp_path / "out" / "roster.csv").open(encoding="utf-8")))
    assert [r["code"] for r in roster] == ["E1", "R1", "S1"] and roster[0]["initials"] == "Z.S."
    qa = json.loads((tmp_path / "out" / "qa.json").read_text(encoding="utf-8"))
    b1 = qa["batches"][0]
    assert b1["kappa"] == pytest.approx(0.6364, abs=1e-3) and b1["aql_decision"] == "accept" and b1["discard"] is False
    assert "覆盖 31 类风险" in (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    # IM-8 turns red again when the only qualified reviewer leaves
    with sv.db.session() as s:
        annotators.deactivate(s, "R1", actor="t")
    assert "no qualified reviewer" in annotation_finding(sv).reason_en
    # the filing's annotation piece carries the approved rules
    from hegui.filing.model import Dossier, PieceStatus, Track
    from hegui.filing.pieces_docs import annotation

    d = Dossier(settings=sv.settings, clock=None, db=sv.db)  # type: ignore[arg-type]
    built = annotation(d, Track.MODEL)
    assert built.status is PieceStatus.OK and list(built.files) == ["annotation-rules-safety-v1.0.md"]
