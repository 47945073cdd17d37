"""Audio labels for generated speech: labelling time per format and the cue detector's hit and
false-alarm rates (GB 45438-2025 §5.3) — through each codec, with added noise and gain changes.

Usage: ``.venv/bin/python bench/labeling/audio_cue.py [--n 10]``

Inputs are made here: the demo voice (espeak-ng) speaks ``--n`` sentences; "labelled" files get
the cue from :func:`label_generated_audio`, "plain" files are the same speech with no cue, plus
steady 1 kHz tones and tone bursts at random rhythms (the hard negatives).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hegui.labeling.explicit.audio_cue import decode_mono, detect_rhythm_cue
from hegui.labeling.gateway_audio import AUDIO_FORMATS, _encode, label_generated_audio
from hegui.synthesis.tts import synthesize

CODE = "001191110000MA0000000H1DEMO"
SENTENCES = ["你好，这是第{i}段演示语音。", "The quick brown fox number {i} jumps over the lazy dog.",
             "今天的天气预报：第{i}天多云转晴。", "Meeting {i} starts at ten; please bring the report."]


def _bursts(rng: np.random.Generator, rate: int) -> np.ndarray:
    """1 kHz tone bursts with random lengths and gaps: something like a cue, but not its rhythm."""
    parts = []
    for _ in range(4):
        n, g = int(rate * rng.uniform(0.05, 0.6)), int(rate * rng.uniform(0.05, 0.5))
        t = np.arange(n) / rate
        parts += [0.25 * np.sin(2 * np.pi * 1000 * t), np.zeros(g)]
    return np.concatenate(parts).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    voices = [synthesize(SENTENCES[i % len(SENTENCES)].format(i=i)) for i in range(args.n)]
    rate = voices[0].sample_rate
    print("noise/gain are applied to the whole labelled file, which is then re-encoded as mp3 (a re-recording);")
    print("the false alarms are the same speech, degraded the same way, without the cue.\n")
    print("| format | noise | gain | labelled: cue found | plain speech: false alarms | label time (ms, median) |")
    print("|---|---|---|---|---|---|")
    for fmt in AUDIO_FORMATS:
        for noise, gain in ((0.0, 1.0), (0.02, 1.0), (0.05, 0.3)):
            hits = alarms = 0
            times = []
            for v in voices:
                t0 = time.perf_counter()
                data = label_generated_audio(v.samples, rate, fmt, content_id="hgc-" + "0" * 32, producer_code=CODE)
                times.append((time.perf_counter() - t0) * 1000)
                for src, is_labelled in ((data, True), (_encode(v.samples, rate, fmt, 60), False)):
                    pcm, r = decode_mono(src)
                    pcm = pcm * gain + noise * rng.standard_normal(len(pcm)).astype(np.float32)
                    found = detect_rhythm_cue(_encode(np.clip(pcm, -1, 1), r, "mp3", 60)).found
                    hits += found and is_labelled
                    alarms += found and not is_labelled
            print(f"| {fmt} | {noise} | {gain} | {hits}/{len(voices)} | {alarms}/{len(voices)} | "
                  f"{np.median(times):.0f} |")
    hard = [_bursts(rng, rate) for _ in range(args.n * 5)]
    t = np.arange(3 * rate) / rate
    hard.append((0.25 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    fa = sum(detect_rhythm_cue(_encode(h, rate, "wav", 60)).found for h in hard)
    print(f"\nhard negatives (random 1 kHz bursts, steady tone): {fa}/{len(hard)} false alarms")


if __name__ == "__main__":
    main()
