"""Speaker embeddings for the registry of protected voices (Deep Synthesis Provisions Art 14; the
Beijing Internet Court voice-rights case): the GE2E speaker encoder whose weights ship inside the
``resemblyzer`` 0.1.4 wheel (``resemblyzer/pretrained.pt``), run in numpy without torch.

The maths follow resemblyzer's ``audio.py`` and ``voice_encoder.py``: volume normalised up to
-30 dBFS, long silences trimmed with WebRTC VAD (30 ms windows, moving average 8, dilation 7), a
40-band Slaney mel power spectrogram (25 ms Hann window, 10 ms hop, centred with reflect padding as
librosa < 0.10 did), partials of 160 frames at 1.3 per second, a 3-layer LSTM (hidden 256), linear
256 + ReLU, L2 norm, the partials averaged and normalised again.
"""

from __future__ import annotations

import collections
import pickle
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from hegui.likeness.modelfile import LikenessInputUnreadable, LikenessModelUnavailable, package_file, verified

#: sha256 of ``resemblyzer/pretrained.pt`` in the resemblyzer 0.1.4 wheel
MODEL_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
ENCODER_ID = "resemblyzer-0.1.4/ge2e"
INSTALL = "pip install --no-deps resemblyzer==0.1.4"
SAMPLE_RATE = 16000
N_FFT, HOP, N_MELS, PARTIAL_FRAMES = 400, 160, 40, 160
VAD_WINDOW, VAD_AVG_WIDTH, VAD_MAX_SILENCE = 480, 8, 6  # 30 ms windows at 16 kHz
NORM_TARGET_DBFS = -30.0
INT16_MAX = 2**15 - 1
MIN_SECONDS = 0.5
MAX_SECONDS = 60.0
_WANTED = ["lstm.weight_ih_l{}", "lstm.weight_hh_l{}", "lstm.bias_ih_l{}", "lstm.bias_hh_l{}"]


# --- reading a legacy (pre-zip) torch checkpoint without torch -------------------------------------

class _Storage:
    def __init__(self, key: str, dtype: str, size: int) -> None:
        self.key, self.dtype, self.size = key, dtype, size


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)


def _rebuild_tensor_v2(storage: _Storage, offset: int, shape: tuple, stride: tuple, *_: Any) -> _Tensor:
    return _Tensor(storage, offset, shape, stride)


_DTYPES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "LongStorage": "<i8", "IntStorage": "<i4"}


class _Unpickler(pickle.Unpickler):
    """Allows only the few globals a state dict needs; anything else is refused (no code runs)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _DTYPES:
            return name
        raise pickle.UnpicklingError(f"refused global {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and pid[1] in _DTYPES):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        return _Storage(str(pid[2]), _DTYPES[pid[1]], int(pid[4]))


def read_legacy_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The ``model_state`` of a torch checkpoint in the legacy format (magic, version, sys info,
    pickled object, storage keys, then each storage as int64 count + raw little-endian data)."""
    with path.open("rb") as fh:
        magic = pickle.load(fh)  # noqa: S301 - plain ints/dicts; the object itself goes through _Unpickler
        if magic != 0x1950A86A20F9469CFC6C:
            raise ValueError("not a legacy torch checkpoint")
        pickle.load(fh)  # noqa: S301 - protocol version
        pickle.load(fh)  # noqa: S301 - sys info
        obj = _Unpickler(fh).load()
        keys = _Unpickler(fh).load()
        state = obj["model_state"] if isinstance(obj, dict) and "model_state" in obj else obj
        by_key: dict[str, np.ndarray] = {}
        if not isinstance(state, dict) or not all(isinstance(v, _Tensor) for v in state.values()):
            raise ValueError("model_state is not a flat dict of tensors")
        sizes = {t.storage.key: t.storage for t in state.values()}
        for key in keys:
            (count,) = struct.unpack("<q", fh.read(8))
            dtype = np.dtype(sizes[key].dtype if key in sizes else "<f4")
            raw = fh.read(count * dtype.itemsize)
            if len(raw) != count * dtype.itemsize:
                raise ValueError("truncated storage data")
            if key in sizes:
                by_key[key] = np.frombuffer(raw, dtype=dtype)
    out: dict[str, np.ndarray] = {}
    for name, t in state.items():
        flat = by_key[t.storage.key]
        itemsize = flat.dtype.itemsize
        extent = t.offset + sum((d - 1) * st for d, st in zip(t.shape, t.stride)) + 1 if all(t.shape) else 0
        if t.offset < 0 or min(t.stride, default=0) < 0 or extent > flat.size:
            raise ValueError(f"tensor {name} lies outside its storage")
        view = np.lib.stride_tricks.as_strided(flat[t.offset:], shape=t.shape,
                                               strides=tuple(s * itemsize for s in t.stride))
        out[name] = np.array(view, dtype=np.float32)
    return out


