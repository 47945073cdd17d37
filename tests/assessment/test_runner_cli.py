"""``hegui assess run`` / ``status`` end to end against the stub endpoint. Judging is
``hegui.assessment.evaluate.finish`` (another part): replaced here by a recorder, so these tests
check the runner's side of the contract — state, exit codes, resume, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.assessment.runner import RunState
from hegui.cli.assess import _redacted, app
from tests.assessment.stub_openai import Stub, free_port, serve


@pytest.fixture
def fake_parts(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A recorder for ``evaluate.finish`` (judging and the report are tested on their own)."""
    calls: dict = {"conforms": True, "finish": 0}
    from hegui.assessment import evaluate

    def finish(state, profile, out_dir, lang="zh", **kw):  # noqa: ANN001, ANN202
        calls["finish"] += 1
        calls["answers"] = len(state.answers())
        return {"conforms": calls["conforms"]}

    monkeypatch.setattr(evaluate, "finish", finish)
    return calls


def write_bank(path: Path, n: int, bank: str = "generated") -> Path:
    path.write_text("".join(json.dumps({"id": f"{bank}-{i}", "prompt": f"ok:{bank}-{i}", "bank": bank,
                                        "risk": "A5a"}) + "\n" for i in range(n)), encoding="utf-8")
    return path


def args(url: str, bank: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "--endpoint", url, "--model", "stub", "--bank", str(bank), "--out", str(out), "--quiet", *extra]


def test_run_exit_codes_and_status(tmp_path: Path, fake_parts: dict):
    bank = write_bank(tmp_path / "gen.jsonl", 12)
    with serve(Stub()) as stub:
        r = CliRunner().invoke(app, args(stub.url, bank, tmp_path / "run", "--api-key", "sk-never-stored"))
        assert r.exit_code == 0, r.output
        assert fake_parts["finish"] == 1 and fake_parts["answers"] == 12
        fake_parts["conforms"] = False
        r = CliRunner().invoke(app, args(stub.url, bank, tmp_path / "run"))
        assert r.exit_code == 1 and sum(stub.hits.values()) == 12  # the rerun asked nothing again
    meta = RunState(tmp_path / "run").open().meta()
    assert meta["sample"]["generated"] == {"n_bank": 12, "n_sampled": 12, "under_size": True, "minimum": 1000}
    assert meta["banks"][0]["items"] == 12 and meta["config"]["auth"] is True
    assert b"sk-never-stored" not in (tmp_path / "run" / "state.sqlite").read_bytes()
    r = CliRunner().invoke(app, ["status", str(tmp_path / "run")])
    assert r.exit_code == 0 and "complete" in r.output and "generated" in r.output


def test_endpoint_down_exits_2_with_resume_hint(tmp_path: Path, fake_parts: dict):
    bank = write_bank(tmp_path / "gen.jsonl", 30)
    url = f"http://127.0.0.1:{free_port()}/v1"
    r = CliRunner().invoke(app, args(url, bank, tmp_path / "run", "--retries", "0"))
    assert r.exit_code == 2 and "resume" in r.output and fake_parts["finish"] == 0
    r = CliRunner().invoke(app, ["status", str(tmp_path / "run")])
    assert "to ask" in r.output


def test_changed_bank_is_refused(tmp_path: Path, fake_parts: dict):
    bank = write_bank(tmp_path / "gen.jsonl", 3)
    with serve(Stub()) as stub:
        assert CliRunner().invoke(app, args(stub.url, bank, tmp_path / "run")).exit_code == 0
        write_bank(bank, 4)
        r = CliRunner().invoke(app, args(stub.url, bank, tmp_path / "run"))
    assert r.exit_code != 0 and "never mixed" in str(r.exception)


def test_api_key_is_redacted_from_the_resume_hint():
    assert _redacted(["hegui", "--api-key", "k1", "--api-key=k2", "--model", "m"]) == [
        "hegui", "--api-key", "***", "--api-key=***", "--model", "m"]
