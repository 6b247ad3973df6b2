"""Landmark fingerprints of a soundtrack (audio): spectral peaks paired into hashes, after
Wang, "An industrial-strength audio search algorithm" (ISMIR 2003).

A log-magnitude spectrogram (512-sample Hann windows, hop 256, at 8 kHz: 32 ms frames) gives
peaks, local maxima over about 0.45 s x 375 Hz, strongest `PEAKS_PER_S` per second kept. Each
peak (anchor) is paired with the next `FAN_OUT` peaks within 1.28 s after it and 1 kHz of it;
a pair's hash packs its two frequencies on a mel-like scale (7 bits each) and its time step in
frames (6 bits). A reference stores (hash, anchor frame); a query keeps its peaks
(`QueryPeaks`) so that matching can rescale them for a speed change with pitch change before
hashing (match.py). The mel-like quantisation makes a bucket about 2 % wide above 1 kHz, so
a speed off the matching grid by 1 % still falls in the same bucket most of the time.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidtrace.audio.decode import SAMPLE_RATE, decode_audio
from vidtrace.types import AudioPrints

N_FFT = 512
HOP = 256
FRAME_S = HOP / SAMPLE_RATE  # seconds per spectrogram frame (0.032)
MIN_HZ = 100.0  # below: hum and rumble
PEAK_HALF_T = 7  # frames each side of a peak's neighbourhood
PEAK_HALF_F = 12  # FFT bins each side
PEAKS_PER_S = 20
FLOOR_DB = 60.0  # a peak is at most this far below the loudest bin of the soundtrack
FAN_OUT = 5
MAX_DT = 40  # frames from anchor to target (1.28 s)
MAX_DF_HZ = 1000.0
MEL_STEPS = 64.0  # hash steps per natural-log unit of (1 + f / 700 Hz)

PRINT_VERSION = "landmark-1:8000Hz-512-256-20ps-fan5"


@dataclass(frozen=True)
class QueryPeaks:
    """The spectral peaks of a query's soundtrack: times float64[n] (seconds) and frequencies
    float64[n] (Hz, interpolated between bins), in time order; `duration` in seconds."""

    times: np.ndarray
    freqs: np.ndarray
    duration: float

    def __len__(self) -> int:
        return len(self.times)


def _spectrogram(samples: np.ndarray) -> np.ndarray:
    """Log magnitude float32[bins, frames] of `samples` (float32[n] at SAMPLE_RATE)."""
    n = 1 + (len(samples) - N_FFT) // HOP
    if n <= 0:
        return np.zeros((N_FFT // 2 + 1, 0), np.float32)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    frames = samples[idx] * np.hanning(N_FFT).astype(np.float32)
    mag = np.abs(np.fft.rfft(frames, axis=1)).T.astype(np.float32)
    return 20.0 * np.log10(mag + 1e-6)


def peaks(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frame int64[n], frequency float64[n] Hz) of the spectral peaks of float32 mono
    `samples` at SAMPLE_RATE, sorted by frame then frequency."""
    from scipy.ndimage import maximum_filter

    S = _spectrogram(samples)
    if S.shape[1] == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    local = maximum_filter(S, size=(2 * PEAK_HALF_F + 1, 2 * PEAK_HALF_T + 1), mode="nearest")
    low = int(np.ceil(MIN_HZ * N_FFT / SAMPLE_RATE))
    floor = max(float(S.max()) - FLOOR_DB, -80.0)
    mask = np.equal(S, local) & np.greater(S, floor)
    mask[:low] = False
    mask[-1] = False
    f, t = np.nonzero(mask)
    mag = S[f, t]
    # the strongest PEAKS_PER_S peaks of each second
    block = (t * FRAME_S).astype(np.int64)
    order = np.lexsort((-mag, block))
    f, t, block = f[order], t[order], block[order]
    first = np.searchsorted(block, block, side="left")
    keep = (np.arange(len(block)) - first) < PEAKS_PER_S
    f, t = f[keep], t[keep]
    # parabolic interpolation of the frequency between bins
    a, b, c = S[f - 1, t], S[f, t], S[f + 1, t]
    den = a - 2 * b + c
    delta = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
    hz = (f + np.clip(delta, -0.5, 0.5)) * SAMPLE_RATE / N_FFT
    order = np.lexsort((hz, t))
    return t[order].astype(np.int64), hz[order].astype(np.float64)


def pair_hashes(times: np.ndarray, freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash uint32[m], anchor index int64[m]) of peak pairs. `times` float64[n] in frames
    (may be fractional: a rescaled query), `freqs` float64[n] in Hz, sorted by time."""
    n = len(times)
    if n < 2:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    span = min(n - 1, 8 * FAN_OUT + MAX_DT)
    anchors, targets = [], []
    taken = np.zeros(n, np.int64)
    for k in range(1, span + 1):
        i = np.arange(n - k)
        j = i + k
        dt = times[j] - times[i]
        ok = (dt >= 1.0) & (dt <= MAX_DT) & (np.abs(freqs[j] - freqs[i]) <= MAX_DF_HZ)
        ok &= taken[i] < FAN_OUT
        taken[i[ok]] += 1
        anchors.append(i[ok])
        targets.append(j[ok])
    a, b = np.concatenate(anchors), np.concatenate(targets)
    q1, q2 = _mel(freqs[a]), _mel(freqs[b])
    dt = np.clip(np.rint(times[b] - times[a]), 1, 63).astype(np.uint32)
    return (q1 << 13) | (q2 << 6) | dt, a


def _mel(hz: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(MEL_STEPS * np.log1p(hz / 700.0)), 0, 127).astype(np.uint32)


def fingerprint(samples: np.ndarray) -> AudioPrints:
    """The stored fingerprint of a soundtrack (float32 mono at SAMPLE_RATE): every pair's
    hash and its anchor's frame (FRAME_S seconds each)."""
    t, f = peaks(samples)
    hashes, anchor = pair_hashes(t.astype(np.float64), f)
    return AudioPrints(PRINT_VERSION, FRAME_S, hashes, t[anchor].astype(np.int32))


def file_prints(path: str | Path) -> AudioPrints | None:
    """The fingerprint of `path`'s soundtrack, or None when it has none (no audio stream);
    VideoError when its audio cannot be decoded."""
    samples = decode_audio(path)
    return None if samples is None else fingerprint(samples)


def query_peaks(samples: np.ndarray | None) -> QueryPeaks:
    """A query's peaks (none for a query without sound)."""
    if samples is None:
        return QueryPeaks(np.zeros(0), np.zeros(0), 0.0)
    t, f = peaks(samples)
    return QueryPeaks(t * FRAME_S, f, len(samples) / SAMPLE_RATE)
