"""The demo voice ``hegui-demo-tts`` (espeak-ng): Chinese through pypinyin TONE3 and the
``cmn-latn-pinyin`` voice, other text through ``en``; no shell, bounded, clear errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from hegui.synthesis import tts

needs_espeak = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs espeak-ng (scripts/setup.sh)")


def test_runs_split_chinese_from_other_text():
    assert tts.runs("你好，世界! 这是 demo。") == [("cmn-latn-pinyin", "ni3 hao3, shi4 jie4, zhe4 shi4"),
                                                  ("en", " demo。")]
    assert tts.runs("hello") == [("en", "hello")]
    assert tts.runs("。。。") == []


def test_runs_are_capped():
    text = "a字" * (tts.MAX_RUNS * 2)
    assert len(tts.runs(text)) == tts.MAX_RUNS


@needs_espeak
def test_speech_is_mono_float_pcm_and_speed_shortens_it():
    slow, fast = tts.synthesize("你好，这是演示语音。", speed=0.5), tts.synthesize("你好，这是演示语音。", speed=2.0)
    assert slow.samples.dtype == np.float32 and slow.samples.ndim == 1 and slow.sample_rate == 22050
    assert 0.05 < np.max(np.abs(slow.samples)) <= 1.0
    assert fast.seconds < slow.seconds * 0.6


@needs_espeak
def test_text_is_never_read_as_options():
    """The text goes on stdin: a leading dash or shell syntax is just spoken."""
    sp = tts.synthesize("-w /tmp/owned.wav; rm -rf / $(id)")
    assert sp.seconds > 0.5


def test_errors_are_bilingual(monkeypatch):
    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    with pytest.raises(tts.TtsEngineMissing) as e:
        tts.synthesize("hello")
    assert "espeak-ng" in e.value.message("zh") and "espeak-ng" in e.value.message("en")
    with pytest.raises(tts.SynthesisFailed):
        tts.synthesize("x" * (tts.MAX_INPUT_CHARS + 1))
    with pytest.raises(tts.SynthesisFailed):
        tts.synthesize("   ")


@needs_espeak
def test_a_hung_engine_times_out(monkeypatch):
    import subprocess

    def hang(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        raise subprocess.TimeoutExpired(cmd="espeak-ng", timeout=kw.get("timeout"))

    monkeypatch.setattr(tts.subprocess, "run", hang)
    with pytest.raises(tts.SynthesisFailed) as e:
        tts.synthesize("hello", timeout=1)
    assert "timed out" in e.value.message("en")
