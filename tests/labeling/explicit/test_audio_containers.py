"""Audible explicit label (GB 45438-2025 §5.3) on FLAC, Ogg Vorbis/Opus and M4A (AAC): the cue is
there, the output decodes in its own codec, the source is untouched and the implicit label the source
carried survives the re-encode (Measures Art 5; GB 45438 §6.1)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from hegui.labeling.api import read_label_file, write_label_file
from hegui.labeling.explicit import apply_explicit, default_policy, probe, rhythm_cue
from tests.labeling.media import label

from .conftest import ffmpeg, needs_ffmpeg

CASES = {  # file name: (encoder args, codec ffprobe must report afterwards)
    "a.flac": (["-c:a", "flac", "-sample_fmt", "s16"], "flac"),
    "b.flac": (["-c:a", "flac", "-sample_fmt", "s32"], "flac"),  # 24-bit FLAC
    "a.ogg": (["-c:a", "libvorbis"], "vorbis"),
    "b.ogg": (["-c:a", "libopus"], "opus"),  # Opus in a .ogg file stays Opus
    "a.opus": (["-c:a", "libopus"], "opus"),
    "a.m4a": (["-c:a", "aac"], "aac"),
    "a.wav": (["-c:a", "pcm_s16le"], "pcm_s16le"),  # the native (numpy) path
}


def _bursts(path: Path, tmp: Path) -> list[tuple[float, float]]:
    """(start ms, length ms) of tone bursts after decoding to 16 kHz mono."""
    wav = tmp / f"{path.name}.dec.wav"
    ffmpeg("-i", str(path), "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(wav))
    with wave.open(str(wav), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    env = (np.abs(x[: len(x) // 16 * 16]) > 0.02).reshape(-1, 16).any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], env.astype(int), [0]])))
    return [(float(a), float(b - a)) for a, b in zip(edges[::2], edges[1::2])]


@needs_ffmpeg
@pytest.mark.parametrize("name", sorted(CASES))
def test_audio_container_gets_cue_and_keeps_codec_and_implicit_label(tmp_path: Path, name: str) -> None:
    args, codec = CASES[name]
    raw = tmp_path / f"raw-{name}"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "2", *args, str(raw))
    src = tmp_path / name
    write_label_file(raw, label("audio-src-1"), dst=src)
    before = src.read_bytes()

    out = apply_explicit(src, tmp_path / f"out-{name}", position="start")

    assert src.read_bytes() == before
    info = probe(out)
    cue_s = len(rhythm_cue(1000, default_policy().audio)) / 1000
    assert info.channels == 2 and info.duration == pytest.approx(2 + cue_s, abs=0.15)
    streams = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                              "stream=codec_name", "-of", "csv=p=0", str(out)],
                             capture_output=True, check=True, text=True).stdout.split()
    assert streams == [codec]
    subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", str(out), "-f", "null", "-"], check=True)
    bursts = _bursts(out, tmp_path)
    assert len(bursts) == 4 and bursts[0][0] < 40, bursts  # short-long short-short at the start
    r = read_label_file(out)
    assert r.label == label("audio-src-1") and r.verdict == "compliant", r.to_dict()
