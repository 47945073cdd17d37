"""Video labels together (GB 45438-2025 §5.4 g, §6): with the shipped policy the explicit label
covers at least the first 2 s, and the implicit label written before the explicit one is still in
the MP4 afterwards (ffmpeg keeps custom tags only with ``-movflags use_metadata_tags``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from hegui.labeling import ImplicitLabel, inspect, read_label_file, write_label_file
from hegui.labeling.explicit import apply_explicit, default_policy

from .conftest import needs_ffmpeg

pytestmark = needs_ffmpeg

LABEL = ImplicitLabel.generated("001191110000MA0000000H1DEMO", "hgc-" + "5" * 32)


def _frame(path: Path, t: float) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", str(t), "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True, timeout=30).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(240, 320)


def test_the_shipped_policy_shows_the_label_for_at_least_two_seconds(video3s: Path, tmp_path: Path) -> None:
    vp = default_policy().video
    assert vp.min_seconds >= 2.0 and vp.opening_seconds >= vp.min_seconds
    out = apply_explicit(video3s, tmp_path / "out.mp4")
    for t in (0.0, 1.0, 1.9):
        assert (_frame(out, t)[-40:, -100:] < 200).mean() > 0.2, f"no label at {t} s"


def test_the_implicit_label_survives_the_explicit_one_in_mp4(video3s: Path, tmp_path: Path) -> None:
    labelled = write_label_file(video3s, LABEL, dst=tmp_path / "implicit.mp4")
    out = apply_explicit(labelled, tmp_path / "both.mp4")
    found = read_label_file(out)
    assert found.label == LABEL and found.carrier == "mp4"
    tags = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags=AIGC", "-of", "csv=p=0", str(out)],
                          capture_output=True, text=True, check=True, timeout=30).stdout
    assert LABEL.ProduceID in tags  # a plain ffmpeg reader sees it too
    assert inspect(out).klass == "confirmed"
