"""Signal processing of the audio watermark (GB 45438-2025 Annex A.2 implicit watermark; Labeling
Measures Art 5): a keyed pattern of small spectral ripples written as one zero-phase linear filter,
read back from the long-term average spectrum (LTAS).

Why this survives the attacks: a linear time-invariant filter changes the log-power of *every*
frame by the same ripple, so the LTAS carries it whatever the frame positions — trims, time offsets
and tempo changes (WSOLA keeps the short-time spectrum) do not matter, and codecs add noise that
averages out over the frames. A speed change with pitch (``asetrate``) scales frequencies; the
detector searches scale factors. The ripple follows the signal (silence stays silence, quiet
frames get a quiet mark) and its energy is computed exactly, so the SNR is set, not hoped for.
numpy only.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

#: band carrying the mark (Hz); chips above Nyquist (8 kHz audio: above 3.9 kHz) count as erased
F_LO, F_HI = 250.0, 7250.0
#: chip width (Hz): wider than the spectral smearing of WSOLA time stretching (atempo)
CHIP_HZ = 50.0
N_CHIPS = int((F_HI - F_LO) // CHIP_HZ)  # 140
#: analysis window (s) for the LTAS; its resolution (~16 Hz) is well below a chip
WINDOW_S = 0.064
#: whitening: each frame's log spectrum minus its moving average over this many Hz
SMOOTH_HZ = 200.0
#: frames more than this below the loud frames (95th percentile) are left out; per-bin clip (dB)
ACTIVE_DB, CLIP_DB = 35.0, 6.0
#: detector frames overlap: hop = window / HOP_DIV
HOP_DIV = 2
#: scale factors (observed / embedded frequency) searched at detection: ±12 % speed with pitch
SCALES = np.round(np.arange(0.88, 1.1201, 0.002), 4)


@lru_cache(maxsize=8)
def chip_signs(key: bytes, n_code: int) -> tuple[np.ndarray, np.ndarray]:
    """Keyed assignment chip → (code bit index, ±1 sign); every code bit gets chips spread over the band."""
    seed = int.from_bytes(hashlib.sha256(b"hegui-audio-wm:" + key).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    owner = np.resize(np.arange(n_code), N_CHIPS)
    rng.shuffle(owner)
    sign = rng.choice(np.array([-1.0, 1.0]), size=N_CHIPS)
    return owner, sign


def chip_edges() -> np.ndarray:
    return F_LO + CHIP_HZ * np.arange(N_CHIPS + 1)


def _ltas_power(x: np.ndarray, n: int) -> np.ndarray:
    """Welch mean power spectrum (Hann window ``n``, hop n/2), frames in bounded batches."""
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    hop = n // 2
    win = np.hanning(n).astype(np.float32)
    acc = np.zeros(n // 2 + 1, dtype=np.float64)
    starts = np.arange(0, len(x) - n + 1, hop)
    for i in range(0, len(starts), 256):
        idx = starts[i:i + 256, None] + np.arange(n)[None, :]
        spec = np.fft.rfft(x[idx].astype(np.float32) * win, axis=1)
        acc += np.sum(spec.real.astype(np.float64) ** 2 + spec.imag.astype(np.float64) ** 2, axis=0)
    return acc / len(starts)


def log_ltas(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """(bin frequencies, detection spectrum in dB): the mean over active frames (within ACTIVE_DB of the
    loud frames) of each frame's log-power spectrum minus its moving average over SMOOTH_HZ, clipped at
    ±CLIP_DB. Averaging logs frame by frame (not the log of the mean power) and clipping keep the speech's
    own fine structure (harmonics) small next to the mark: about twice the margin (docs/audio-watermark.md)."""
    n = max(64, int(round(sr * WINDOW_S)))
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    hop = n // HOP_DIV
    win = np.hanning(n).astype(np.float32)
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    k = max(3, int(round(SMOOTH_HZ / (sr / n))) | 1)
    pad = k // 2
    starts = np.arange(0, len(x) - n + 1, hop)
    energy = np.zeros(len(starts))
    for i in range(0, len(starts), 512):
        idx = starts[i:i + 512, None] + np.arange(n)[None, :]
        energy[i:i + 512] = np.sum((x[idx].astype(np.float64) * win) ** 2, axis=1)
    ref = float(np.percentile(energy, 95)) if len(energy) else 0.0
    active = np.flatnonzero(energy > max(ref * 10 ** (-ACTIVE_DB / 10), 1e-20))
    acc = np.zeros(n // 2 + 1)
    for i in range(0, len(active), 256):
        idx = starts[active[i:i + 256], None] + np.arange(n)[None, :]
        spec = np.fft.rfft(x[idx].astype(np.float32) * win, axis=1)
        db = 10.0 * np.log10(spec.real.astype(np.float64) ** 2 + spec.imag.astype(np.float64) ** 2 + 1e-12)
        c = np.cumsum(np.pad(db, ((0, 0), (pad + 1, pad)), mode="edge"), axis=1)
        acc += np.clip(db - (c[:, k:] - c[:, :-k]) / k, -CLIP_DB, CLIP_DB).sum(axis=0)
    return freqs, acc / max(len(active), 1)


def chip_values(freqs: np.ndarray, white: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Mean whitened log-LTAS over every chip at every scale: (len(scales), N_CHIPS); NaN beyond Nyquist."""
    df = freqs[1] - freqs[0]
    cum = np.concatenate([[0.0], np.cumsum(white) * df])  # integral up to bin edges
    edges_bins = freqs - df / 2
    edges_bins = np.append(edges_bins, freqs[-1] + df / 2)
    e = np.outer(scales, chip_edges())
    integ = np.interp(e, edges_bins, cum)
    vals = np.diff(integ, axis=1) / (np.diff(e, axis=1))
    vals[e[:, 1:] > freqs[-1] * 0.97] = np.nan
    return vals


