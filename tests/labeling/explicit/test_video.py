"""Video explicit label (GB 45438-2025 §5.4): opening ≥ 2 s, ≥ 5 % glyphs, audio kept, via ffmpeg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hegui.labeling.explicit import ToolMissing, apply_explicit, default_policy, probe
from hegui.labeling.explicit.config import ExplicitPolicy

from .conftest import needs_ffmpeg

pytestmark = needs_ffmpeg


def _frame(path: Path, t: float) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", str(t), "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True, timeout=30).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(240, 320)


def _policy(opening: float, ending: float = 0.0) -> ExplicitPolicy:
    data = default_policy().model_dump()
    data["video"].update(opening_seconds=opening, ending_seconds=ending)
    return ExplicitPolicy.model_validate(data)


def test_label_on_opening_frames_audio_copied(video3s: Path, tmp_path: Path) -> None:
    out = apply_explicit(video3s, tmp_path / "out.mp4", policy=_policy(2.0))
    info = probe(out)
    assert info.has_audio and info.has_video and (info.width, info.height) == (320, 240)
    assert abs(info.duration - 3.0) < 0.3
    dark = lambda f: (f[-40:, -100:] < 200).mean()
    assert dark(_frame(out, 0.0)) > 0.2 and dark(_frame(out, 1.8)) > 0.2
    assert dark(_frame(out, 2.6)) < 0.01  # only the opening (≥ 2 s) in this policy
    audio = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=codec_name",
                            "-of", "csv=p=0", str(out)], capture_output=True, text=True, check=True).stdout.strip()
    assert audio == "aac"


def test_optional_end_label(video3s: Path, tmp_path: Path) -> None:
    out = apply_explicit(video3s, tmp_path / "out.mp4", policy=_policy(2.0, ending=0.5))
    assert (_frame(out, 2.8)[-40:, -100:] < 200).mean() > 0.2


def test_policy_refuses_an_opening_shorter_than_two_seconds() -> None:
    with pytest.raises(ValueError):
        _policy(1.5)


def test_missing_ffmpeg_is_a_clear_error(video3s: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing) as exc:
        apply_explicit(video3s, tmp_path / "out.mp4")
    assert "apt-get install ffmpeg" in exc.value.message("en")
    assert not (tmp_path / "out.mp4").exists()


def test_truncated_video(video3s: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(video3s.read_bytes()[:2000])
    with pytest.raises(Exception) as exc:
        apply_explicit(bad, tmp_path / "out.mp4")
    assert getattr(exc.value, "code", "").startswith("LABEL_")
    assert not (tmp_path / "out.mp4").exists()
