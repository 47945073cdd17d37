"""``hegui check`` fits a screen by default; ``--verbose`` keeps the full reasons (issue 13)."""

import json
import re

from typer.testing import CliRunner

from hegui.cli.main import app
from tests.test_cli import _cfg

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(tmp_path, *args, columns="80", **env):
    r = CliRunner().invoke(app, ["check", *args, "-c", str(_cfg(tmp_path))], env={"COLUMNS": columns, **env})
    assert r.exit_code == 0, r.output
    return r.output


def test_compact_fits_a_screen_at_80_columns(tmp_path):
    out = _run(tmp_path, HEGUI_LANG="en")
    lines = out.splitlines()
    assert len(lines) <= 60, len(lines)
    rows = json.loads(_run(tmp_path, "--json"))
    by_id = {ln.split()[0]: ln for ln in lines if ln.split()}
    for row in rows:  # one line per duty, with its status
        assert row["id"] in by_id, row["id"]
        assert {"met": "met", "not_met": "not_met", "not_applicable": "n/a",
                "not_implemented": "not_built"}[row["status"]] in by_id[row["id"]]
    # a long reason is cut to the width, not wrapped
    assert all(len(ANSI.sub("", ln)) <= 80 for ln in lines if not ln.startswith("DEVELOPMENT"))
    assert any(ln.endswith("…") for ln in lines)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("met", "not_met")}
    assert f"met: {counts['met']}" in out and f"not_met: {counts['not_met']}" in out
    assert "--verbose" in out


def test_compact_in_chinese(tmp_path):
    out = _run(tmp_path, "--lang", "zh")
    assert "输入与输出均经" in out and "inputs and outputs" not in out
    assert len(out.splitlines()) <= 60


def test_verbose_keeps_the_full_reasons(tmp_path):
    rows = {r["id"]: r for r in json.loads(_run(tmp_path, "--json"))}
    out = _run(tmp_path, "--verbose", columns="4000")
    flat = " ".join(out.split())
    for k in ("IM-7", "IM-17", "DS-7"):  # the whole reason, both languages, not cut
        assert " ".join(rows[k]["reason_en"].split()) in flat, k
        assert " ".join(rows[k]["reason_zh"].split()) in flat, k
    assert len(out.splitlines()) > 40
