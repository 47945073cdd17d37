"""What a provenance record costs per request (docs/provenance.md): median and p95 time of chat
(whole and streamed) and image requests through the in-process gateway, with ``provenance.enabled``
on and off, SQLite in a temporary directory, the demo model and the tiny test moderator.

Usage: ``.venv/bin/python bench/provenance/capture.py [--n 50]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _gateway(var: Path, enabled: bool):  # noqa: ANN202
    from fastapi.testclient import TestClient

    from hegui.app import build_services, create_app
    from hegui.bootstrap import bootstrap
    from hegui.identity.sms import LogSmsSender
    from hegui.moderation.simple import TermListModerator
    from hegui.settings import load_settings

    settings = load_settings(None, var_dir=str(var), storage={"url": f"sqlite:///{var}/hegui.db"},
                             provenance={"enabled": enabled})
    services = build_services(settings, moderator=TermListModerator({"forbidden-term": "A1f"}), sms=LogSmsSender())
    services.db.upgrade()
    first = bootstrap(services, demo=True)
    return TestClient(create_app(services=services, migrate=False)), {"Authorization": f"Bearer {first.api_key}"}


def _time(fn, n: int) -> tuple[float, float]:  # noqa: ANN001
    ms = []
    for _ in range(n):
        t = time.perf_counter()
        r = fn()
        ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    ms.sort()
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    n = ap.parse_args().n
    chat = {"model": "hegui-demo-chat", "messages": [{"role": "user", "content": "写一首诗"}], "user": "demo-user"}
    img = {"prompt": "江南水乡", "size": "256x256", "user": "demo-user", "seed": 1, "negative_prompt": "文字"}
    print(f"| request | provenance | median ms | p95 ms |  (n = {n})\n|---|---|---|---|")
    for enabled in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            client, h = _gateway(Path(tmp), enabled)
            with client:
                for name, fn in (("chat", lambda: client.post("/v1/chat/completions", headers=h, json=chat)),
                                 ("chat stream", lambda: client.post("/v1/chat/completions", headers=h,
                                                                     json={**chat, "stream": True})),
                                 ("image 256²", lambda: client.post("/v1/images/generations", headers=h, json=img))):
                    fn()  # warm-up
                    med, p95 = _time(fn, n)
                    print(f"| {name} | {'on' if enabled else 'off'} | {med:.2f} | {p95:.2f} |")


if __name__ == "__main__":
    main()
