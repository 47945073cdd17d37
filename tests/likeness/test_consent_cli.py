"""``hegui consent``: grant, list, show, revoke; bad input is a clear zh/en error."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from hegui.cli.main import app


def _cfg(tmp_path) -> str:
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n', encoding="utf-8")
    return str(cfg)


def _run(cfg, *args):
    return CliRunner().invoke(app, ["consent", *args, "-c", cfg], env={"COLUMNS": "240"})


def test_consent_commands(tmp_path):
    cfg = _cfg(tmp_path)
    doc = tmp_path / "signed.pdf"
    doc.write_bytes(b"%PDF signed")
    r = _run(cfg, "grant", "--kind", "voice", "--use", "voice_clone", "--subject", "actor-9", "--name", "王五",
             "--method", "signed_upload", "--document", str(doc), "--valid-until", "2099-01-01")
    assert r.exit_code == 0, r.output
    cid = re.search(r"\b([0-9a-f]{32})\b", r.output).group(1)
    r = _run(cfg, "list", "--json")
    rows = json.loads(r.output)
    assert [x["id"] for x in rows] == [cid] and rows[0]["in_force"] and "王五" not in r.output
    r = _run(cfg, "show", cid, "--reveal-name")
    assert r.exit_code == 0 and "王五" in r.output
    r = _run(cfg, "revoke", cid, "--reason", "withdrawn")
    assert r.exit_code == 0 and "revoked" in r.output
    assert json.loads(_run(cfg, "list", "--json", "--active").output) == []
    r = _run(cfg, "list")
    assert r.exit_code == 0 and cid in r.output and "no 否" in r.output
    r = _run(cfg, "grant", "--kind", "face", "--use", "face_swap", "--subject", "x", "--method", "in_app_confirmation",
             "--confirmation", "t", "--deceased")
    assert r.exit_code != 0 and "Civil Code Art 994" in str(r.exception)
    r = _run(cfg, "show", "nope")
    assert r.exit_code != 0 and "no likeness consent with id nope" in str(r.exception)