# --- audio front end ----------------------------------------------------------------------------

def decode_audio(data: bytes, *, max_seconds: float = MAX_SECONDS, timeout: float = 60) -> np.ndarray:
    """Any audio/video file → float32 mono at 16 kHz via ffmpeg (first ``max_seconds`` only)."""
    if not data:
        raise LikenessInputUnreadable(detail="empty input / 空文件")
    with tempfile.NamedTemporaryFile(suffix=".bin") as src:
        src.write(data)
        src.flush()
        args = ["ffmpeg", "-nostdin", "-v", "error", "-i", src.name, "-t", str(max_seconds), "-vn", "-ac", "1",
                "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
        try:
            proc = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
        except FileNotFoundError as exc:
            raise LikenessModelUnavailable(model="ffmpeg", detail="ffmpeg is not installed / 未安装 ffmpeg") from exc
        except subprocess.TimeoutExpired as exc:
            raise LikenessInputUnreadable(detail=f"decoding took over {timeout:.0f} s / 解码超时") from exc
    if proc.returncode != 0 or not proc.stdout:
        tail = " | ".join(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-2:])
        raise LikenessInputUnreadable(detail=tail or "no audio stream / 没有音频流")
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)


def resample(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Resample to 16 kHz with ffmpeg (its default swr filter), float32 in and out."""
    if sample_rate == SAMPLE_RATE:
        return samples
    args = ["ffmpeg", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(int(sample_rate)), "-ac", "1",
            "-i", "pipe:0", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
    proc = subprocess.run(args, input=samples.astype("<f4").tobytes(), capture_output=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise LikenessInputUnreadable(detail=proc.stderr.decode("utf-8", "replace")[-200:])
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)


def normalize_volume(wav: np.ndarray, target_dbfs: float = NORM_TARGET_DBFS) -> np.ndarray:
    """resemblyzer ``normalize_volume(increase_only=True)``."""
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * INT16_MAX) ** 2)))
    if rms <= 0:
        return wav
    change = target_dbfs - 20 * np.log10(rms / INT16_MAX)
    return wav if change < 0 else (wav * (10 ** (change / 20))).astype(np.float32)


def trim_long_silences(wav: np.ndarray) -> np.ndarray:
    """resemblyzer ``trim_long_silences``: WebRTC VAD (mode 3), moving average, dilation."""
    try:
        import webrtcvad
    except ImportError as exc:
        raise LikenessModelUnavailable(model="webrtcvad", detail="install webrtcvad-wheels / 请安装 webrtcvad-wheels") from exc
    wav = wav[: len(wav) - len(wav) % VAD_WINDOW]
    pcm = np.round(np.clip(wav, -1.0, 1.0) * INT16_MAX).astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    flags = np.array([vad.is_speech(pcm[i * 2:(i + VAD_WINDOW) * 2], sample_rate=SAMPLE_RATE)
                      for i in range(0, len(wav), VAD_WINDOW)], dtype=float)
    if flags.size == 0:
        return wav
    width = VAD_AVG_WIDTH
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    ret = np.cumsum(padded, dtype=float)
    ret[width:] = ret[width:] - ret[:-width]
    mask = np.round(ret[width - 1:] / width).astype(bool)
    # binary dilation with a structure of VAD_MAX_SILENCE + 1 ones (centred, as scipy does)
    size = VAD_MAX_SILENCE + 1
    padded_mask = np.concatenate((np.zeros(size // 2, bool), mask, np.zeros(size - 1 - size // 2, bool)))
    dilated = np.convolve(padded_mask.astype(int), np.ones(size, int), mode="valid") > 0
    return wav[np.repeat(dilated, VAD_WINDOW)]


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64)
    mels = f / (200.0 / 3)
    log = f >= 1000.0
    return np.where(log, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mels)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """librosa ``filters.mel(htk=False, norm='slaney')``: Slaney mel scale, area-normalised triangles."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_freqs)
    weights = np.zeros((n_mels, len(fft_freqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


_MEL = mel_filterbank()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram, as ``librosa.feature.melspectrogram`` (center, reflect)."""
    padded = np.pad(wav.astype(np.float32), N_FFT // 2, mode="reflect")
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    spec = np.abs(np.fft.rfft(padded[idx] * _WINDOW, n=N_FFT, axis=1)) ** 2
    return (spec.astype(np.float32) @ _MEL.T).astype(np.float32)


def partial_slices(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[slice]:
    """resemblyzer ``compute_partial_slices`` (mel-frame slices)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    frame_step = int(np.round((SAMPLE_RATE / rate) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
    slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, steps, frame_step)]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(slices) > 1:
        slices = slices[:-1]
    return slices


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class SpeakerEncoder:
    """GE2E speaker encoder (resemblyzer 0.1.4 weights) in numpy; ``embed`` → 256-d unit vector."""

    encoder_id = ENCODER_ID

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.layers = [tuple(weights[k.format(n)] for k in _WANTED) for n in range(3)]
        self.linear_w = weights["linear.weight"]
        self.linear_b = weights["linear.bias"]

    @classmethod
    def load(cls, path: Path | str | None = None, sha256: str = MODEL_SHA256) -> SpeakerEncoder:
        """Load the pinned weights; a missing or altered file raises :class:`LikenessModelUnavailable`."""
        found = Path(path) if path is not None else package_file("resemblyzer", "pretrained.pt")
        checked = verified(found, sha256, model=ENCODER_ID, install=INSTALL)
        try:
            weights = read_legacy_checkpoint(checked)
            return cls(weights)
        except (ValueError, KeyError, EOFError, pickle.UnpicklingError, struct.error) as exc:
            raise LikenessModelUnavailable(model=ENCODER_ID, detail=f"{checked}: {exc}") from exc

    def _forward(self, mels: np.ndarray) -> np.ndarray:
        """(batch, 160, 40) → (batch, 256) L2-normalised partial embeddings."""
        x = mels.astype(np.float32)
        batch = x.shape[0]
        h = np.zeros((batch, 256), np.float32)
        for w_ih, w_hh, b_ih, b_hh in self.layers:
            proj = x @ w_ih.T + (b_ih + b_hh)  # (batch, T, 1024)
            h = np.zeros((batch, 256), np.float32)
            c = np.zeros((batch, 256), np.float32)
            outs = np.empty((batch, x.shape[1], 256), np.float32)
            for t in range(x.shape[1]):
                gates = proj[:, t] + h @ w_hh.T
                i, f, g, o = np.split(gates, 4, axis=1)  # torch's gate order
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
                outs[:, t] = h
            x = outs
        raw = np.maximum(h @ self.linear_w.T + self.linear_b, 0.0)
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)

    def embed(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """256-d unit speaker embedding of a mono waveform (floats in [-1, 1])."""
        wav = np.asarray(samples, dtype=np.float32).reshape(-1)
        if not np.all(np.isfinite(wav)):
            raise LikenessInputUnreadable(detail="non-finite samples / 样本含非有限值")
        wav = resample(wav, sample_rate)[: int(MAX_SECONDS * SAMPLE_RATE)]
        if len(wav) < MIN_SECONDS * SAMPLE_RATE:
            raise LikenessInputUnreadable(detail=f"under {MIN_SECONDS} s of audio / 音频短于 {MIN_SECONDS} 秒")
        wav = normalize_volume(wav)
        trimmed = trim_long_silences(wav)
        # no speech found at all: embed the whole clip rather than skip the check (fail closed)
        wav = trimmed if len(trimmed) >= MIN_SECONDS * SAMPLE_RATE else wav
        slices = partial_slices(len(wav))
        need = slices[-1].stop * HOP
        if need >= len(wav):
            wav = np.pad(wav, (0, need - len(wav)))
        mel = mel_spectrogram(wav)
        mels = np.stack([mel[s] for s in slices])
        partials = self._forward(mels)
        mean = partials.mean(axis=0)
        return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)

    def embed_file(self, data: bytes) -> np.ndarray:
        """Embedding of any audio/video file (decoded with ffmpeg to 16 kHz mono)."""
        return self.embed(decode_audio(data), SAMPLE_RATE)
