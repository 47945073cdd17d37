"""The shipped deployment files (deploy/, docs/deployment.md) and the production seams they rely on.

No Docker daemon is available where the suite runs, so the Dockerfile is checked by reading it:
its instructions, and that it installs exactly the run-time Debian packages of scripts/setup.sh."""

from __future__ import annotations

import configparser
import re
import shlex
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bash_array(name: str) -> list[str]:
    m = re.search(rf"^{name}=\(([^)]*)\)", (ROOT / "scripts/setup.sh").read_text(), re.M)
    assert m, f"{name} not in scripts/setup.sh"
    return m.group(1).split()


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "deploy/Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile_installs_the_runtime_packages_of_the_setup_script():
    runtime = _bash_array("RUNTIME_DEB_PACKAGES")
    assert set(runtime) <= set(_bash_array("TEST_DEB_PACKAGES") + runtime)
    runs = [rest for op, rest in _instructions() if op == "RUN" and "apt-get install" in rest]
    assert len(runs) == 1
    words = shlex.split(runs[0].split("apt-get install", 1)[1].split("&&")[0])
    assert [w for w in words if not w.startswith("-")] == runtime


def test_every_tool_the_gateway_calls_comes_from_a_runtime_package():
    runtime = set(_bash_array("RUNTIME_DEB_PACKAGES"))
    named = set()
    for path in (ROOT / "src/hegui").rglob("*.py"):
        named |= set(re.findall(r'package="([^"]+)"', path.read_text(encoding="utf-8")))
        if 'if name.startswith("ff") else name' in path.read_text(encoding="utf-8"):
            named.add("ffmpeg")
    assert named and named <= runtime, named - runtime


def test_dockerfile_instructions():
    ins = _instructions()
    ops = dict(ins)
    assert ins[0] == ("FROM", "python:3.11-slim")
    user = [rest for op, rest in ins if op == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert any(op == "RUN" and "pip install --no-cache-dir ." in rest for op, rest in ins)
    assert "/healthz" in ops["HEALTHCHECK"] and ops["EXPOSE"] == "8000"
    assert ops["ENTRYPOINT"] == '["hegui", "serve", "--no-demo"]'
    for op, rest in ins:  # everything copied exists and is let through .dockerignore
        if op == "COPY":
            for src in rest.split()[:-1]:
                assert (ROOT / src).exists(), src
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") + 1:][:4] == ["!pyproject.toml", "!README.md", "!LICENSE", "!src/"]


def test_systemd_unit_is_hardened():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "deploy/systemd/hegui.service")
    svc = unit["Service"]
    assert svc["User"] == "hegui" and svc["NoNewPrivileges"] == "yes" and svc["ProtectSystem"] == "strict"
    assert svc["PrivateTmp"] == "yes" and svc["Restart"] == "on-failure" and svc["UMask"] == "0077"
    assert svc["ReadWritePaths"] == svc["WorkingDirectory"] == "/var/lib/hegui"
    assert "serve --no-demo" in svc["ExecStart"] and svc["CapabilityBoundingSet"] == ""


def test_nginx_example_streams_and_replaces_forwarded_for():
    conf = (ROOT / "deploy/nginx/hegui.conf").read_text()
    for line in ("proxy_buffering off;", "proxy_set_header X-Forwarded-For $remote_addr;", "listen 443 ssl;",
                 "proxy_read_timeout 300s;"):
        assert line in conf
    assert "$proxy_add_x_forwarded_for" not in conf


def test_sms_sender_seam(tmp_path, monkeypatch):
    from hegui.errors import ConfigError
    from hegui.identity.errors import SmsSenderUnavailable
    from hegui.identity.sms import LogSmsSender, NoSmsSender, build_sms_sender
    from hegui.settings import load_settings

    def settings(**kw):
        return load_settings(None, var_dir=str(tmp_path), **kw)

    assert isinstance(build_sms_sender(settings()), LogSmsSender)
    off = build_sms_sender(settings(demo_model=False))
    assert isinstance(off, NoSmsSender)
    with pytest.raises(SmsSenderUnavailable) as err:
        off.send_code("13800138000", "123456")
    assert err.value.http_status == 503
    mod = tmp_path / "carrier_sms.py"
    mod.write_text("class Sender:\n    def __init__(self, s): self.sent = []\n"
                   "    def send_code(self, phone, code): self.sent.append(phone)\n"
                   "def make(settings): return Sender(settings)\n"
                   "def dev(settings):\n    from hegui.identity.sms import LogSmsSender\n    return LogSmsSender()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    real = build_sms_sender(settings(demo_model=False, identity={"sms_sender": "carrier_sms:make"}))
    assert type(real).__name__ == "Sender"
    with pytest.raises(ConfigError):
        build_sms_sender(settings(demo_model=False, identity={"sms_sender": "carrier_sms:dev"}))
    with pytest.raises(ConfigError):
        build_sms_sender(settings(identity={"sms_sender": "carrier_sms:missing"}))


def test_processes_starting_at_once_share_one_secret_key(tmp_path):
    from hegui.identity.crypto import load_or_create_secret

    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(load_or_create_secret("", tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and (tmp_path / "secret.key").read_bytes().strip() == keys[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.key"]
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
