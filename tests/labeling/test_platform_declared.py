"""`hegui label inspect --declared` takes the values of POST /v1/hegui/inspect (Labeling Measures
Art 6 (2), (4)): ai, human, not_ai (= human), unknown (= no declaration)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hegui.cli.label import app


def test_cli_declared_takes_the_api_values(tmp_path):
    from tests.labeling.media import image

    f = tmp_path / "plain.png"
    f.write_bytes(image("PNG"))
    got = {}
    for value in ("ai", "human", "not_ai", "unknown"):
        r = CliRunner().invoke(app, ["inspect", "--json", "--no-watermark", "--declared", value, str(f)])
        assert r.exit_code == 0, r.output
        row = json.loads(r.output.strip().splitlines()[-1])
        got[value] = (row["class"], row["declared"])
    assert got == {"ai": ("possible", "ai"), "human": ("none", "human"), "not_ai": ("none", "human"),
                   "unknown": ("none", None)}
