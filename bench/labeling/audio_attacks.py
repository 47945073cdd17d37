"""Attacks on marked audio for ``audio_watermark.py``: codecs, resampling, tempo and speed changes
through the ``ffmpeg`` program (pipes, nothing on disk), added noise and trims in numpy."""

from __future__ import annotations

import io
import subprocess
import wave

import numpy as np

ATTACKS = ("none", "mp3_64k", "mp3_32k", "opus_32k", "rs_44k", "rs_16k", "rs_8k", "atempo1.1", "atempo0.9",
           "speed1.1", "speed0.9", "noise20dB", "trim10%")
_FF = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"]


def to_wav(x: np.ndarray, sr: int) -> bytes:
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return b.getvalue()


def ff(x: np.ndarray, sr: int, args: list[str], *, out_sr: int | None = None,
       fmt: str | None = None) -> tuple[np.ndarray, int]:
    """WAV → ffmpeg → float32 mono at ``out_sr``; with ``fmt`` the audio is encoded (``args``) then decoded."""
    out_sr = out_sr or sr
    src = to_wav(x, sr)
    if fmt:
        src = subprocess.run([*_FF, "-i", "pipe:0", *args, "-f", fmt, "pipe:1"], input=src,
                             capture_output=True, check=True, timeout=120).stdout
        args = []
    out = subprocess.run([*_FF, "-i", "pipe:0", *args, "-ac", "1", "-ar", str(out_sr), "-f", "f32le", "pipe:1"],
                         input=src, capture_output=True, check=True, timeout=120).stdout
    return np.frombuffer(out, dtype="<f4").copy(), out_sr


def attack(x: np.ndarray, sr: int, name: str, rng: np.random.Generator | None = None) -> tuple[np.ndarray, int]:
    if name == "none":
        return x, sr
    if name in ("mp3_64k", "mp3_32k"):
        return ff(x, sr, ["-c:a", "libmp3lame", "-b:a", name[4:]], fmt="mp3")
    if name == "opus_32k":
        return ff(x, sr, ["-c:a", "libopus", "-b:a", "32k"], fmt="ogg")
    if name == "rs_44k":  # up to 44.1 kHz and back
        y, _ = ff(x, sr, [], out_sr=44100)
        return ff(y, 44100, [], out_sr=sr)
    if name == "rs_16k":
        return ff(x, sr, [], out_sr=16000)
    if name == "rs_8k":
        return ff(x, sr, [], out_sr=8000)
    if name.startswith("atempo"):  # tempo change, pitch kept (WSOLA)
        return ff(x, sr, ["-af", f"atempo={name[6:]}"])
    if name.startswith("speed"):  # speed change with pitch (tape-style), back at the same rate
        f = float(name[5:])
        return ff(x, sr, ["-af", f"asetrate={int(round(sr * f))},aresample={sr}"])
    if name == "noise20dB":
        rng = rng or np.random.default_rng(0)
        p = float(np.mean(x.astype(np.float64) ** 2))
        return (x + rng.normal(0, np.sqrt(p / 100), len(x))).astype(np.float32), sr
    if name == "trim10%":
        return x[len(x) // 10:], sr
    raise ValueError(f"unknown attack {name}")
