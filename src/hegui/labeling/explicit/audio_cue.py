"""Finding the explicit audio label (GB 45438-2025 §5.3): the rhythm cue "short-long short-short"
at the start of a file, as :func:`hegui.labeling.explicit.audio.rhythm_cue` writes it.

The file's opening seconds are decoded with ffmpeg (bounded time, mono, fixed rate); the tone band
around the policy's ``tone_hz`` is demodulated into an envelope (1 ms hop), and a matched filter (the
normalised correlation of that envelope with the cue's on/off template) is searched over the first
``search_seconds``. A match needs both a high correlation and a tone that dominates the signal
while it sounds, so speech or music at 1 kHz does not pass for the cue.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hegui.labeling.explicit.audio import RHYTHM
from hegui.labeling.explicit.config import AudioPolicy, default_policy
from hegui.labeling.explicit.errors import MediaUnreadable, ToolFailed
from hegui.labeling.explicit.ffmpeg import SAFE_DEMUXERS, run, tool

__all__ = ["CueFinding", "decode_mono", "detect_rhythm_cue", "find_cue"]

RATE = 16000  # analysis rate: the 1 kHz tone is well inside it
HOP = 16  # 1 ms envelope frames at RATE
MIN_CORRELATION = 0.8  # matched-filter threshold (normalised correlation of envelope and template)
MIN_PURITY = 0.5  # share of the signal's energy in the tone band while the cue sounds
DEMUXERS = SAFE_DEMUXERS  # what decode_mono opens (plain media containers only)


@dataclass(frozen=True, slots=True)
class CueFinding:
    found: bool
    start_seconds: float | None
    correlation: float
    purity: float
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "start_seconds": self.start_seconds, "correlation": round(self.correlation, 3),
                "purity": round(self.purity, 3), "reason": self.reason}


def decode_mono(source: bytes | Path, *, rate: int | None = None, seconds: float | None = None,
                timeout: float = 60, max_bytes: int = 256 * 1024 * 1024) -> tuple[np.ndarray, int]:
    """Decode any audio ffmpeg reads to mono float32 PCM (``rate``: resample; ``seconds``: only the
    opening). Bytes go through a temporary file (some containers need seeking)."""
    if isinstance(source, (bytes, bytearray)):
        if len(source) > max_bytes:
            raise MediaUnreadable(detail=f"audio larger than {max_bytes} bytes")
        with tempfile.TemporaryDirectory(prefix="hegui-decode-") as tmp:
            path = Path(tmp) / "in.bin"
            path.write_bytes(bytes(source))
            return decode_mono(path, rate=rate, seconds=seconds, timeout=timeout, max_bytes=max_bytes)
    out_rate = rate or _probe_rate(source, timeout)
    # attacker-controlled input: local files only, and only plain audio/video demuxers (an HLS or
    # concat "file" could otherwise make ffmpeg read other files or URLs)
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file",
            "-format_whitelist", DEMUXERS, "-i", "file:" + str(Path(source).resolve()), "-map", "0:a:0", "-vn",
            *(["-t", f"{seconds:.3f}"] if seconds else []), "-ac", "1", "-ar", str(out_rate), "-f", "f32le", "pipe:1"]
    try:
        proc = run(args, timeout=timeout, what="ffmpeg")
    except ToolFailed as exc:
        raise MediaUnreadable(detail=exc.message("en")[:300]) from exc
    pcm = np.frombuffer(proc.stdout[: len(proc.stdout) // 4 * 4], dtype="<f4").astype(np.float32)
    if pcm.size == 0:
        raise MediaUnreadable(detail="no audio samples decoded")
    return pcm, out_rate


def _probe_rate(path: Path, timeout: float) -> int:
    """The first audio stream's sample rate (same input restrictions as the decode)."""
    args = [tool("ffprobe"), "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS,
            "-select_streams", "a:0", "-show_entries", "stream=sample_rate", "-of", "csv=p=0",
            "file:" + str(Path(path).resolve())]
    try:
        out = run(args, timeout=timeout, what="ffprobe").stdout.decode("ascii", "replace").strip()
    except ToolFailed as exc:
        raise MediaUnreadable(detail=exc.message("en")[:300]) from exc
    if not out.split(",")[0].isdigit():
        raise MediaUnreadable(detail="no audio stream")
    return max(8000, min(int(out.split(",")[0]), 192000))


