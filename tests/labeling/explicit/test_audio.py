"""Audio explicit label (GB 45438-2025 §5.3): short-long short-short rhythm cue and spoken notice."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from hegui.labeling.explicit import (
    AudioWhere,
    apply_explicit,
    default_policy,
    probe,
    rhythm_cue,
)

from .conftest import ffmpeg, needs_ffmpeg

RATE = 16000


def _bursts(x: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(start ms, length ms) of tone bursts in a mono signal."""
    on = np.abs(x) > 0.02
    frame = rate // 1000
    env = on[: len(on) // frame * frame].reshape(-1, frame).any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], env.astype(int), [0]])))
    return [(float(a), float(b - a)) for a, b in zip(edges[::2], edges[1::2])]


def _write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())


def _read_wav(path: Path) -> tuple[np.ndarray, int, int]:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return data, w.getframerate(), w.getnchannels()


def test_rhythm_is_short_long_short_short() -> None:
    p = default_policy().audio
    bursts = _bursts(rhythm_cue(RATE, p), RATE)
    lengths = [round(b[1]) for b in bursts]
    assert len(lengths) == 4
    short, long_ = p.dot_ms, p.dash_ms
    assert [abs(x - y) <= 12 for x, y in zip(lengths, [short, long_, short, short])] == [True] * 4
    assert lengths[1] >= 2 * lengths[0]  # clearly long vs short
    cue = rhythm_cue(RATE, p)
    assert np.max(np.abs(cue)) == pytest.approx(10 ** (p.level_dbfs / 20), rel=0.01)
    spectrum = np.abs(np.fft.rfft(cue))
    assert abs(np.argmax(spectrum) * RATE / len(cue) - p.tone_hz) < 20


@pytest.mark.parametrize("where", list(AudioWhere))
def test_wav_gets_the_cue_at_start_and_or_end(tmp_path: Path, where: AudioWhere) -> None:
    src = tmp_path / "voice.wav"
    content = np.zeros(RATE * 2, dtype=np.float32)  # 2 s of silence: any burst is the cue
    _write_wav(src, content)
    before = src.read_bytes()
    out = apply_explicit(src, tmp_path / "out.wav", position=where.value)
    data, rate, _ = _read_wav(out)
    cue_len = len(rhythm_cue(RATE, default_policy().audio))
    assert rate == RATE and len(data) == len(content) + cue_len * (2 if where == AudioWhere.BOTH else 1)
    bursts = _bursts(data, RATE)
    assert len(bursts) == (8 if where == AudioWhere.BOTH else 4)
    if where == AudioWhere.END:
        assert bursts[0][0] > 1900
    else:
        assert bursts[0][0] < 5
    assert src.read_bytes() == before


@needs_ffmpeg
def test_mp3_via_ffmpeg_keeps_format(tmp_path: Path) -> None:
    src = tmp_path / "in.mp3"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "2", "-c:a", "libmp3lame", str(src))
    out = apply_explicit(src, tmp_path / "out.mp3", position="both")
    info = probe(out)
    assert info.format_name == "mp3" and info.channels == 2 and info.sample_rate == 44100
    assert info.duration > 2 + 2 * len(rhythm_cue(1000, default_policy().audio)) / 1000 - 0.2


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_spoken_label(tmp_path: Path) -> None:
    src = tmp_path / "in.wav"
    _write_wav(src, np.zeros(RATE, dtype=np.float32))
    out = apply_explicit(src, tmp_path / "out.wav", audio_mode="spoken")
    data, _, _ = _read_wav(out)
    speech = data[: len(data) - RATE]
    assert len(speech) > RATE  # "本内容由人工智能生成" takes well over a second at normal speed
    assert np.abs(speech).max() > 0.1
