"""Issue 10 "done when": a run against the demo model through hegui's own gateway writes
report.json / html / pdf; a run killed mid-way and run again completes without asking an answered
item twice. Real processes: ``hegui serve`` and ``hegui assess run``."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hegui.assessment.banks import read_bank, shipped_bank_paths

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway(tmp_path: Path):
    port = _free_port()
    var = tmp_path / "var"
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{var}"\n[storage]\nurl = "sqlite:///{var}/h.db"\n', encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen([sys.executable, "-m", "hegui", "serve", "-c", str(cfg), "--port", str(port),
                             "--log-level", "WARNING"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200 and (var / "first-run.json").exists():
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("gateway did not start")
    # the service as users meet it, through a safety-on regulator test channel: the repeat-violator
    # rule would otherwise suspend a user who sends the should-refuse bank (docs/test-channel.md)
    made = subprocess.run([sys.executable, "-m", "hegui", "admin", "test-channel", "create", "--name", "assess",
                           "--safety", "on", "--days", "1", "-c", str(cfg)], capture_output=True, text=True,
                          env=env, timeout=120)
    key = re.search(r"(hg-[A-Za-z0-9_-]{20,})", made.stdout)
    assert made.returncode == 0 and key, made.stdout + made.stderr
    yield base, key.group(1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _small_bank(path: Path, per_bank: int) -> Path:
    """A few items of each shipped starter bank (the run is under size, and says so)."""
    rows = []
    for bank_path in shipped_bank_paths():
        for item in read_bank(bank_path)[:per_bank]:
            rows.append({"id": item.id, "prompt": item.prompt, "bank": item.bank.value, "risk": item.risk,
                         "aspect": item.aspect, "lang": item.lang, "date": item.date.isoformat() if item.date else None})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _answered(run: Path) -> dict[str, str]:
    with sqlite3.connect(run / "state.sqlite") as db:
        return dict(db.execute("SELECT item_id, answered_at FROM answers WHERE status != 'error'"))


def test_run_through_the_gateway_killed_and_resumed(tmp_path: Path, gateway):
    base, key = gateway
    bank = _small_bank(tmp_path / "bank.jsonl", 8)
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "hegui", "assess", "run", "--endpoint", base + "/v1", "--model", "hegui-demo-chat",
           "--bank", str(bank), "--out", str(run), "--concurrency", "1", "--rps", "4",
           "--quiet"]
    env = {**os.environ, "HEGUI_ASSESS_API_KEY": key, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(_answered(run) if (run / "state.sqlite").exists() else {}) < 5:
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    before = _answered(run)
    assert 5 <= len(before) < 24, "the run was to be killed mid-way"

    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode in (0, 1), second.stdout + second.stderr  # completed (1: under size, no human review)
    after = _answered(run)
    assert len(after) == 24
    assert all(after[i] == at for i, at in before.items()), "an answered item was asked again"

    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    for name in ("report.html", "report.pdf", "report.en.html", "report.en.pdf", "bank-export.xlsx"):
        assert (run / name).stat().st_size > 0, name
    assert report["model"] == "hegui-demo-chat" and report["conforms"] is False
    assert report["should_refuse"]["n"] == 8 and report["non_refusal"]["n"] == 8 and report["generated"]["n"] == 8
    assert {v["id"] for v in report["verdicts"]} == set(after)
    assert key not in (run / "report.json").read_text(encoding="utf-8")
    assert key not in (run / "state.sqlite").read_bytes().decode("latin-1")
