"""The demo voice-cloning model ``hegui-demo-voice-clone`` (DS Provisions Arts 14, 17).

Honest and local, and only a demo: espeak-ng speaks the text (Chinese through pypinyin TONE3 and
the ``cmn-latn-pinyin`` voice, anything else in English), then sox moves it toward the reference
speaker — the median pitch (autocorrelation over voiced frames) by ``pitch``, and the formants by
the ratio of the voiced spectral centroids (``speed`` shifts pitch, formants and tempo together;
``pitch`` and ``tempo`` then undo the pitch and tempo part). It imitates a voice's register, not
its identity; a real cloning model plugs in through the upstream seam (``likeness_api``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from hegui.errors import ValidationFailed
from hegui.synthesis.media_io import decode_audio, read_wav, run, tool, wav_bytes

MODEL = "hegui-demo-voice-clone"
ANALYSIS_RATE = 16_000
MAX_TEXT_CHARS = 2_000
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PITCH_RANGE = (60.0, 400.0)  # Hz: adult and child speech
FORMANT_LIMITS = (0.85, 1.18)  # beyond this the demo's resampling trick sounds broken
PITCH_LIMIT_CENTS = 1200


@dataclass(frozen=True, slots=True)
class VoiceClone:
    """The cloned speech (16-bit mono WAV) and what the transform measured and did."""

    wav: bytes
    rate: int
    reference_pitch_hz: float | None
    synthetic_pitch_hz: float | None
    pitch_cents: float
    formant_factor: float
    voice: str


def _frames(x: np.ndarray, rate: int, win_s: float = 0.04, hop_s: float = 0.01) -> np.ndarray:
    win, hop = int(rate * win_s), int(rate * hop_s)
    if x.size < win:
        return np.zeros((0, win), dtype=np.float32)
    n = 1 + (x.size - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    return x[idx] * np.hanning(win)[None, :]


def voiced_pitches(x: np.ndarray, rate: int = ANALYSIS_RATE) -> np.ndarray:
    """Pitch (Hz) of each voiced frame: the normalised autocorrelation peak in the speech range,
    kept when it is strong (≥ 0.45) and the frame is not near-silent."""
    frames = _frames(x, rate)
    if not frames.size:
        return np.zeros(0)
    energy = (frames ** 2).mean(axis=1)
    loud = energy > max(1e-6, 0.05 * float(np.percentile(energy, 90)))
    frames = frames[loud]
    if not frames.size:
        return np.zeros(0)
    size = 1 << int(math.ceil(math.log2(frames.shape[1] * 2)))
    spec = np.fft.rfft(frames, size, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, size, axis=1)[:, : frames.shape[1]]
    lo, hi = int(rate / PITCH_RANGE[1]), int(rate / PITCH_RANGE[0])
    seg = ac[:, lo:hi] / np.maximum(ac[:, :1], 1e-12)
    lag = seg.argmax(axis=1)
    strength = seg[np.arange(len(seg)), lag]
    return (rate / (lag + lo))[strength >= 0.45]


def median_pitch(x: np.ndarray, rate: int = ANALYSIS_RATE) -> float | None:
    p = voiced_pitches(x, rate)
    return float(np.median(p)) if p.size >= 5 else None


def spectral_centroid(x: np.ndarray, rate: int = ANALYSIS_RATE) -> float | None:
    """Mean spectral centroid (Hz) of the louder frames: a rough proxy for formant height."""
    frames = _frames(x, rate)
    if not frames.size:
        return None
    energy = (frames ** 2).mean(axis=1)
    frames = frames[energy > 0.1 * float(np.percentile(energy, 90))]
    mag = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(frames.shape[1], 1 / rate)
    band = (freqs >= 200) & (freqs <= 5000)
    total = mag[:, band].sum(axis=1)
    ok = total > 0
    if ok.sum() < 5:
        return None
    return float(((mag[:, band] * freqs[band]).sum(axis=1)[ok] / total[ok]).mean())


def espeak_args(text: str, *, female: bool) -> tuple[list[str], str, str]:
    """The espeak-ng command, the voice it uses and what it reads on stdin (never an argument: a
    text starting with '-' is no option)."""
    variant = "+f3" if female else ""
    if _CJK.search(text):
        from pypinyin import Style, lazy_pinyin

        spoken = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
        voice = "cmn-latn-pinyin" + variant
    else:
        spoken, voice = text, "en" + variant
    return [tool("espeak-ng", "espeak-ng"), "-v", voice, "-s", "150", "--stdout", "--stdin"], voice, spoken


def clone(reference: bytes, text: str, *, timeout: float = 60.0) -> VoiceClone:
    """Speak ``text`` in (an approximation of) the reference speaker's register."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(message_en="'text' must be a non-empty string", message_zh="text 不能为空")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationFailed(message_en=f"'text' is longer than {MAX_TEXT_CHARS} characters",
                               message_zh=f"text 超过 {MAX_TEXT_CHARS} 个字符")
    ref = decode_audio(reference, ANALYSIS_RATE, timeout=timeout)
    ref_pitch = median_pitch(ref)
    args, voice, spoken = espeak_args(" ".join(text.split()), female=bool(ref_pitch and ref_pitch >= 165))
    raw = run(args, stdin=spoken.encode(), timeout=timeout)
    synth, rate = read_wav(raw)
    if synth.size == 0:
        raise ValidationFailed(message_en="nothing to say in 'text'", message_zh="text 中没有可朗读的内容")
    analysed = np.interp(np.linspace(0, synth.size - 1, int(synth.size * ANALYSIS_RATE / rate)),
                         np.arange(synth.size), synth).astype(np.float32)
    syn_pitch = median_pitch(analysed)
    ref_c, syn_c = spectral_centroid(ref), spectral_centroid(analysed)
    formant = float(np.clip(ref_c / syn_c, *FORMANT_LIMITS)) if ref_c and syn_c else 1.0
    ratio = ref_pitch / syn_pitch if ref_pitch and syn_pitch else 1.0
    # speed f scales pitch, formants and tempo by f; pitch and tempo then leave only the formants at f
    cents = float(np.clip(1200 * math.log2(ratio / formant), -PITCH_LIMIT_CENTS, PITCH_LIMIT_CENTS))
    effects = ["speed", f"{formant:.4f}", "pitch", f"{cents:.1f}", "tempo", "-s", f"{1 / formant:.4f}",
               "rate", str(rate)]
    out = run([tool("sox", "sox"), "-q", "-t", "wav", "-", "-t", "wav", "-b", "16", "-c", "1", "-", *effects],
              stdin=wav_bytes(synth, rate), timeout=timeout)
    samples, out_rate = read_wav(out)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak > 0.99:  # sox's transforms can overshoot: normalise, never clip
        samples = samples * (0.95 / peak)
    return VoiceClone(wav=wav_bytes(samples, out_rate), rate=out_rate, reference_pitch_hz=ref_pitch,
                      synthetic_pitch_hz=syn_pitch, pitch_cents=cents, formant_factor=formant, voice=voice)
