"""The demo text-to-speech model ``hegui-demo-tts``: espeak-ng, run locally (no download).

It is a demonstration voice, not a product voice: it lets operators and tests exercise the labelled
speech path end to end (Deep Synthesis Provisions Art 17; GB 45438-2025 §5.3). Chinese runs are
spoken through pypinyin (``Style.TONE3``) and the ``cmn-latn-pinyin`` voice (espeak-ng's ``cmn``
reads tone digits as English words); other text through the ``en`` voice. espeak-ng is called
without a shell, with the text on stdin and a timeout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hegui.errors import HeguiError

__all__ = ["DEMO_TTS_MODEL", "MAX_INPUT_CHARS", "Speech", "SynthesisFailed", "TtsEngineMissing", "synthesize"]

DEMO_TTS_MODEL = "hegui-demo-tts"
MAX_INPUT_CHARS = 4096  # OpenAI's limit for /v1/audio/speech
BASE_WPM = {"en": 175, "cmn-latn-pinyin": 140}  # espeak-ng's default; ≈ 140 characters/min for Mandarin
WPM_RANGE = (80, 450)  # what espeak-ng accepts; speeds beyond are clamped (docs/speech.md)
MAX_RUNS = 64  # language runs spoken separately; the rest joins the last run
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORDY = re.compile(r"[^\W_]")  # a letter or digit of any script: something to speak


class TtsEngineMissing(HeguiError):
    code = "TTS_ENGINE_MISSING"
    http_status = 503
    message_zh = "演示语音模型需要 espeak-ng，但未安装（Debian：apt-get install espeak-ng；或运行 scripts/setup.sh）"
    message_en = "The demo voice model needs espeak-ng, which is not installed (Debian: apt-get install espeak-ng; or run scripts/setup.sh)"


class SynthesisFailed(HeguiError):
    code = "TTS_FAILED"
    http_status = 502
    message_zh = "语音合成失败：{detail}"
    message_en = "Speech synthesis failed: {detail}"


@dataclass(frozen=True, slots=True)
class Speech:
    """Mono PCM in [-1, 1] (float32) and its sample rate."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


def runs(text: str) -> list[tuple[str, str]]:
    """``(voice, text)`` runs: Han characters → pinyin syllables (TONE3) for ``cmn-latn-pinyin``,
    everything else → ``en``. Punctuation and spaces stay with the run they follow."""
    from pypinyin import Style, lazy_pinyin

    out: list[tuple[str, str]] = []
    pos = 0
    for m in _HAN.finditer(text):
        between = text[pos:m.start()]
        if _WORDY.search(between):
            out.append(("en", between))
        elif between.strip() and out:  # punctuation only: a pause in the run before
            out[-1] = (out[-1][0], out[-1][1] + ",")
        syllables = " ".join(lazy_pinyin(m.group(0), style=Style.TONE3, neutral_tone_with_five=True))
        out.append(("cmn-latn-pinyin", syllables))
        pos = m.end()
    if _WORDY.search(text[pos:]):
        out.append(("en", text[pos:]))
    merged: list[tuple[str, str]] = []
    for voice, part in out:
        if merged and (merged[-1][0] == voice or len(merged) >= MAX_RUNS):
            merged[-1] = (merged[-1][0], merged[-1][1] + " " + part)
        else:
            merged.append((voice, part))
    return merged


def synthesize(text: str, *, speed: float = 1.0, timeout: float = 120.0) -> Speech:
    """Speak ``text`` (≤ :data:`MAX_INPUT_CHARS`) with espeak-ng; ``speed`` scales the rate
    (clamped to espeak-ng's 80–450 words/min); ``timeout``: seconds per espeak-ng run."""
    if not isinstance(text, str) or not text.strip():
        raise SynthesisFailed(detail="empty text")
    if len(text) > MAX_INPUT_CHARS:
        raise SynthesisFailed(detail=f"text longer than {MAX_INPUT_CHARS} characters")
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise TtsEngineMissing()
    rate = 22050
    pieces: list[np.ndarray] = []
    with tempfile.TemporaryDirectory(prefix="hegui-tts-") as tmp:
        for i, (voice, part) in enumerate(runs(text)):
            wpm = int(min(max(BASE_WPM[voice] * speed, WPM_RANGE[0]), WPM_RANGE[1]))
            out = Path(tmp) / f"{i}.wav"
            _espeak([exe, "-v", voice, "-s", str(wpm), "-w", str(out), "--stdin"], part, timeout)
            samples, rate_i = _read_wav(out)
            if pieces and rate_i != rate:
                raise SynthesisFailed(detail=f"espeak-ng changed its sample rate ({rate} → {rate_i})")
            rate = rate_i
            pieces.append(samples)
    if not pieces:
        raise SynthesisFailed(detail="nothing to speak")
    return Speech(np.concatenate(pieces).astype(np.float32), rate)


def _espeak(args: list[str], text: str, timeout: float) -> None:
    try:
        proc = subprocess.run(args, input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SynthesisFailed(detail=f"espeak-ng timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise SynthesisFailed(detail=f"espeak-ng could not run: {exc}") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
        raise SynthesisFailed(detail=" | ".join(tail) or f"espeak-ng exit status {proc.returncode}")


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise SynthesisFailed(detail="espeak-ng wrote a non-16-bit WAV")
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
            return pcm.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()
    except (wave.Error, EOFError, OSError) as exc:
        raise SynthesisFailed(detail=f"espeak-ng output unreadable: {exc}") from exc
