"""The gateway's audio-labeling hook (Labeling Measures Art 4; Deep Synthesis Provisions Art 17;
GB 45438-2025 §5.3, §6, Annex E).

Every generated audio gets, in this order: the explicit label at its start (the rhythm cue
"short-long short-short", optionally followed by the spoken notice), an optional inaudible watermark
(an :class:`AudioWatermarker`, keyed by the content ID), the encoding to the requested format with
ffmpeg (bounded time), and the implicit Annex E label in the file's metadata (ID3 ``TXXX:AIGC`` for
mp3, a RIFF ``AIGC`` chunk for wav, a Vorbis comment for flac and Ogg Opus), read back to check it.
"""

from __future__ import annotations

import tempfile
import wave
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from hegui.errors import LabelError
from hegui.labeling.explicit.audio import rhythm_cue, spoken_label
from hegui.labeling.explicit.audio_cue import decode_mono
from hegui.labeling.explicit.config import ExplicitPolicy, default_policy
from hegui.labeling.explicit.ffmpeg import input_args, run, tool
from hegui.labeling.gateway_image import implicit_fields

__all__ = ["AUDIO_FORMATS", "AudioWatermarker", "CueMode", "decode_mono", "explicit_cue", "label_generated_audio",
           "labelled_seconds"]

CueMode = Literal["rhythm", "both"]

#: format → (media type, file extension, ffmpeg encoder and muxer args)
AUDIO_FORMATS: dict[str, tuple[str, str, list[str]]] = {
    "mp3": ("audio/mpeg", ".mp3", ["-c:a", "libmp3lame", "-q:a", "4", "-id3v2_version", "3", "-f", "mp3"]),
    "wav": ("audio/wav", ".wav", ["-c:a", "pcm_s16le", "-f", "wav"]),
    "flac": ("audio/flac", ".flac", ["-c:a", "flac", "-f", "flac"]),
    "opus": ("audio/ogg", ".opus", ["-c:a", "libopus", "-b:a", "64k", "-ar", "48000", "-f", "ogg"]),
}
MAX_SECONDS = 30 * 60  # a longer generated audio is refused rather than encoded for ever
_CHUNK = 1 << 20


class AudioWatermarker(Protocol):
    """An inaudible watermark over mono PCM (``hegui.labeling.watermark.audio`` provides one)."""

    def embed(self, samples: np.ndarray, sample_rate: int, content_id: str) -> np.ndarray: ...


def explicit_cue(sample_rate: int, mode: CueMode = "rhythm", policy: ExplicitPolicy | None = None) -> np.ndarray:
    """The §5.3 explicit label put before the content: the rhythm cue, and for ``both`` the spoken
    notice ("本内容由人工智能生成") after it (mono float32, read-only; made once per rate and mode)."""
    if mode not in ("rhythm", "both"):
        raise LabelError(detail=f"unknown audio cue mode {mode!r} (rhythm or both)")
    return _cue(sample_rate, mode, policy or default_policy())


@lru_cache(maxsize=16)
def _cue(sample_rate: int, mode: str, policy: ExplicitPolicy) -> np.ndarray:
    ap = policy.audio
    parts = [rhythm_cue(sample_rate, ap)]
    if mode == "both":
        with tempfile.TemporaryDirectory(prefix="hegui-cue-") as tmp:
            parts.append(spoken_label(sample_rate, ap, Path(tmp)))
    cue = np.concatenate(parts).astype(np.float32)
    cue.setflags(write=False)
    return cue


def labelled_seconds(samples: np.ndarray, sample_rate: int, mode: CueMode = "rhythm",
                     policy: ExplicitPolicy | None = None) -> float:
    """Length in seconds of the labelled output (cue + content), without building it."""
    return (len(explicit_cue(sample_rate, mode, policy)) + len(samples)) / sample_rate


def label_generated_audio(samples: np.ndarray, sample_rate: int, fmt: str, *, content_id: str, producer_code: str,
                          watermark: AudioWatermarker | None = None, mode: CueMode = "rhythm",
                          policy: ExplicitPolicy | None = None) -> bytes:
    """Explicit cue at the start + optional watermark + encoding + implicit label; the file's bytes."""
    if not content_id or not producer_code:
        raise LabelError(detail="content_id and producer_code are required")
    if fmt not in AUDIO_FORMATS:
        raise LabelError(detail=f"audio format {fmt!r} is not one of {', '.join(AUDIO_FORMATS)}")
    if not 8000 <= sample_rate <= 192000:
        raise LabelError(detail=f"sample rate {sample_rate} outside 8000–192000 Hz")
    pcm = np.asarray(samples, dtype=np.float32)
    if pcm.ndim != 1 or pcm.size == 0:
        raise LabelError(detail="expected non-empty mono samples")
    if pcm.size / sample_rate > MAX_SECONDS:
        raise LabelError(detail=f"audio longer than {MAX_SECONDS} s")
    pcm = np.nan_to_num(pcm, nan=0.0, posinf=0.0, neginf=0.0)
    pol = policy or default_policy()
    out = np.concatenate([explicit_cue(sample_rate, mode, pol), pcm])
    if watermark is not None:
        out = np.asarray(watermark.embed(out, sample_rate, content_id), dtype=np.float32)
        if out.ndim != 1 or out.size == 0:
            raise LabelError(detail="the audio watermarker returned no mono samples")
    data = _encode(np.clip(out, -1.0, 1.0), sample_rate, fmt, pol.audio.timeout_seconds)
    return _write_implicit(data, fmt, implicit_fields(content_id=content_id, producer_code=producer_code))


def _encode(pcm: np.ndarray, rate: int, fmt: str, timeout: float) -> bytes:
    with tempfile.TemporaryDirectory(prefix="hegui-audio-") as tmp:
        src = Path(tmp) / "in.wav"
        with wave.open(str(src), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            for i in range(0, len(pcm), _CHUNK):  # chunked: no full-length integer copy in memory
                w.writeframes(np.round(pcm[i:i + _CHUNK] * 32767).astype("<i2").tobytes())
        if fmt == "wav":
            return src.read_bytes()
        dst = Path(tmp) / ("out" + AUDIO_FORMATS[fmt][1])
        run([tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *input_args(src),
             "-map_metadata", "-1", *AUDIO_FORMATS[fmt][2], str(dst)], timeout=min(timeout, 300), what="ffmpeg")
        return dst.read_bytes()


def _write_implicit(data: bytes, fmt: str, fields: dict[str, str]) -> bytes:
    from hegui.labeling import write_label
    from hegui.labeling.label import ImplicitLabel

    out: bytes = write_label(data, ImplicitLabel(**fields), filename="generated" + AUDIO_FORMATS[fmt][1])
    return out
