"""Bounded decoding of any audio file to mono float PCM with ffmpeg, for the audio watermark detector
(GB 45438-2025 Annex A.2; Labeling Measures Art 6: platforms inspect what they distribute)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from hegui.labeling.errors import LabelFileTooLarge
from hegui.labeling.explicit.errors import MediaUnreadable
from hegui.labeling.explicit.ffmpeg import run, tool

#: the largest input accepted, and how much audio is analysed (the mark is in every second)
MAX_INPUT_BYTES = 256 << 20
MAX_SECONDS = 120.0
MAX_RATE = 48000
TIMEOUT_S = 60.0


def _rate(args: list[str], data: bytes | None) -> int:
    proc = subprocess.run(args, input=data, capture_output=True, timeout=TIMEOUT_S, check=False)
    try:
        streams = json.loads(proc.stdout or b"{}").get("streams", [])
    except ValueError:
        streams = []
    rates = [int(s.get("sample_rate") or 0) for s in streams if s.get("codec_type") == "audio"]
    if proc.returncode != 0 or not rates or rates[0] <= 0:
        raise MediaUnreadable(detail="no decodable audio stream")
    return rates[0]


def decode_audio(source: str | Path | bytes) -> tuple[np.ndarray, int]:
    """(float32 mono samples, sample rate ≤ 48 kHz) of the first audio stream, at most 120 s."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data: bytes | None = bytes(source)
        src = "pipe:0"
        size = len(data)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise MediaUnreadable(detail=f"{path}: {exc.strerror or exc}") from exc
        data, src = None, str(path)
    if size == 0:
        raise MediaUnreadable(detail="empty input")
    if size > MAX_INPUT_BYTES:
        raise LabelFileTooLarge(detail=f"{size} bytes > {MAX_INPUT_BYTES} for the audio watermark check")
    probe = [tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_streams", src]
    try:
        rate = _rate(probe, data)
    except subprocess.TimeoutExpired as exc:
        raise MediaUnreadable(detail=f"ffprobe timed out after {TIMEOUT_S:.0f} s") from exc
    rate = min(rate, MAX_RATE)
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", src, "-map", "0:a:0",
            "-t", str(MAX_SECONDS), "-ac", "1", "-ar", str(rate), "-f", "f32le", "pipe:1"]
    if data is None:
        proc = run(args, timeout=TIMEOUT_S)
    else:
        try:
            proc = subprocess.run(args, input=data, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise MediaUnreadable(detail=f"ffmpeg timed out after {TIMEOUT_S:.0f} s") from exc
        if proc.returncode != 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
            raise MediaUnreadable(detail=" | ".join(tail) or "ffmpeg could not decode the audio")
    pcm = np.frombuffer(proc.stdout, dtype="<f4")
    if pcm.size == 0:
        raise MediaUnreadable(detail="the audio stream decoded to no samples")
    return np.nan_to_num(pcm).astype(np.float32), rate
