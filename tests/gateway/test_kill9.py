"""Nothing acknowledged is lost: kill -9 the gateway under load, then every content ID a client
received must have its usage record (the record is committed before the response is sent)."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kill9_under_load_loses_nothing(tmp_path):
    port = _free_port()
    var = tmp_path / "var"
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{var}"\n[storage]\nurl = "sqlite:///{var}/h.db"\n[moderation]\nengine = "terms"\n',
                   encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "hegui.cli.main", "serve", "-c", str(cfg), "--port", str(port),
                             "--log-level", "WARNING"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200 and (var / "first-run.json").exists():
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("gateway did not start")
        key = json.loads((var / "first-run.json").read_text())["api_key"]
        acked: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def worker(i: int) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as c:
                for n in range(10_000):
                    if stop.is_set():
                        return
                    try:
                        r = c.post("/v1/chat/completions", json={"model": "hegui-demo-chat", "user": "demo-user",
                                                                 "messages": [{"role": "user", "content": f"q{i}-{n}"}]})
                    except httpx.HTTPError:
                        return
                    if r.status_code == 200:
                        with lock:
                            acked.append(r.json()["id"])

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert len(acked) > 20, "load did not get going"
    engine = create_engine(f"sqlite:///{var}/h.db")
    with engine.connect() as conn:
        stored = {row[0] for row in conn.execute(text("SELECT content_id FROM usage_records WHERE status='ok'"))}
    missing = [c for c in acked if c not in stored]
    assert not missing, f"{len(missing)} acknowledged outputs have no record"
