"""Bench: ``POST /v1/hegui/inspect`` on a live ``hegui serve`` (Labeling Measures Art 6) — time per
upload and the server's resident memory while it runs, for uploads up to the 50 MiB cap and one
over it. Prints a table (docs/platform-inspect.md quotes it).

    PYTHONPATH=src python bench/labeling/inspect_upload.py [--keep-going]

Uploads are streamed from files with chunked transfer (no Content-Length), so the cap is enforced
while the body arrives. Memory is sampled from /proc/<pid>/status every 20 ms; "peak Δ" is the
highest resident size during the request minus the size just before it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.gateway.procs import free_port, wait_http  # noqa: E402

MIB = 1 << 20


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _rss_kib(self.pid))
            time.sleep(0.02)


def _media(work: Path) -> list[tuple[str, Path, dict[str, str]]]:
    from hegui.labeling.api import write_label
    from hegui.labeling.label import ImplicitLabel
    from hegui.settings import DEMO_PROVIDER_CODE

    rng = np.random.default_rng(7)
    cases: list[tuple[str, Path, dict[str, str]]] = []
    photo = Image.fromarray((rng.random((30, 40, 3)) * 255).astype("uint8")).resize((4000, 3000), Image.BICUBIC)
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=95)
    labelled = write_label(buf.getvalue(), ImplicitLabel.generated(DEMO_PROVIDER_CODE, "bench-1"))
    (work / "photo.jpg").write_bytes(labelled)
    cases.append(("JPEG 4000×3000, labelled, propagate", work / "photo.jpg", {"propagate": "true"}))
    noise = Image.fromarray((rng.random((3000, 4000, 3)) * 255).astype("uint8"))
    noise.save(work / "noise.png", "PNG", compress_level=1)
    cases.append(("PNG 4000×3000 noise, declared ai, propagate", work / "noise.png",
                  {"declared": "ai", "propagate": "true"}))
    Image.new("RGB", (6000, 5000), (200, 180, 160)).save(work / "canvas.png", "PNG")
    cases.append(("PNG 6000×5000 flat (30 MP, above max_watermark_pixels)", work / "canvas.png", {"declared": "ai"}))
    video = work / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
                    "-t", "20", "-c:v", "mpeg4", "-q:v", "2", str(video)], check=True)
    cases.append(("MP4 720p, declared ai, propagate", video, {"declared": "ai", "propagate": "true"}))
    blob = work / "blob.bin"
    blob.write_bytes(rng.bytes(48 * MIB))
    cases.append(("48 MiB unknown format", blob, {"declared": "unknown"}))
    over = work / "over.bin"
    over.write_bytes(rng.bytes(60 * MIB))
    cases.append(("60 MiB (over the 50 MiB cap)", over, {}))
    return cases


def _multipart(path: Path, fields: dict[str, str], boundary: str = "hgbench"):  # noqa: ANN202
    for k, v in fields.items():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
           f"Content-Type: application/octet-stream\r\n\r\n").encode()
    with path.open("rb") as f:
        while chunk := f.read(256 << 10):
            yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hegui-inspect-bench-") as tmp:
        work = Path(tmp)
        var = work / "var"
        cfg = work / "hegui.toml"
        cfg.write_text(f'var_dir = "{var}"\ndemo_model = true\n[storage]\nurl = "sqlite:///{var}/hegui.db"\n'
                       "[platform]\ntimeout_seconds = 120\n", encoding="utf-8")
        port = free_port()
        log = (work / "server.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-c", "from hegui.cli.main import main; main()", "serve", "-c",
                                 str(cfg), "--port", str(port), "--demo"], stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        try:
            first = var / "first-run.json"
            deadline = time.monotonic() + 120
            while not first.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("hegui did not start:\n" + (work / "server.log").read_text()[-2000:])
                time.sleep(0.2)
            key = json.loads(first.read_text())["api_key"]
            headers = {"Authorization": f"Bearer {key}"}
            wait_http(f"http://127.0.0.1:{port}/v1/models", 120, proc, headers)
            cases = _media(work)
            rows = []
            with httpx.Client(timeout=300) as client:
                for name, path, fields in cases:
                    before = _rss_kib(proc.pid)
                    sampler = Sampler(proc.pid)
                    sampler.start()
                    t0 = time.perf_counter()
                    r = client.post(f"http://127.0.0.1:{port}/v1/hegui/inspect", content=_multipart(path, fields),
                                    headers={**headers, "content-type": "multipart/form-data; boundary=hgbench"})
                    dt = time.perf_counter() - t0
                    sampler.stop.set()
                    sampler.join()
                    body = r.json()
                    result = body.get("class") or body.get("error", {}).get("code")
                    rows.append((name, path.stat().st_size / MIB, r.status_code, result,
                                 bool(body.get("propagated")), dt, before / 1024, (sampler.peak - before) / 1024))
        finally:
            proc.terminate()
            proc.wait(10)
    print("| upload | MiB | HTTP | class / error | propagated | s | RSS before MiB | peak Δ MiB |")
    print("|---|---:|---:|---|---|---:|---:|---:|")
    for name, mib, status, result, prop, dt, before, delta in rows:
        print(f"| {name} | {mib:.1f} | {status} | {result} | {'yes' if prop else 'no'} | {dt:.2f} | "
              f"{before:.0f} | {delta:.0f} |")


if __name__ == "__main__":
    main()
