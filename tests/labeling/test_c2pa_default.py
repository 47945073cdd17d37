"""C2PA by default (issue 14; Labeling Measures Art 6 (3)): c2pa-python is a core dependency, so a
default install's inspector reads manifests — no extra, no skip. The sample in tests/data/c2pa is a
tiny JPEG signed offline by a self-made test CA (``tests/data/c2pa/make_sample.py``)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from hegui.cli.label import app
from hegui.labeling import inspect

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "c2pa" / "ai-signed.jpg"
AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].lower()


def test_c2pa_python_is_a_core_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    core = [r for r in project["dependencies"] if _name(r) == "c2pa-python"]
    assert core and ">=" in core[0] and "<" in core[0], "c2pa-python must be pinned in [project].dependencies"
    import c2pa  # a default install has it: no importorskip here

    assert c2pa.Reader


def test_cli_reports_the_shipped_manifest():
    r = CliRunner().invoke(app, ["inspect", "--json", "--no-watermark", str(SAMPLE)])
    assert r.exit_code == 0, r.output
    row = json.loads(r.output.strip().splitlines()[-1])
    assert row["c2pa"]["presence"] == "embedded" and row["c2pa"]["ai"] is True
    assert AI in row["c2pa"]["digital_source_types"]
    assert row["class"] == "suspected" and any("C2PA" in e for e in row["evidence"])


def test_unavailable_reader_is_a_warning_not_a_silent_none(monkeypatch):
    from hegui.labeling import inspector
    from hegui.labeling.c2pa_reader import C2paFinding

    monkeypatch.setattr(inspector, "read_c2pa",
                        lambda *a, **k: C2paFinding(presence="unavailable", error="c2pa-python is not installed"))
    r = inspect(SAMPLE, check_watermark=False)
    assert r.c2pa["presence"] == "unavailable" and any("c2pa (unavailable)" in w for w in r.warnings)

