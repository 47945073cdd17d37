"""The numpy GE2E speaker encoder (resemblyzer 0.1.4 weights) for the registry of protected voices
(Deep Synthesis Provisions Art 14)."""

from __future__ import annotations

import pickle
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hegui.likeness import speaker as sp
from hegui.likeness.modelfile import LikenessModelUnavailable, package_file


@pytest.fixture(scope="module")
def encoder() -> sp.SpeakerEncoder:
    return sp.SpeakerEncoder.load()


def _say(tmp: Path, voice: str, text: str) -> bytes:
    out = tmp / f"{voice.replace('+', '_')}_{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True, capture_output=True)
    return out.read_bytes()


def test_the_weights_load_without_torch_and_have_the_ge2e_shapes(encoder: sp.SpeakerEncoder) -> None:
    import sys

    assert "torch" not in sys.modules
    w_ih, w_hh, b_ih, b_hh = encoder.layers[0]
    assert w_ih.shape == (1024, 40) and w_hh.shape == (1024, 256) and b_ih.shape == b_hh.shape == (1024,)
    assert all(layer[0].shape == (1024, 256) for layer in encoder.layers[1:])
    assert encoder.linear_w.shape == (256, 256) and np.isfinite(encoder.linear_w).all()


def test_front_end_matches_librosa_reference_values() -> None:
    # librosa 0.11 filters.mel(sr=16000, n_fft=400, n_mels=40) and melspectrogram(pad_mode="reflect")
    fb = sp.mel_filterbank()
    assert np.allclose(fb[3, 4:9], [0.0, 0.0, 0.00356385, 0.01095406, 0.00884067], atol=1e-7)
    assert fb[39].max() == pytest.approx(0.0017249404, rel=1e-5)
    t = np.arange(16000) / 16000
    mel = sp.mel_spectrogram((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    assert mel.shape == (101, 40)
    assert mel[50, 4] == pytest.approx(5.4392419, rel=1e-4) and mel[50, 5] == pytest.approx(41.077713, rel=1e-4)
    assert float(mel.sum()) == pytest.approx(5147.8345, rel=1e-4)


def test_same_speaker_is_closer_than_another(encoder: sp.SpeakerEncoder, tmp_path: Path) -> None:
    a1 = encoder.embed_file(_say(tmp_path, "en+m3", "Please call Stella and ask her to bring these things."))
    a2 = encoder.embed_file(_say(tmp_path, "en+m3", "The rainbow appears when sunlight meets drops of rain."))
    b = encoder.embed_file(_say(tmp_path, "en+f4", "Please call Stella and ask her to bring these things."))
    assert a1.shape == (256,) and abs(float(np.linalg.norm(a1)) - 1) < 1e-5
    assert float(a1 @ a2) > float(a1 @ b) + 0.1 and float(a1 @ a2) > float(a2 @ b) + 0.1


def test_embedding_does_not_depend_on_the_input_sample_rate(encoder: sp.SpeakerEncoder, tmp_path: Path) -> None:
    wav16 = sp.decode_audio(_say(tmp_path, "en+m3", "Please call Stella and ask her to bring these things."))
    wav8 = wav16[::2].copy()  # crude 8 kHz copy: resampled back by ffmpeg
    assert float(encoder.embed(wav16, 16000) @ encoder.embed(wav8, 8000)) > 0.85


def test_short_or_broken_audio_is_refused(encoder: sp.SpeakerEncoder) -> None:
    from hegui.likeness.modelfile import LikenessInputUnreadable

    with pytest.raises(LikenessInputUnreadable):
        encoder.embed(np.zeros(1000, np.float32), 16000)
    with pytest.raises(LikenessInputUnreadable):
        encoder.embed_file(b"RIFF\x00\x00not audio at all")
    with pytest.raises(LikenessInputUnreadable):
        encoder.embed(np.full(20000, np.nan, np.float32), 16000)


def test_fails_closed_on_a_missing_or_altered_model(tmp_path: Path) -> None:
    original = package_file("resemblyzer", "pretrained.pt")
    assert original is not None
    altered = tmp_path / "pretrained.pt"
    shutil.copyfile(original, altered)
    with altered.open("r+b") as fh:
        fh.seek(5000)
        byte = fh.read(1)
        fh.seek(5000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(LikenessModelUnavailable) as err:
        sp.SpeakerEncoder.load(altered)
    assert "sha256" in str(err.value) and "被改动" in err.value.message("zh")
    with pytest.raises(LikenessModelUnavailable):
        sp.SpeakerEncoder.load(tmp_path / "missing.pt")


def test_the_checkpoint_reader_runs_no_code(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pt"
    with evil.open("wb") as fh:
        for part in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(part, fh, protocol=2)
        fh.write(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with pytest.raises(pickle.UnpicklingError, match="refused global"):
        sp.read_legacy_checkpoint(evil)
    # and the loader turns that into the fail-closed error when the digest is (wrongly) trusted
    digest = __import__("hashlib").sha256(evil.read_bytes()).hexdigest()
    with pytest.raises(LikenessModelUnavailable):
        sp.SpeakerEncoder.load(evil, sha256=digest)
