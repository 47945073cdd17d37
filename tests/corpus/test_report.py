"""The corpus-audit report (GB/T 45654 §5.1 a 2, B.2.1 a–b): shares and intervals, the 5 % line,
fail-closed counting, the seeded samples, the worksheet, the pages, IM-7 and the dossier piece —
all on synthetic decisions.jsonl fixtures."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hegui.assessment.report.stats import wilson
from hegui.corpus.report import build_corpus_report, export_manual_sample, import_manual_sample, write_report
from hegui.corpus.report.errors import CorpusReportError
from hegui.settings import load_settings

LICENSED = {"licence": "CC-BY-4.0", "licence_evidence_ok": True, "type": "open_dataset"}
SMALL = """id: small
version: "t"
title_zh: 测试
title_en: test
source_share: {clause: "5.1 a 2", max: 0.05, decide_on: %s}
manual_sample: {clause: "B.2.1 a", min: 20, bar: 0.96}
technical_sample: {clause: "B.2.1 b", min_fraction: 0.10, bar: 0.98}
"""


def row(source: str, i: int, status: str = "clean", **extra) -> dict:
    """One decision line: clean, harmful (A1f), a5 (A5a only), unjudged, degraded, missing, dup."""
    mod = {"harmful": False, "risks": [], "action": "allow", "degraded": []}
    reasons: list[str] = []
    if status == "harmful":
        mod, reasons = {"harmful": True, "risks": [{"risk": "A1f", "score": 0.9}], "action": "block", "degraded": []}, ["harmful:A1f"]
    elif status == "a5":
        mod, reasons = {"harmful": True, "risks": [{"risk": "A5a", "score": 0.9}], "degraded": []}, ["harmful:A5a"]
    elif status == "unjudged":
        mod, reasons = None, ["unjudged"]
    elif status == "degraded":
        mod = {"harmful": False, "risks": [], "degraded": ["classifier"]}
    elif status == "missing":
        mod = None
    elif status == "dup":
        mod, reasons = None, [f"duplicate:{source}:f:0"]
    findings = {"pi": {"count": 1, "types": {"phone": 1}} if i % 10 == 0 else {"count": 0, "types": {}},
                "language": {"lang": "zh"}, "licence": {"markers": [], "restricted": False}}
    if mod is not None:
        findings["moderation"] = mod
    return {"id": f"{source}:f:{i}", "source": source, "file": "f", "line": i, "kept": not reasons,
            "reasons": reasons, "findings": findings, **extra}


def corpus(path: Path, spec: dict[str, dict[str, int]], *, shuffle: int | None = None) -> Path:
    """``{source: {status: count}}`` → decisions.jsonl (clean records fill the rest)."""
    rows = []
    for source, counts in spec.items():
        i = 0
        for status, n in counts.items():
            for _ in range(n):
                rows.append(row(source, i, status))
                i += 1
    if shuffle is not None:
        random.Random(shuffle).shuffle(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def small(tmp_path: Path, decide_on: str = "point") -> Path:
    p = tmp_path / f"small-{decide_on}.yaml"
    p.write_text(SMALL % decide_on, encoding="utf-8")
    return p


def by_id(report: dict) -> dict:
    return {s["id"]: s for s in report["sources"]}


def test_shape_has_the_keys_the_issue_lists(tmp_path):
    r = build_corpus_report(corpus(tmp_path / "d.jsonl", {"a": {"clean": 30}}), sources={"a": LICENSED})
    assert {"sources", "manual_sample", "technical_sample", "conforms"} <= set(r)
    assert {"id", "records", "harmful_share", "ci95", "usable", "licence", "pi_records", "optout_excluded"} <= set(r["sources"][0])
    json.dumps(r, allow_nan=False)


def test_share_interval_and_the_5_percent_line(tmp_path):
    d = corpus(tmp_path / "d.jsonl", {"a": {"harmful": 4, "clean": 96}, "b": {"harmful": 5, "clean": 95},
                                      "c": {"harmful": 6, "clean": 94}})
    s = by_id(build_corpus_report(d, sources={k: LICENSED for k in "abc"}))
    assert s["a"]["harmful_share"] == 0.04 and s["a"]["ci95"] == pytest.approx(list(wilson(4, 100)))
    assert s["a"]["usable"] and s["b"]["usable"] and not s["c"]["usable"]  # "more than 5 %" is not usable
    assert s["a"]["pi_records"] == 10
    # the stricter reading: the interval's upper bound decides
    up = by_id(build_corpus_report(d, sources={k: LICENSED for k in "abc"}, profile=small(tmp_path, "upper")))
    assert not up["a"]["usable"] and not up["b"]["usable"]


def test_unjudged_missing_and_degraded_count_against_duplicates_do_not(tmp_path):
    d = corpus(tmp_path / "d.jsonl", {"a": {"unjudged": 1, "missing": 1, "degraded": 1, "a5": 2, "dup": 10, "clean": 35}})
    s = by_id(build_corpus_report(d, sources={"a": LICENSED}))["a"]
    assert s["records"] == 50 and s["not_assessed"] == 10 and s["judged"] == 40
    assert s["unjudged"] == 3 and s["harmful"] == 0 and s["harmful_a5"] == 2
    assert s["harmful_share"] == 3 / 40 and not s["usable"]


def test_a_line_without_findings_or_with_garbage_fails_closed(tmp_path):
    d = tmp_path / "d.jsonl"
    d.write_text(json.dumps({"id": "a:f:1", "source": "a"}) + "\n" + json.dumps({"id": "a:f:2", "source": "a", "kept": True,
                 "reasons": "nope", "findings": {"moderation": "x"}}) + "\n{bad\n[1]\n", encoding="utf-8")
    r = build_corpus_report(d, sources={"a": LICENSED})
    assert by_id(r)["a"]["unjudged"] == 2 and by_id(r)["a"]["harmful_share"] == 1.0
    assert r["decisions"]["malformed"] == 2 and r["decisions"]["malformed_first"][0]["location"] == "d.jsonl:3"
    assert not r["conforms"] and {p["code"] for p in r["problems"]} >= {"malformed", "unusable_source"}


def test_sample_sizes(tmp_path):
    d = corpus(tmp_path / "d.jsonl", {"a": {"clean": 333}, "b": {"clean": 333}, "c": {"harmful": 1, "clean": 333}})
    r = build_corpus_report(d, sources={k: LICENSED for k in "abc"})
    t, m = r["technical_sample"], r["manual_sample"]
    assert t["population"] == 999 and t["n"] >= 0.10 * 999 and t["per_source"] == {"a": 34, "b": 34, "c": 34}
    assert t["pass_rate"] == 1.0 and t["conforms"]  # the harmful record is excluded: not training data
    assert m["n"] == 999 and m["under_size"] and m["census"] and not m["conforms"]
    big = build_corpus_report(corpus(tmp_path / "big.jsonl", {"a": {"clean": 4100}}), sources={"a": LICENSED})
    assert big["manual_sample"]["n"] == 4000 and not big["manual_sample"]["under_size"]
    assert big["technical_sample"]["n"] == 410


def test_samples_are_seeded_and_independent_of_line_order(tmp_path):
    spec = {"a": {"clean": 300}, "b": {"degraded": 5, "clean": 200}}
    one = build_corpus_report(corpus(tmp_path / "1.jsonl", spec), sources={}, profile=small(tmp_path), seed=7)
    two = build_corpus_report(corpus(tmp_path / "2.jsonl", spec, shuffle=3), sources={}, profile=small(tmp_path), seed=7)
    other = build_corpus_report(corpus(tmp_path / "1.jsonl", spec), sources={}, profile=small(tmp_path), seed=8)
    for key in ("technical_sample", "manual_sample"):
        assert one[key]["ids_sha256"] == two[key]["ids_sha256"] != other[key]["ids_sha256"]
    assert one["technical_sample"]["failed_ids"] == two["technical_sample"]["failed_ids"]


def test_conforms_only_with_usable_licensed_sources_and_reviewed_samples(tmp_path):
    d = corpus(tmp_path / "d.jsonl", {"a": {"harmful": 1, "clean": 99}, "b": {"clean": 100}})
    prof = small(tmp_path)
    rep = build_corpus_report(d, sources={"a": LICENSED, "b": LICENSED}, profile=prof, with_sample_rows=True)
    ids = [x["id"] for x in rep["_manual_rows"]]
    assert len(ids) == 20 and rep["manual_sample"]["not_reviewed"] == 20 and not rep["conforms"]
    ok = build_corpus_report(d, sources={"a": LICENSED, "b": LICENSED}, profile=prof, manual_verdicts=dict.fromkeys(ids, True))
    assert ok["conforms"] and ok["problems"] == []
    one_fail = {**dict.fromkeys(ids, True), ids[0]: False}  # 19/20 = 95 % < 96 %
    assert not build_corpus_report(d, sources={"a": LICENSED, "b": LICENSED}, profile=prof, manual_verdicts=one_fail)["conforms"]
    unknown = build_corpus_report(d, sources={"a": LICENSED, "b": {"licence": "CC0", "licence_evidence_ok": False}},
                                  profile=prof, manual_verdicts=dict.fromkeys(ids, True))
    assert [p["code"] for p in unknown["problems"]] == ["licence_unknown"] and "b" in unknown["problems"][0]["en"]
    missing = build_corpus_report(d, sources={"a": LICENSED}, profile=prof, manual_verdicts=dict.fromkeys(ids, True))
    assert by_id(missing)["b"]["licence"] == "unknown" and not missing["conforms"]


def test_an_unusable_source_still_in_the_corpus_is_named(tmp_path):
    d = corpus(tmp_path / "d.jsonl", {"bad<src>": {"harmful": 10, "clean": 90}})
    r = build_corpus_report(d, sources={"bad<src>": LICENSED}, profile=small(tmp_path))
    assert any(p["code"] == "unusable_source" and "bad<src>" in p["zh"] for p in r["problems"])


def test_worksheet_round_trip_masks_pi_and_defuses_formulas(tmp_path):
    recs = [{"id": "a:f:1", "source": "a", "text": "=HYPERLINK(\"http://x\") 电话 13812345678", "status": "clean"},
            {"id": "a:f:2", "source": "a", "text": "已脱敏 ***", "redacted": True, "status": "harmful", "risks": ["A1f"]},
            {"id": "a:f:3", "source": "a", "text": None, "status": "unjudged"}]
    path = export_manual_sample(tmp_path / "ws.xlsx", recs)
    assert os.stat(path).st_mode & 0o077 == 0
    wb = load_workbook(path)
    ws = wb["manual-sample"]
    assert ws.protection.sheet and ws["C2"].data_type == "s" and "13812345678" not in ws["C2"].value
    assert ws["C2"].value.startswith("=HYPERLINK") and "发现风险 (A1f)" == ws["D3"].value
    ws["E2"], ws["E3"], ws["F2"] = "合格", "fail", "审核员甲"
    wb.save(path)
    assert import_manual_sample(path, known_ids={"a:f:1", "a:f:2", "a:f:3"}) == {"a:f:1": True, "a:f:2": False}


@pytest.mark.parametrize("edit, where, what", [
    ({"E2": "maybe"}, "manual-sample!2", "unknown verdict"),
    ({"A3": "zz:f:9", "E3": "合格"}, "manual-sample!3", "unknown id"),
    ({"A3": "a:f:1", "E2": "合格", "E3": "合格"}, "manual-sample!3", "duplicate id"),
    ({"B1": "来"}, "manual-sample!1", "unexpected header"),
])
def test_worksheet_bad_rows_name_sheet_and_row(tmp_path, edit, where, what):
    path = export_manual_sample(tmp_path / "ws.xlsx", [{"id": f"a:f:{i}", "source": "a", "text": "x"} for i in (1, 2)])
    wb = load_workbook(path)
    for cell, value in edit.items():
        wb["manual-sample"][cell] = value
    wb.save(path)
    with pytest.raises(CorpusReportError) as e:
        import_manual_sample(path, known_ids={"a:f:1", "a:f:2"})
    assert where in e.value.message("en") and what in e.value.message("en") and "无效" in e.value.message("zh")


def test_write_report_pages_escape_and_pdf_embeds_the_cjk_font(tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "audit"
    out.mkdir()
    corpus(out / "decisions.jsonl", {"<script>alert(1)</script>": {"harmful": 1, "clean": 40}})
    sources = {"<script>alert(1)</script>": {**LICENSED, "licence": "<b>MIT</b>"}}
    r = write_report(out, sources=sources, profile=small(tmp_path), seed=1, langs=("zh", "en"))
    names = {p.name for p in out.iterdir()}
    assert {"report.json", "report.html", "report.pdf", "report.en.html", "report.en.pdf", "manual-sample.xlsx"} <= names
    assert all(os.stat(out / n).st_mode & 0o077 == 0 for n in names - {"decisions.jsonl"})
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["conforms"] is r["conforms"] is False
    for page in ("report.html", "report.en.html"):
        html = (out / page).read_text(encoding="utf-8")
        assert "<script>alert" not in html and "&lt;script&gt;" in html and "<b>MIT" not in html
    assert "训练语料安全评估报告" in (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3  # share per source, licence mix, PI by type (+ reasons)
    pdf = PdfReader(out / "report.pdf")
    assert "训练语料安全评估报告" in "".join(p.extract_text() for p in pdf.pages[:1])
    fonts = []
    for p in pdf.pages:
        for font in p["/Resources"]["/Font"].values():
            font = font.get_object()
            desc = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
            fonts.append((str(font["/BaseFont"]), any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
    assert any("CJK" in name for name, _ in fonts) and all(ok for _, ok in fonts), fonts


def _audit(folder: Path, tmp_path: Path, *, harmful: int = 0, review: bool = True) -> dict:
    """A small audit folder whose report conforms when ``harmful`` is low and ``review`` is true."""
    folder.mkdir(parents=True)
    corpus(folder / "decisions.jsonl", {"a": {"harmful": harmful, "clean": 100 - harmful}})
    r = write_report(folder, sources={"a": LICENSED}, profile=small(tmp_path), pdf=False, langs=("en",))
    if review:
        ids = import_manual_sample_ids(folder)
        r = write_report(folder, sources={"a": LICENSED}, profile=small(tmp_path), pdf=False, langs=("en",),
                         manual_verdicts=dict.fromkeys(ids, True))
    return r


def import_manual_sample_ids(folder: Path) -> set[str]:
    from hegui.corpus.report.write import manual_sample_ids

    return manual_sample_ids(folder)


def test_im7_met_not_met_and_stale(tmp_path):
    from hegui.obligations.corpus import corpus_report_finding
    from hegui.obligations.register import Status

    s = load_settings(None, var_dir=str(tmp_path / "var"), corpus={"max_age_days": 30})
    none = corpus_report_finding(s)
    assert none.status is Status.NOT_MET and "no training-corpus audit report" in none.reason_en
    root = tmp_path / "var" / "corpus-audits"
    _audit(root / "run1", tmp_path, harmful=10)
    bad = corpus_report_finding(s)
    assert bad.status is Status.NOT_MET and "does not conform" in bad.reason_en and " a" in bad.reason_en
    r = _audit(root / "run2", tmp_path, harmful=1)
    assert r["conforms"]
    ok = corpus_report_finding(s)
    assert ok.status is Status.MET and "run2" in ok.reason_en
    later = dt.datetime.fromisoformat(r["generated_at"]) + dt.timedelta(days=31)
    stale = corpus_report_finding(s, now=later)
    assert stale.status is Status.NOT_MET and "stale" in stale.reason_en


def test_dossier_piece_includes_the_newest_report(tmp_path):
    from hegui.filing import PieceStatus, Track
    from hegui.filing.pieces_evidence import corpus_audit
    from tests.filing.helpers import dossier

    d = dossier(tmp_path)
    assert corpus_audit(d, Track.MODEL).status is PieceStatus.MISSING
    _audit(tmp_path / "var" / "corpus-audits" / "run1", tmp_path, harmful=1)
    built = corpus_audit(dossier(tmp_path), Track.MODEL)
    # conforms, but the pages were rendered without a PDF: included and flagged
    assert built.status is PieceStatus.FLAGGED and "report.json" in built.files and "report.pdf" in built.reason_en


def test_cli_review_import_and_render(tmp_path):
    import typer
    from typer.testing import CliRunner

    from hegui.cli.corpus_report import register

    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)
    folder = tmp_path / "audit"
    _audit(folder, tmp_path, harmful=1, review=False)
    ws = folder / "manual-sample.xlsx"
    wb = load_workbook(ws)
    sheet = wb["manual-sample"]
    for n in range(2, sheet.max_row + 1):
        sheet.cell(n, 5).value = "合格"
    wb.save(ws)
    res = CliRunner().invoke(app, ["review", "import", str(folder), str(ws), "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["manual_sample"]["reviewed"] == 20
    res = CliRunner().invoke(app, ["render", str(folder), "--no-pdf"])  # keeps the imported verdicts
    assert res.exit_code == 0, res.output
    sheet.cell(2, 5).value = "perhaps"
    wb.save(ws)
    res = CliRunner().invoke(app, ["review", "import", str(folder), str(ws), "--no-pdf"])
    assert res.exit_code == 2 and "manual-sample!2" in res.output
