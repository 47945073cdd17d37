"""Regenerate ``ai-signed.jpg``: a 48×32 JPEG with an embedded C2PA manifest declaring
``trainedAlgorithmicMedia``, signed offline by a self-made test CA (certificates valid ten years
from the day it was made). Run from the repository root:
``PYTHONPATH=src python tests/data/c2pa/make_sample.py``."""

from pathlib import Path

from tests.labeling.c2pa_sign import sign_ai_image
from tests.labeling.media import image

if __name__ == "__main__":
    out = Path(__file__).with_name("ai-signed.jpg")
    out.write_bytes(sign_ai_image(image("JPEG"), days=3650))
    print(out, out.stat().st_size)
