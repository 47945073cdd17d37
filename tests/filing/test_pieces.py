"""Pieces and --check: what each track needs, what is missing and why, the keyword sheet."""

from __future__ import annotations

from openpyxl import load_workbook

from hegui.filing import PieceStatus, Track, blocking, pieces_for, run_pieces
from tests.filing.helpers import FILED_UPSTREAM, dossier, operator_pack, write_run


def _by_id(outcomes):
    return {o.piece.id: o.built for o in outcomes}


def test_tracks_differ_in_their_pieces():
    ids = {t: [p.id for p in pieces_for(t)] for t in Track}
    assert "mechanism-text" in ids[Track.ALGORITHM] and "officer-letters" in ids[Track.ALGORITHM]
    assert "corpus-audit" not in ids[Track.ALGORITHM] and "keywords" not in ids[Track.ALGORITHM]
    assert "corpus-audit" in ids[Track.MODEL] and "annotation-rules" in ids[Track.MODEL]
    assert "corpus-audit" not in ids[Track.REGISTRATION] and "base-model-filing" in ids[Track.REGISTRATION]
    assert len({tuple(v) for v in ids.values()}) == 3


def test_check_names_each_missing_piece_on_the_demo_settings(tmp_path):
    got = _by_id(run_pieces(dossier(tmp_path), Track.MODEL))
    assert got["security-assessment"].status is PieceStatus.MISSING
    assert "no security-assessment report" in got["security-assessment"].reason_en
    assert got["test-banks"].status is PieceStatus.MISSING
    assert got["corpus-audit"].status is PieceStatus.MISSING
    assert "no training-corpus audit report" in got["corpus-audit"].reason_en
    assert got["base-model-filing"].status is PieceStatus.MISSING and "demo" in got["base-model-filing"].reason_en
    assert got["annotation-rules"].status is PieceStatus.MISSING and got["annotation-rules"].fix_en
    assert got["application-form"].status is PieceStatus.MISSING and "demo" in got["application-form"].reason_en
    assert all(b.fix_zh and b.fix_en for b in got.values() if b.status is PieceStatus.MISSING)


def test_base_model_evidence_per_upstream(tmp_path):
    bare = dict(FILED_UPSTREAM, name="up2", base_model_filing_number="")
    got = _by_id(run_pieces(dossier(tmp_path, upstreams=[FILED_UPSTREAM, bare]), Track.REGISTRATION))
    assert got["base-model-filing"].status is PieceStatus.MISSING
    assert "up2" in got["base-model-filing"].reason_en and "up1" not in got["base-model-filing"].reason_en
    ok = _by_id(run_pieces(dossier(tmp_path, upstreams=[FILED_UPSTREAM]), Track.REGISTRATION))["base-model-filing"]
    assert ok.status is PieceStatus.OK and b"Beijing-M-1" in ok.files["base-models.json"]
    assert b"api_key" not in ok.files["base-models.json"]


def test_assessment_run_fills_report_and_banks_and_a_failed_one_is_flagged(tmp_path):
    d = dossier(tmp_path)
    write_run(tmp_path / "var")
    got = _by_id(run_pieces(d, Track.MODEL))
    rep = got["security-assessment"]
    assert rep.status is PieceStatus.OK and {"report.json", "report.pdf", "report.html"} <= set(rep.files)
    assert rep.attach_pdf == ["report.pdf"] and any(s["heading"].startswith("逐条") and len(s["table"]) > 3
                                                    for s in rep.doc.sections)
    assert got["test-banks"].status is PieceStatus.OK and got["test-banks"].files["test-banks.xlsx"][:2] == b"PK"

    other = tmp_path / "b"
    write_run(other / "var", conforms=False)
    bad = _by_id(run_pieces(dossier(other), Track.MODEL))["security-assessment"]
    assert bad.status is PieceStatus.FLAGGED and "does-not-conform" in bad.reason_en and bad.files


def test_annotation_rules_come_from_the_operator_file(tmp_path):
    d = dossier(tmp_path)
    folder = tmp_path / "var" / "filing"
    folder.mkdir(parents=True)
    (folder / "annotation-rules.md").write_text("不适用：直接调用已备案模型，未训练。", encoding="utf-8")
    got = _by_id(run_pieces(d, Track.MODEL))["annotation-rules"]
    assert got.status is PieceStatus.OK and "annotation-rules.md" in got.files


def test_keyword_sheet_has_the_columns_operator_terms_and_no_formula(tmp_path):
    import io

    pack = operator_pack(tmp_path, ["=HYPERLINK(\"http://x\")", "+1+1", "运营方测试词"])
    got = _by_id(run_pieces(dossier(tmp_path, moderation={"pack_dirs": [str(pack)]}), Track.MODEL))["keywords"]
    assert got.status in (PieceStatus.OK, PieceStatus.FLAGGED)
    wb = load_workbook(io.BytesIO(got.files["keywords.xlsx"]))
    sheet = wb["关键词库"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("关键词 Keyword", "一级分类 Level-1", "二级分类 Level-2")
    words = {r[0]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\")" in words and "'+1+1" in words
    assert words["运营方测试词"][3] == "op-test@1" and words["运营方测试词"][2]  # level-2 = the risk's zh name
    assert len(words) > 100  # the shipped starter packs are in too
    assert not any(isinstance(c, str) and c[:1] in "=+-@" for r in rows for c in r)
    cov = list(wb["覆盖率"].iter_rows(values_only=True))
    assert cov[-1][0] == "total" and cov[-1][4] == 10_000


def test_a_broken_builder_is_missing_not_a_silent_pass(tmp_path, monkeypatch):
    from hegui.filing import pieces_evidence

    def boom(d):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pieces_evidence, "latest_run", boom)
    outs = run_pieces(dossier(tmp_path), Track.MODEL)
    assert "disk on fire" in _by_id(outs)["security-assessment"].reason_en
    assert {o.piece.id for o in blocking(outs)} >= {"security-assessment", "test-banks"}
