"""Explicit label on audio (GB 45438-2025 §5.3): the rhythm cue "short-long short-short"
(Morse ·− ·· = "AI") and/or a spoken Mandarin notice, at the start and/or end.

The standard fixes no tone frequency, element length or level; the values in ``policy.yaml`` are
hegui's documented choices (see ``docs/labeling-explicit-watermark.md``).
"""

from __future__ import annotations

import enum
import shutil
import tempfile
import wave
from pathlib import Path

import numpy as np

from hegui.labeling.explicit.atomic import temp_output
from hegui.labeling.explicit.config import AudioPolicy, ExplicitPolicy, default_policy
from hegui.labeling.explicit.errors import MediaUnsupported, ToolMissing
from hegui.labeling.explicit.carry import carry_implicit
from hegui.labeling.explicit.ffmpeg import (
    AUDIO_CODECS,
    DEFAULT_LAYOUTS,
    input_args,
    MOV_FAMILY,
    SOURCE_AUDIO_CODECS,
    Probe,
    muxer_for,
    probe,
    run,
    tool,
)

#: ·− ·· : (is_long, gap after) — letter gap after the dash
RHYTHM = ((False, "gap"), (True, "letter"), (False, "gap"), (False, "end"))


class AudioWhere(str, enum.Enum):
    START = "start"
    END = "end"
    BOTH = "both"


class AudioMode(str, enum.Enum):
    RHYTHM = "rhythm"
    SPOKEN = "spoken"
    BOTH = "both"