def template(policy: AudioPolicy) -> np.ndarray:
    """The cue's on/off envelope at 1 ms frames, from the first tone's start to the last one's end."""
    parts: list[np.ndarray] = []
    for i, (is_long, after) in enumerate(RHYTHM):
        parts.append(np.ones(policy.dash_ms if is_long else policy.dot_ms))
        if i < len(RHYTHM) - 1:
            parts.append(np.zeros(policy.letter_gap_ms if after == "letter" else policy.gap_ms))
    return np.concatenate(parts).astype(np.float64)


def find_cue(samples: np.ndarray, rate: int, *, policy: AudioPolicy | None = None,
             search_seconds: float = 1.0) -> CueFinding:
    """Search the cue starting within the first ``search_seconds`` of ``samples`` (mono)."""
    ap = policy or default_policy().audio
    if rate != RATE:
        x = np.linspace(0, len(samples) - 1, max(1, int(len(samples) * RATE / rate)))
        samples = np.interp(x, np.arange(len(samples)), samples)
    x = np.asarray(samples, dtype=np.float64)
    tpl = template(ap)
    frames = len(x) // HOP
    if frames < len(tpl):
        return CueFinding(False, None, 0.0, 0.0, "audio shorter than the cue")
    t = np.arange(frames * HOP) / RATE
    base = x[: frames * HOP] * np.exp(-2j * np.pi * ap.tone_hz * t)
    # 10 ms boxcar, then 1 ms frames: the tone band (±~100 Hz) and the whole signal's energy
    k = np.ones(160) / 160
    tone = np.abs(np.convolve(base, k, mode="same"))[::HOP][:frames] * 2
    total = np.sqrt(np.convolve(x[: frames * HOP] ** 2, k, mode="same"))[::HOP][:frames] * np.sqrt(2)
    n, lags = len(tpl), min(frames - len(tpl), int(search_seconds * 1000)) + 1
    tz = tpl - tpl.mean()
    windows = np.lib.stride_tricks.sliding_window_view(tone, n)[:lags]
    wz = windows - windows.mean(axis=1, keepdims=True)
    denom = np.linalg.norm(wz, axis=1) * np.linalg.norm(tz)
    corr = np.where(denom > 0, wz @ tz / np.where(denom > 0, denom, 1), 0.0)
    lag = int(np.argmax(corr))
    on = tpl > 0
    seg_tone, seg_total = tone[lag:lag + n][on], total[lag:lag + n][on]
    purity = float(np.sum(seg_tone ** 2) / max(np.sum(seg_total ** 2), 1e-12))
    c = float(corr[lag])
    found = c >= MIN_CORRELATION and purity >= MIN_PURITY and float(np.median(seg_tone)) > 1e-3
    why = "" if found else (f"correlation {c:.2f} < {MIN_CORRELATION}" if c < MIN_CORRELATION
                             else f"tone purity {purity:.2f} < {MIN_PURITY}" if purity < MIN_PURITY else "cue too faint")
    return CueFinding(found, lag / 1000 if found else None, c, min(purity, 1.0), why)


def detect_rhythm_cue(source: bytes | Path, *, policy: AudioPolicy | None = None, search_seconds: float = 1.0,
                      timeout: float = 60) -> CueFinding:
    """Decode the opening of ``source`` (bounded) and look for the §5.3 rhythm cue at its start."""
    ap = policy or default_policy().audio
    span = search_seconds + template(ap).size / 1000 + 0.5
    samples, rate = decode_mono(source, rate=RATE, seconds=span, timeout=min(timeout, ap.timeout_seconds))
    return find_cue(samples, rate, policy=ap, search_seconds=search_seconds)
