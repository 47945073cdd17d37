"""The demo likeness models (docs/likeness.md): time per request and how close the cloned voice's
median pitch lands to the reference's.

Usage: ``.venv/bin/python bench/likeness/demo_models.py [--repeat 3]``

References are espeak-ng voices made here (en and en+f3 at pitch settings 10–90), so the table
measures the pitch transform only — the demo imitates a register, not an identity (no speaker
embedding is involved). Face swap: scikit-image's ``astronaut.png`` (NASA portrait of Eileen Collins,
public domain) into its mirror image scaled to 1024², when scikit-image is installed; otherwise a
synthetic 1024×768 scene with skin-coloured ellipses.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from hegui.synthesis import face, voice
from hegui.synthesis.media_io import decode_audio

TEXT = "这是一段用于测量的演示语音，不代表任何真实的人。"


def _ref(variant: str, pitch: int) -> bytes:
    return subprocess.run(["espeak-ng", "-v", variant, "-p", str(pitch), "--stdout",
                           "A reference voice, recorded for this measurement only."],
                          capture_output=True, check=True).stdout


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _faces() -> tuple[bytes, bytes, str]:
    try:
        import skimage
    except ImportError:
        rng = np.random.default_rng(0)
        scenes = []
        for skin in ((224, 172, 140), (198, 134, 100)):
            im = Image.fromarray((rng.random((768, 1024, 3)) * 60 + 40).astype(np.uint8))
            ImageDraw.Draw(im).ellipse((400, 200, 620, 500), fill=skin)
            scenes.append(_png(im))
        return scenes[0], scenes[1], "synthetic 1024×768"
    path = Path(skimage.__file__).parent / "data" / "astronaut.png"
    target = ImageOps.mirror(Image.open(path).convert("RGB")).resize((1024, 1024))
    return path.read_bytes(), _png(target), "astronaut.png → mirrored 1024²"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("| reference voice | ref median F0 (Hz) | clone median F0 (Hz) | error (cents) | formant factor | s/request |")
    print("|---|---|---|---|---|---|")
    errors = []
    for variant in ("en", "en+f3"):
        for pitch in (10, 50, 90):
            ref = _ref(variant, pitch)
            best, out = float("inf"), None
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                out = voice.clone(ref, TEXT)
                best = min(best, time.perf_counter() - t0)
            got = voice.median_pitch(decode_audio(out.wav))
            err = 1200 * np.log2(got / out.reference_pitch_hz) if got and out.reference_pitch_hz else float("nan")
            errors.append(abs(err))
            print(f"| {variant} -p {pitch} | {out.reference_pitch_hz or 0:.1f} | {got or 0:.1f} | {err:+.0f} | "
                  f"{out.formant_factor:.3f} | {best:.2f} |")
    print(f"\nmedian |error| {np.nanmedian(errors):.0f} cents over {len(errors)} references")
    src, dst, what = _faces()
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = face.swap(src, dst)
        best = min(best, time.perf_counter() - t0)
    print(f"\nface swap ({what}): {best:.2f} s/request (detector on the target: {r.detector})")


if __name__ == "__main__":
    main()
