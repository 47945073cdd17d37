"""Speech clips for the audio watermark benchmark and tests, synthesised offline with espeak-ng.

Nothing is downloaded: English and Mandarin (pinyin with tone numbers, voice ``cmn-latn-pinyin``)
sentences are spoken with varied voices, speeds and pitches, and cut to 3–10 s. espeak-ng writes
22.05 kHz 16-bit mono WAV.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EN_TEXTS = (
    "The quick brown fox jumps over the lazy dog while the committee reviews the annual budget report.",
    "Please remember to bring your passport, your boarding pass and a warm jacket for the night flight.",
    "Scientists announced on Tuesday that the new telescope had captured images of a distant galaxy.",
    "If the weather holds, we will walk along the river to the old mill and have lunch by the water.",
    "Your order has been shipped and should arrive within three to five business days.",
    "The library closes at nine tonight, but the reading room on the second floor stays open until ten.",
    "Turn left at the second traffic light, then continue straight for about two hundred meters.",
    "Music has the power to bring people together across languages, cultures and generations.",
    "Thank you for calling customer service. All of our agents are currently busy helping other callers.",
    "The recipe calls for two cups of flour, one egg, a pinch of salt and a little warm milk.",
    "After years of careful restoration, the cathedral reopened to visitors early this spring.",
    "Good morning everyone, today we will discuss the results of the quarterly sales review.",
    "A gentle breeze moved through the tall grass as the sun slowly disappeared behind the hills.",
    "The train to the airport departs from platform four every fifteen minutes during the day.",
    "Learning a new language takes patience, practice and a genuine curiosity about other people.",
)
ZH_TEXTS = (
    "今天天气很好，我们一起去公园散步吧。",
    "请在会议开始之前把报告发给所有的同事。",
    "这家餐厅的饺子非常好吃，价格也很合理。",
    "火车将在十分钟后到达北京南站，请做好下车准备。",
    "图书馆周末开放到晚上九点，欢迎大家前来阅读。",
    "人工智能技术正在改变我们的工作和生活方式。",
    "明天上午十点，我们在三楼的会议室见面。",
    "感谢您的耐心等待，您的订单已经发货了。",
    "春天来了，公园里的花都开了，非常漂亮。",
    "学习一门新的语言需要时间、耐心和大量的练习。",
)
EN_VOICES = ("en+m1", "en+m2", "en+m3", "en+m4", "en+m5", "en+m6", "en+m7",
             "en+f1", "en+f2", "en+f3", "en+f4", "en+f5", "en-us", "en-us+f3")


@dataclass(frozen=True, slots=True)
class Clip:
    name: str
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as w:
        rate, ch = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return (pcm.reshape(-1, ch).mean(axis=1) if ch > 1 else pcm), rate


def _pinyin(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return " ".join(s for s in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True) if s.strip())


def speak(text: str, voice: str, speed: int, pitch: int) -> tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out), text],
                       check=True, capture_output=True, timeout=60)
        return read_wav(out.read_bytes())


def _trim(x: np.ndarray, rate: int, max_s: float) -> np.ndarray:
    nz = np.flatnonzero(np.abs(x) > 1e-3)
    if len(nz):
        x = x[max(0, nz[0] - rate // 10):nz[-1] + rate // 10]
    return x[: int(max_s * rate)]


def clips(n: int, *, seed: int = 0, min_s: float = 3.0, max_s: float = 10.0) -> list[Clip]:
    """``n`` deterministic clips (about one in three Mandarin); sentences are joined until ``min_s``."""
    rng = np.random.default_rng(seed)
    out: list[Clip] = []
    i = 0
    while len(out) < n:
        zh = i % 3 == 2
        texts = ZH_TEXTS if zh else EN_TEXTS
        voice = "cmn-latn-pinyin" if zh else EN_VOICES[int(rng.integers(len(EN_VOICES)))]
        speed, pitch = int(rng.integers(130, 200)), int(rng.integers(25, 75))
        parts, total, rate = [], 0.0, 22050
        for j in range(4):
            t = texts[int(rng.integers(len(texts)))]
            x, rate = speak(_pinyin(t) if zh else t, voice, speed, pitch)
            parts.append(x)
            total += len(x) / rate
            if total >= min_s + j:
                break
        x = _trim(np.concatenate(parts), rate, max_s)
        i += 1
        if len(x) / rate >= min_s:
            out.append(Clip(f"{i:03d}-{voice}-s{speed}-p{pitch}", x.astype(np.float32), rate))
    return out
