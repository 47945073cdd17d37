"""``hegui filing dossier``: folder, PDF and ZIP with a manifest of hashes; ``--check`` writes nothing."""

from __future__ import annotations

import json
import stat
import zipfile

from typer.testing import CliRunner

from hegui.cli.main import app
from hegui.filing import Track, build, verify, write_zip
from tests.filing.helpers import dossier, write_run


def test_model_dossier_folder_pdf_zip_and_manifest(tmp_path):
    from pypdf import PdfReader

    d = dossier(tmp_path, service={"launch_date": "2026-09-28"})
    write_run(tmp_path / "var")
    out = tmp_path / "out" / "dossier-model"
    manifest = build(d, Track.MODEL, out)
    assert sorted(p.name for p in out.iterdir())[:3] == ["01-application-form", "02-security-assessment", "03-agreement"]
    assert (out / "02-security-assessment" / "report.json").is_file()
    assert (out / "05-keywords" / "keywords.xlsx").is_file() and (out / "07-corpus-audit" / "STATUS.txt").is_file()
    assert verify(out) == [] and not manifest["complete"]
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["filing_clock"]["due_on"] == "2026-10-16" and on_disk["hegui_version"]
    assert {p["id"]: p["status"] for p in on_disk["pieces"]}["corpus-audit"] == "missing"
    assert "sk-" not in (out / "manifest.json").read_text(encoding="utf-8") and len(on_disk["settings_sha256"]) == 64
    pdf = PdfReader(str(out / "dossier.pdf"))
    assert len(pdf.pages) >= 9  # cover + pieces + the appended report (one blank page)
    assert "语料安全评估报告" in pdf.pages[0].extract_text()
    assert stat.S_IMODE((out / "dossier.pdf").stat().st_mode) == 0o600 and stat.S_IMODE(out.stat().st_mode) == 0o700
    # the ZIP: everything plus the manifest, sorted, byte-identical when rebuilt
    zpath = out.with_name(out.name + ".zip")
    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
        assert names == sorted(names) and "dossier-model/manifest.json" in names and "dossier-model/dossier.pdf" in names
    first = zpath.read_bytes()
    assert write_zip(out, tmp_path / "again.zip").read_bytes() == first
    # tampering is seen
    (out / "03-agreement" / "STATUS.txt").write_text("edited", encoding="utf-8")
    assert verify(out) == ["03-agreement/STATUS.txt"]


def test_cli_check_exit_codes_write_nothing_and_status(tmp_path):
    var = tmp_path / "var"
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{var}"\n[service]\nlaunch_date = 2026-09-28\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["filing", "dossier", "--kind", "model", "--check", "--json", "-c", str(cfg)])
    assert r.exit_code == 1, r.output
    data = json.loads(r.output)
    missing = {p["id"] for p in data["pieces"] if p["status"] == "missing"}
    assert {"corpus-audit", "security-assessment", "base-model-filing", "test-banks"} <= missing
    assert data["filing_clock"]["due_on"] == "2026-10-16"
    assert not var.exists()  # --check writes nothing
    r = CliRunner().invoke(app, ["filing", "dossier", "--kind", "registration", "--check", "-c", str(cfg)])
    assert r.exit_code == 1 and "base-model-filing" in r.output
    r = CliRunner().invoke(app, ["filing", "dossier", "--kind", "bogus", "--check", "-c", str(cfg)])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["filing", "status", "--json", "-c", str(cfg)])
    assert json.loads(r.output)["due_on"] == "2026-10-16" and r.exit_code in (0, 1)
