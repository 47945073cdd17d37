"""``hegui likeness register|list|remove|match`` (Deep Synthesis Provisions Art 14)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hegui.cli.main import app

PORTRAIT = Path(__file__).resolve().parents[1] / "data" / "likeness" / "astronaut_collins.jpg"


def test_register_list_match_remove(tmp_path: Path) -> None:
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n', encoding="utf-8")
    run = CliRunner().invoke
    env = {"COLUMNS": "200"}
    r = run(app, ["likeness", "register", "face", str(PORTRAIT), "--label", "Eileen Collins", "--holder", "NASA",
                  "-c", str(cfg)], env=env)
    assert r.exit_code == 0, r.output
    r = run(app, ["likeness", "list", "--json", "-c", str(cfg)], env=env)
    rows = json.loads(r.output)
    assert [(x["kind"], x["label"], x["active"]) for x in rows] == [("face", "Eileen Collins", True)]
    r = run(app, ["likeness", "match", "face", str(PORTRAIT), "-c", str(cfg)], env=env)
    assert r.exit_code == 1 and rows[0]["id"] in r.output
    r = run(app, ["likeness", "match", "face", str(cfg), "-c", str(cfg)], env=env)  # not an image
    assert r.exit_code == 2 and "LIKENESS_INPUT_UNREADABLE" in r.output
    assert run(app, ["likeness", "remove", rows[0]["id"], "-c", str(cfg)], env=env).exit_code == 0
    r = run(app, ["likeness", "match", "face", str(PORTRAIT), "-c", str(cfg)], env=env)
    assert r.exit_code == 0 and "no match" in r.output
