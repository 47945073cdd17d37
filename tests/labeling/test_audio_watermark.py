"""Audio watermark (GB 45438-2025 Annex A.2; issue 14): round trip, codec, resampling, tempo and speed,
unmarked audio, bad input. Speech is synthesised here with espeak-ng (nothing downloaded)."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from hegui.labeling.explicit.errors import MediaUnreadable
from hegui.labeling.inspector import inspect
from hegui.labeling.watermark import payload_for_content_id
from hegui.labeling.watermark.audio import (
    AudioWatermarkResult,
    detect,
    detect_file,
    embed,
    embed_payload,
    payload16_for_content_id,
)

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None,
                                reason="needs espeak-ng and ffmpeg (scripts/setup.sh installs them)")

TEXT = "Please remember to bring your passport, your boarding pass and a warm jacket for the night flight."
CID = "tts-0001"


def _wav(x: np.ndarray, sr: int) -> bytes:
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return b.getvalue()


def _ffmpeg(data: bytes, *args: str, fmt: str = "wav") -> bytes:
    return subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "pipe:0", *args, "-f", fmt, "pipe:1"],
                          input=data, capture_output=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, int]:
    out = tmp_path_factory.mktemp("speech") / "s.wav"
    subprocess.run(["espeak-ng", "-v", "en+f3", "-s", "165", "-w", str(out), TEXT], check=True, timeout=60)
    with wave.open(str(out)) as w:
        sr = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    return x, sr


@pytest.fixture(scope="module")
def marked(speech: tuple[np.ndarray, int]) -> tuple[np.ndarray, int]:
    x, sr = speech
    return embed(x, sr, CID), sr


def test_round_trip_keeps_length_and_snr(speech, marked):
    (x, sr), (y, _) = speech, marked
    assert y.dtype == np.float32 and y.shape == x.shape
    snr = 10 * np.log10(np.sum(x.astype(float) ** 2) / np.sum((y - x.astype(float)) ** 2))
    assert 30.0 <= snr < 40.0
    r = detect(y, sr)
    assert r.found and r.payload == payload16_for_content_id(CID) and r.speed == 1.0
    assert payload16_for_content_id(CID) == payload_for_content_id(CID) >> 48
    assert r.p_false < 1e-6 and r.to_dict()["payload"] == f"{r.payload:04x}"


def test_unmarked_speech_noise_and_silence_are_not_found(speech):
    x, sr = speech
    assert not detect(x, sr).found
    rng = np.random.default_rng(1)
    assert not detect(rng.normal(0, 0.1, sr * 3).astype(np.float32), sr).found
    silent = np.zeros(sr * 2, dtype=np.float32)
    assert np.array_equal(embed(silent, sr, CID), silent)
    assert not detect(silent, sr).found


def test_another_key_does_not_find_it(marked):
    y, sr = marked
    assert not detect(y, sr, key=b"operator-key").found


@pytest.mark.parametrize("args, fmt", [
    (("-c:a", "libmp3lame", "-b:a", "64k"), "mp3"),
    (("-ar", "16000"), "wav"),
    (("-ar", "44100"), "wav"),
    (("-af", "atempo=1.1"), "wav"),
    (("-af", "atempo=0.9"), "wav"),
])
def test_survives_codec_resampling_and_tempo(marked, args, fmt):
    y, sr = marked
    r = detect_file(_ffmpeg(_wav(y, sr), *args, fmt=fmt))
    assert r.found and r.payload == payload16_for_content_id(CID), r


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_survives_speed_change_with_pitch(marked, factor):
    y, sr = marked
    r = detect_file(_ffmpeg(_wav(y, sr), "-af", f"asetrate={round(sr * factor)},aresample={sr}"))
    assert r.found and r.payload == payload16_for_content_id(CID)
    assert abs(r.speed - factor) < 0.01


def test_trim_from_the_start(marked):
    y, sr = marked
    r = detect(y[len(y) // 10:], sr)
    assert r.found and r.payload == payload16_for_content_id(CID)


def test_bad_input_gives_clear_errors(tmp_path: Path):
    with pytest.raises(MediaUnreadable) as e:
        detect_file(b"this is not audio at all" * 10)
    assert "无法读取" in e.value.message("zh") and "Cannot read" in e.value.message("en")
    with pytest.raises(MediaUnreadable):
        detect_file(b"")
    with pytest.raises(MediaUnreadable):
        detect_file(tmp_path / "missing.wav")
    with pytest.raises(ValueError):
        embed(np.array([np.nan] * 16000, dtype=np.float32), 16000, CID)
    with pytest.raises(ValueError):
        embed(np.zeros(16000, dtype=np.float32), 16000, CID, strength=0)
    with pytest.raises(ValueError):
        embed_payload(np.zeros(16000, dtype=np.float32), 16000, 1 << 16)
    with pytest.raises(ValueError):
        detect(np.zeros(100, dtype=np.float32), 100)


def test_inspector_reports_the_audio_watermark(marked, speech):
    y, sr = marked
    mp3 = _ffmpeg(_wav(y, sr), "-c:a", "libmp3lame", "-b:a", "64k", fmt="mp3")
    r = inspect(mp3, filename="voice.mp3")
    assert r.watermark and r.watermark["kind"] == "audio" and r.watermark["found"], r.watermark
    assert r.klass == "suspected" and any("audio watermark" in e for e in r.evidence)
    plain = inspect(_wav(*speech), filename="plain.wav")
    assert plain.watermark and plain.watermark["checked"] and not plain.watermark["found"]
    assert plain.klass == "none"
    assert isinstance(detect(y, sr), AudioWatermarkResult)
