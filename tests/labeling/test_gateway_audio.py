"""Labels on generated audio (GB 45438-2025 §5.3 explicit cue at the start, §6 implicit label in
the metadata) and the cue detector the inspector uses — with controls that must not match."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from hegui.errors import LabelError
from hegui.labeling import inspect, read_label
from hegui.labeling.explicit.audio import rhythm_cue
from hegui.labeling.explicit.audio_cue import decode_mono, detect_rhythm_cue, find_cue
from hegui.labeling.explicit.config import default_policy
from hegui.labeling.gateway_audio import AUDIO_FORMATS, explicit_cue, label_generated_audio, labelled_seconds

pytestmark = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="needs ffmpeg (scripts/setup.sh installs it)")

CODE = "001191110000MA0000000H1DEMO"
CID = "hgc-" + "0123456789abcdef" * 2
RATE = 22050


def content(seconds: float = 2.0, rate: int = RATE) -> np.ndarray:
    """A speech-like stand-in: a few harmonics with a syllable-rate envelope (no 1 kHz tone bursts)."""
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 560), 1))
    return (0.2 * voice * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2)).astype(np.float32)


@pytest.mark.parametrize("fmt", list(AUDIO_FORMATS))
def test_every_format_carries_both_labels(fmt, tmp_path):
    data = label_generated_audio(content(), RATE, fmt, content_id=CID, producer_code=CODE)
    found = read_label(data, filename="x" + AUDIO_FORMATS[fmt][1])
    assert found.label is not None and found.label.ProduceID == CID and found.label.ContentProducer == CODE
    path = tmp_path / ("x" + AUDIO_FORMATS[fmt][1])
    path.write_bytes(data)
    res = inspect(path)
    assert res.klass == "confirmed" and res.explicit_audio_cue is True
    cue = detect_rhythm_cue(data)
    assert cue.found and cue.start_seconds is not None and cue.start_seconds < 0.1


def test_the_cue_comes_first_and_the_content_follows():
    pcm = content(1.0)
    data = label_generated_audio(pcm, RATE, "wav", content_id=CID, producer_code=CODE)
    out, rate = decode_mono(data)
    cue = rhythm_cue(RATE, default_policy().audio)
    assert rate == RATE and len(out) == len(cue) + len(pcm)
    assert np.allclose(out[:len(cue)], cue, atol=1e-3) and np.allclose(out[len(cue):], pcm, atol=1e-3)
    assert labelled_seconds(pcm, RATE) == pytest.approx(len(out) / RATE)


def test_without_the_cue_there_is_no_explicit_label(tmp_path):
    """Controls: plain content, a steady 1 kHz tone, the cue only at the end, the cue too late."""
    ap = default_policy().audio
    cue = rhythm_cue(RATE, ap)
    plain = content(3.0)
    t = np.arange(3 * RATE) / RATE
    steady = (0.25 * np.sin(2 * np.pi * ap.tone_hz * t)).astype(np.float32)
    late = np.concatenate([content(2.0), cue, content(1.0)])
    for pcm in (plain, steady, np.concatenate([plain, cue]), late):
        found = find_cue(pcm, RATE)
        assert not found.found and found.reason
    assert find_cue(np.concatenate([cue, plain]), RATE).found


def test_the_cue_survives_mp3_with_noise():
    rng = np.random.default_rng(7)
    pcm = content(2.0) + 0.02 * rng.standard_normal(2 * RATE).astype(np.float32)
    data = label_generated_audio(pcm, RATE, "mp3", content_id=CID, producer_code=CODE)
    assert detect_rhythm_cue(data).found


def test_spoken_notice_follows_the_rhythm_cue():
    if not shutil.which("espeak-ng"):
        pytest.skip("needs espeak-ng")
    both, rhythm = explicit_cue(RATE, "both"), explicit_cue(RATE, "rhythm")
    assert len(both) > len(rhythm) + RATE and np.allclose(both[:len(rhythm)], rhythm)
    data = label_generated_audio(content(1.0), RATE, "wav", content_id=CID, producer_code=CODE, mode="both")
    assert detect_rhythm_cue(data).found


def test_the_watermarker_gets_the_labelled_samples_and_the_content_id():
    seen = []

    class Marker:
        def embed(self, samples: np.ndarray, sample_rate: int, content_id: str) -> np.ndarray:
            seen.append((len(samples), sample_rate, content_id))
            return samples * 0.5

    pcm = content(1.0)
    data = label_generated_audio(pcm, RATE, "wav", content_id=CID, producer_code=CODE, watermark=Marker())
    out, _ = decode_mono(data)
    cue = rhythm_cue(RATE, default_policy().audio)
    assert seen == [(len(cue) + len(pcm), RATE, CID)]
    assert np.allclose(out[len(cue):], pcm * 0.5, atol=1e-3)


@pytest.mark.parametrize("kw,why", [
    ({"fmt": "aac"}, "format"), ({"samples": np.zeros((10, 2), np.float32)}, "mono"),
    ({"samples": np.zeros(0, np.float32)}, "mono"), ({"sample_rate": 4000}, "sample rate"),
    ({"content_id": ""}, "content_id"), ({"mode": "spoken"}, "mode")])
def test_bad_arguments_are_label_errors(kw, why):
    args = {"samples": content(0.5), "sample_rate": RATE, "fmt": "wav", "content_id": CID, "producer_code": CODE,
            "mode": "rhythm"} | kw
    with pytest.raises(LabelError) as e:
        label_generated_audio(args.pop("samples"), args.pop("sample_rate"), args.pop("fmt"), **args)
    assert why in e.value.message("en")


def test_non_finite_samples_are_silenced_not_passed_on():
    pcm = content(0.5)
    pcm[100:200] = np.nan
    data = label_generated_audio(pcm, RATE, "flac", content_id=CID, producer_code=CODE)
    out, _ = decode_mono(data)
    assert np.all(np.isfinite(out)) and detect_rhythm_cue(data).found


def test_an_undecodable_file_is_an_evidence_gap_in_the_inspector(tmp_path):
    path = tmp_path / "broken.mp3"
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64)
    res = inspect(path)
    assert res.explicit_audio_cue is None and res.audio_cue and res.audio_cue["checked"] is False


def test_a_playlist_posing_as_audio_reads_no_other_file(tmp_path):
    """An HLS playlist named .mp3 would make a plain ffmpeg read the files it lists; the decoder
    opens local files with plain audio/video demuxers only."""
    secret = tmp_path / "secret.mp3"  # a plain ffmpeg 5.1 follows an .mp3 segment (checked by hand)
    secret.write_bytes(label_generated_audio(content(1.0), RATE, "mp3", content_id=CID, producer_code=CODE))
    evil = tmp_path / "evil.mp3"
    evil.write_text(f"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile://{secret}\n#EXT-X-ENDLIST\n")
    for rate in (None, 16000):  # with and without the rate probe
        with pytest.raises(LabelError):
            decode_mono(evil, rate=rate)
    with pytest.raises(LabelError):
        detect_rhythm_cue(evil)