def rhythm_cue(sample_rate: int, policy: AudioPolicy) -> np.ndarray:
    """Mono float32 samples of the cue (tone bursts with raised-cosine ramps) plus trailing pad."""
    amp = 10 ** (policy.level_dbfs / 20)
    ramp = max(1, int(sample_rate * policy.ramp_ms / 1000))
    parts: list[np.ndarray] = []
    for is_long, after in RHYTHM:
        n = int(sample_rate * (policy.dash_ms if is_long else policy.dot_ms) / 1000)
        t = np.arange(n, dtype=np.float64) / sample_rate
        tone = amp * np.sin(2 * np.pi * policy.tone_hz * t)
        env = np.ones(n)
        r = min(ramp, n // 2)
        env[:r] = 0.5 - 0.5 * np.cos(np.pi * np.arange(r) / r)
        env[n - r:] = env[:r][::-1]
        parts.append(tone * env)
        gap = {"gap": policy.gap_ms, "letter": policy.letter_gap_ms, "end": policy.pad_ms}[after]
        parts.append(np.zeros(int(sample_rate * gap / 1000)))
    return np.concatenate(parts).astype(np.float32)


def spoken_label(sample_rate: int, policy: AudioPolicy, workdir: Path) -> np.ndarray:
    """Mandarin TTS of ``policy.spoken_text`` via espeak-ng (voice cmn-latn-pinyin, pypinyin TONE3)."""
    from pypinyin import Style, lazy_pinyin

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise ToolMissing(tool="espeak-ng", package="espeak-ng")
    syllables = " ".join(lazy_pinyin(policy.spoken_text, style=Style.TONE3, neutral_tone_with_five=True))
    out = workdir / "spoken.wav"
    # -s 140: syllables per minute ≈ characters per minute (normal speed, reference: 120–160/min)
    run([exe, "-v", "cmn-latn-pinyin", "-s", "140", "-w", str(out), syllables], timeout=60, what="espeak-ng")
    samples, rate = _read_wav(out)
    mono = samples.mean(axis=1)
    if rate != sample_rate:  # linear resampling is enough for speech at these rates
        x = np.linspace(0, len(mono) - 1, int(len(mono) * sample_rate / rate))
        mono = np.interp(x, np.arange(len(mono)), mono)
    peak = float(np.max(np.abs(mono))) or 1.0
    pad = np.zeros(int(sample_rate * policy.pad_ms / 1000))
    return np.concatenate([mono / peak * 10 ** (policy.level_dbfs / 20), pad]).astype(np.float32)


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise MediaUnsupported(detail="only 16-bit PCM WAV is handled natively")
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return frames.reshape(-1, w.getnchannels()), w.getframerate()


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def _cue(rate: int, channels: int, mode: AudioMode, policy: AudioPolicy, workdir: Path) -> np.ndarray:
    parts = []
    if mode in (AudioMode.RHYTHM, AudioMode.BOTH):
        parts.append(rhythm_cue(rate, policy))
    if mode in (AudioMode.SPOKEN, AudioMode.BOTH):
        parts.append(spoken_label(rate, policy, workdir))
    mono = np.concatenate(parts)
    return np.repeat(mono[:, None], channels, axis=1)


def label_audio(src: Path, dst: Path, *, where: AudioWhere = AudioWhere.START, mode: AudioMode = AudioMode.RHYTHM,
                policy: ExplicitPolicy | None = None) -> Path:
    """Write ``dst`` = cue + ``src`` (and/or ``src`` + cue). 16-bit WAV natively, others via ffmpeg."""
    ap = (policy or default_policy()).audio
    with tempfile.TemporaryDirectory(prefix="hegui-audio-") as tmp:
        work = Path(tmp)
        if _is_pcm16_wav(src):
            samples, rate = _read_wav(src)
            cue = _cue(rate, samples.shape[1], mode, ap, work)
            pieces = ([cue] if where != AudioWhere.END else []) + [samples] + \
                     ([cue] if where != AudioWhere.START else [])
            with temp_output(dst) as out:
                _write_wav(out, np.concatenate(pieces), rate)
                carry_implicit(src, out)
            return dst
        info = probe(src, timeout=ap.timeout_seconds)
        if info.has_video or not info.has_audio:
            raise MediaUnsupported(detail=f"{src.name} is not an audio-only file")
        rate, channels = info.sample_rate or 48000, max(1, min(info.channels or 1, 8))
        cue_path = work / "cue.wav"
        _write_wav(cue_path, _cue(rate, channels, mode, ap, work), rate)
        order = (["c"] if where != AudioWhere.END else []) + ["s"] + (["c"] if where != AudioWhere.START else [])
        with temp_output(dst) as out:
            run(_ffmpeg_args(src, cue_path, out, order, info, muxer_for(dst, src), same=src.suffix.lower()
                             == dst.suffix.lower()), timeout=ap.timeout_seconds)
            carry_implicit(src, out)
    return dst


def _ffmpeg_args(src: Path, cue: Path, out: Path, order: list[str], info: Probe, muxer: str, *,
                 same: bool) -> list[str]:
    """ffmpeg command that joins cue and content. Every input is resampled to one rate, sample
    format and *named* channel layout before ``concat`` (mixed layouts such as the cue's guessed
    "stereo" against a pan "2c" made ffmpeg fail with "Error reinitializing filters"); the output
    keeps the source's codec and sample format where the container allows."""
    rate = info.sample_rate or 48000
    layout = info.channel_layout or DEFAULT_LAYOUTS.get(max(1, min(info.channels or 1, 8)), "stereo")
    inputs, labels = [], []
    for i, kind in enumerate(order):
        inputs += input_args(cue if kind == "c" else src)
        labels.append(f"[{i}:a:0]aresample={rate},aformat=sample_fmts=fltp:sample_rates={rate}:"
                      f"channel_layouts={layout}[a{i}]")
    tail = f",aformat=sample_fmts={info.sample_fmt}" if info.sample_fmt.isalnum() else ""
    graph = ";".join(labels) + ";" + "".join(f"[a{i}]" for i in range(len(order))) + \
        f"concat=n={len(order)}:v=0:a=1{tail}[out]"
    s_idx = order.index("s")
    codec = SOURCE_AUDIO_CODECS.get(info.codec) if same else None
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *inputs,
            "-filter_complex", graph, "-map", "[out]", "-map_metadata", str(s_idx),
            "-map_metadata:s:a:0", f"{s_idx}:s:a:0",  # Ogg/FLAC comments live on the stream
            *(codec or AUDIO_CODECS.get(muxer, ["-c:a", "flac"]))]
    if muxer in MOV_FAMILY:
        args += ["-movflags", "+use_metadata_tags"]
    return args + ["-f", muxer, str(out)]


def _is_pcm16_wav(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as w:
            return w.getsampwidth() == 2 and w.getcomptype() == "NONE"
    except (wave.Error, EOFError, OSError):
        return False
