"""Shared setup for the filing tests: settings, a synthetic assessment run, an operator pack."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from hegui.filing import Dossier
from hegui.obligations.filing import filing_clock
from hegui.settings import load_settings

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FILED_UPSTREAM = {"name": "up1", "base_url": "https://api.example.com/v1", "models": ["m"], "base_model": "M-1",
                  "base_model_provider": "某模型公司", "base_model_filing_number": "Beijing-M-1"}


def settings(tmp_path: Path, **overrides):
    return load_settings(None, var_dir=str(tmp_path / "var"), storage={"url": f"sqlite:///{tmp_path}/h.db"}, **overrides)


def dossier(tmp_path: Path, **overrides) -> Dossier:
    s = settings(tmp_path, **overrides)
    return Dossier(s, filing_clock(s, NOW.date()), now=NOW)


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def write_run(var: Path, *, conforms: bool = True, pdf: bool = True) -> Path:
    """A synthetic assessment run under ``<var>/assessments/run1`` (report.json, pages, bank-export.xlsx)."""
    from hegui.assessment.report.write import write_outputs
    from tests.assessment.report_fixtures import meta, synthetic
    from hegui.assessment.profiles import load_profile
    from hegui.assessment.report import build_report

    kw = {} if conforms else {"gen_fail": 300}
    items, answers, verdicts = synthetic(**kw)
    report = build_report(meta(), load_profile("gbt45654-2025"), items, answers, verdicts, bank_check={"ok": True, "gaps": []})
    assert report["conforms"] is conforms
    run = var / "assessments" / "run1"
    write_outputs(report, run, items=items, answers=answers, langs=("zh",), pdf=False)
    if pdf:
        (run / "report.pdf").write_bytes(blank_pdf())
    return run


def operator_pack(root: Path, terms: list[str]) -> Path:
    pack = root / "op-pack"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text('format: 1\nid: op-test\nversion: "1"\nname_zh: 测试\nname_en: test\n'
                                    'languages: [zh]\nrisks: [A3a]\nterms: ["*.tsv"]\n', encoding="utf-8")
    (pack / "terms.tsv").write_text("".join(f"{t}\tA3a\t2\n" for t in terms), encoding="utf-8")
    return pack
