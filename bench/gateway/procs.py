"""Start, pin and stop the processes of the gateway benchmark (all on 127.0.0.1).

CPU layout on the 2-core machine: the system under test (hegui or LiteLLM) gets CPU 0 to itself;
the fast upstream, the load generator and the benchmark's own PostgreSQL share CPU 1. Every
process started here is stopped by :meth:`Procs.close` (also on Ctrl-C / errors).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SUT_CPU = 0  # system under test
AUX_CPU = 1  # upstream, load generator, PostgreSQL


def cpus(which: int) -> set[int]:
    """The CPU set for a role; all CPUs when the machine has fewer than two."""
    available = os.sched_getaffinity(0)
    return {which} if which in available and len(available) >= 2 else set(available)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None,
              headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            req = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status < 500:
                    return
        except Exception as exc:  # noqa: BLE001
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s: {last}")


_TICK = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of every live process in process group ``pgid`` (all threads)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                rest = f.read().rsplit(b") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(rest[2]) == pgid:
            total += int(rest[11]) + int(rest[12])
    return total / _TICK


class Procs:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.cleanups: list = []

    def spawn(self, name: str, argv: list[str], *, cpu: int, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115
        mask = cpus(cpu)
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                env={**os.environ, **(env or {})}, start_new_session=True,
                                preexec_fn=lambda: os.sched_setaffinity(0, mask))  # noqa: PLW1509 (no threads here)
        self.children.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 10) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # its own session: uvicorn workers included
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.children = [(n, p) for n, p in self.children if p is not proc]

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def close(self) -> None:
        for _, proc in reversed(self.children):
            self.stop(proc)
        for fn in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                fn()
        self.cleanups.clear()

    # -- the pieces -----------------------------------------------------------------------------
    def upstream(self, chunk_chars: int = 50) -> tuple[int, subprocess.Popen]:
        port = free_port()
        proc = self.spawn("upstream", [sys.executable, str(HERE / "upstream.py"), str(port), str(chunk_chars)],
                          cpu=AUX_CPU)
        wait_http(f"http://127.0.0.1:{port}/v1/models", 15, proc)
        return port, proc

    def hegui(self, tag: str, storage_url: str, upstream_port: int, engine: str,
              src: Path | None = None) -> tuple[int, str, subprocess.Popen]:
        """Start ``hegui serve`` with the demo bootstrap (verified ``demo-user`` + API key).

        ``src``: a directory holding the ``hegui`` package to run instead of the installed one
        (e.g. a snapshot of git HEAD, or a copy with a proposed fix), put first on PYTHONPATH."""
        var = self.workdir / f"hegui-{tag}" / "var"
        var.mkdir(parents=True, exist_ok=True)
        cfg = self.workdir / f"hegui-{tag}.toml"
        moderation = f'[moderation]\nengine = "{engine}"\n'
        cfg.write_text(f'var_dir = "{var}"\ndemo_model = true\n[storage]\nurl = "{storage_url}"\n{moderation}'
                       f'[[upstreams]]\nname = "fast"\nbase_url = "http://127.0.0.1:{upstream_port}/v1"\n'
                       f'models = ["fast-model"]\n', encoding="utf-8")
        port = free_port()
        argv = [sys.executable, "-c", "from hegui.cli.main import main; main()",
                "serve", "-c", str(cfg), "--port", str(port), "--demo"]
        env = {"PYTHONPATH": str(src)} if src else {}
        proc = self.spawn(f"hegui-{tag}", argv, cpu=SUT_CPU, env=env)
        try:
            deadline = time.monotonic() + 90
            first = var / "first-run.json"
            while not first.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("hegui did not bootstrap")
                time.sleep(0.2)
            key = json.loads(first.read_text())["api_key"]
            wait_http(f"http://127.0.0.1:{port}/v1/models", 90, proc, {"Authorization": f"Bearer {key}"})
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- hegui log ---\n{self.log_tail(f'hegui-{tag}')}") from exc
        return port, key, proc

    def litellm(self, venv: Path, upstream_port: int) -> tuple[int, str, subprocess.Popen]:
        """LiteLLM's proxy (its own venv), one uvicorn worker, a master key, no database, no network."""
        master_key = "sk-bench-" + secrets.token_hex(16)
        cfg = self.workdir / "litellm.yaml"
        cfg.write_text("model_list:\n  - model_name: fast-model\n    litellm_params:\n"
                       "      model: openai/fast-model\n"
                       f"      api_base: http://127.0.0.1:{upstream_port}/v1\n      api_key: bench\n"
                       "litellm_settings:\n  telemetry: false\n  drop_params: true\n", encoding="utf-8")
        port = free_port()
        env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_MASTER_KEY": master_key, "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False",
               "NO_PROXY": "*", "DISABLE_ADMIN_UI": "True", "DATABASE_URL": "", "STORE_MODEL_IN_DB": "False"}
        env = {k: v for k, v in env.items() if v} | {"PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
        argv = [str(venv / "bin" / "litellm"), "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port),
                "--num_workers", "1"]
        proc = self.spawn("litellm", argv, cpu=SUT_CPU, env=env)
        try:
            wait_http(f"http://127.0.0.1:{port}/health/liveliness", 180, proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- litellm log ---\n{self.log_tail('litellm')}") from exc
        return port, master_key, proc

    def postgres(self) -> str | None:
        """A throw-away PostgreSQL server for the benchmark (own port and directory), pinned to the
        auxiliary CPU; returns a URL of a fresh database, or None when PostgreSQL is not installed."""
        script = ROOT / "scripts" / "pg_test_server.sh"
        if not script.exists() or not shutil.which("bash"):
            return None
        port = free_port()
        pgdir = self.workdir / "pg"
        env = {**os.environ, "HEGUI_PG_PORT": str(port), "HEGUI_PG_DIR": str(pgdir)}
        if os.geteuid() == 0:
            self.workdir.chmod(0o755)
        done = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True, env=env, check=False,
                              preexec_fn=lambda: os.sched_setaffinity(0, cpus(AUX_CPU)))
        if done.returncode != 0:
            print(f"PostgreSQL not available: {done.stderr.strip()[:300]}", file=sys.stderr)
            return None
        self.cleanups.append(lambda: subprocess.run(["bash", str(script), "stop"], env=env, check=False,
                                                    capture_output=True, timeout=60))
        admin = done.stdout.strip().splitlines()[-1]
        import psycopg

        with psycopg.connect(admin.replace("postgresql://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute("CREATE DATABASE hegui_bench")
        return admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/hegui_bench"