def soft_bits(vals: np.ndarray, key: bytes, n_code: int) -> np.ndarray:
    """Per scale, one soft value per code bit: the mean of the sign-corrected chips it owns."""
    owner, sign = chip_signs(key, n_code)
    v = np.nan_to_num(vals * sign, nan=0.0)
    out = np.zeros((vals.shape[0], n_code))
    cnt = np.zeros(n_code)
    np.add.at(out.T, owner, v.T)
    np.add.at(cnt, owner, 1.0)
    return out / cnt


def ripple_gain(f: np.ndarray, gains_db: np.ndarray, df: float) -> np.ndarray:
    """Amplitude response at frequencies ``f`` (bin spacing ``df``) for per-chip gains in dB; chip
    edges are smoothed by a moving average over a fifth of a chip (a shorter impulse response)."""
    g = np.zeros_like(f)
    pos = (f - F_LO) / CHIP_HZ
    inside = (pos >= 0) & (pos < N_CHIPS)
    g[inside] = gains_db[pos[inside].astype(int)]
    k = max(1, int(round(CHIP_HZ / 5 / df)))
    if k > 1:
        c = np.cumsum(np.pad(g, (k // 2 + 1, k - k // 2 - 1), mode="edge"))
        g = (c[k:] - c[:-k]) / k
    return 10.0 ** (g / 20.0)


def _fast_len(n: int) -> int:
    """The smallest even 2^a·3^b·5^c ≥ n (a fast FFT size)."""
    best = 1 << (max(n, 2) - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            if m % 2 == 0:
                best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


class Filterer:
    """One FFT of the zero-padded signal; then any chip gains are applied (zero-phase) or priced
    (the SNR they would give, by Parseval) without another transform."""

    def __init__(self, x: np.ndarray, sr: int) -> None:
        self.x, self.sr, self.pad = x, sr, int(sr * 0.25)
        self.n = _fast_len(len(x) + 2 * self.pad)
        self.spec = np.fft.rfft(np.pad(x.astype(np.float64), (self.pad, self.n - len(x) - self.pad)))
        self.power = self.spec.real ** 2 + self.spec.imag ** 2
        self.total = float(self.power.sum())
        self.f = np.fft.rfftfreq(self.n, 1.0 / sr)
        self.df = float(self.f[1])

    def snr_db(self, gains_db: np.ndarray) -> float:
        h = ripple_gain(self.f, gains_db, self.df)
        err = float(np.sum(self.power * (h - 1.0) ** 2))
        return 10.0 * np.log10(self.total / err) if err > 0 else float("inf")

    def apply(self, gains_db: np.ndarray) -> np.ndarray:
        h = ripple_gain(self.f, gains_db, self.df)
        y = np.fft.irfft(self.spec * h, self.n)[self.pad:self.pad + len(self.x)]
        return y.astype(np.float32)


def chip_power(x: np.ndarray, sr: int) -> np.ndarray:
    """Mean LTAS power per chip at scale 1 (linear); 0 for chips at or above Nyquist."""
    n = max(64, int(round(sr * WINDOW_S)))
    acc = _ltas_power(x, n)
    f = np.fft.rfftfreq(n, 1.0 / sr)
    idx = np.floor((f - F_LO) / CHIP_HZ).astype(int)
    ok = (idx >= 0) & (idx < N_CHIPS) & (f < 0.97 * sr / 2)
    s = np.bincount(idx[ok], weights=acc[ok], minlength=N_CHIPS)
    c = np.bincount(idx[ok], minlength=N_CHIPS)
    full = chip_edges()[1:] < 0.97 * sr / 2
    return np.where(full & (c > 0), s / np.maximum(c, 1), 0.0)


@lru_cache(maxsize=16)
def response_matrix(sr: int) -> np.ndarray:
    """(N_CHIPS, N_CHIPS) linear model of the detector: chip values change by W @ gains_db (before the
    per-bin clip), i.e. each chip's ripple minus what the whitening's moving average spreads to its
    neighbours."""
    n = max(64, int(round(sr * WINDOW_S)))
    f = np.fft.rfftfreq(n, 1.0 / sr)
    df = float(f[1])
    k = max(3, int(round(SMOOTH_HZ / df)) | 1)
    pad = k // 2
    eye = np.eye(N_CHIPS)
    prof = np.stack([20.0 * np.log10(ripple_gain(f, eye[j], df)) for j in range(N_CHIPS)])
    c = np.cumsum(np.pad(prof, ((0, 0), (pad + 1, pad)), mode="edge"), axis=1)
    white = prof - (c[:, k:] - c[:, :-k]) / k
    cols = np.stack([chip_values(f, white[j], np.array([1.0]))[0] for j in range(N_CHIPS)])
    return np.nan_to_num(cols.T)
