"""Speed changes of a soundtrack (stage 1, audio): resampling (the pitch moves with the
speed) and WSOLA time stretching (the pitch kept). Sound edits of the synthetic engine and the
Chromaprint matcher's speed variants both use them."""

from fractions import Fraction

import numpy as np

from vidtrace.errors import ConfigError

RATE = 22050
STRETCH_WINDOW_S = 0.04  # WSOLA frame: longer than a voice's pitch period, shorter than a note


def resampled(samples: np.ndarray, speed: float) -> np.ndarray:
    """`samples` played `speed` times faster by resampling (pitch times `speed` too)."""
    from scipy.signal import resample_poly

    if not 0.1 <= speed <= 10:
        raise ConfigError(f"speed must lie in [0.1, 10], got {speed}")
    f = Fraction(speed).limit_denominator(200)
    return resample_poly(samples, f.denominator, f.numerator).astype(np.float32)


def stretched(samples: np.ndarray, speed: float, rate: int = RATE) -> np.ndarray:
    """`samples` (float32 mono at `rate` Hz) played `speed` times faster with the pitch kept:
    WSOLA (Verhelst and Roelands, ICASSP 1993). Output frames of `STRETCH_WINDOW_S` (Hann,
    half overlapping) are taken from the input around `speed` times their output position,
    each moved by up to a quarter window to where the input is most like the natural
    continuation of the frame taken before it (cross-correlation), so waveforms join without
    phase jumps. Output length round(len / speed)."""
    if not 0.25 <= speed <= 4:
        raise ConfigError(f"stretch speed must lie in [0.25, 4], got {speed}")
    x = np.asarray(samples, np.float32)
    n_out = round(len(x) / speed)
    size = 2 * max(8, round(STRETCH_WINDOW_S * rate / 2))
    hop, half, tol = size // 2, size // 2, size // 4
    pad = size + tol
    xp = np.pad(x, (pad, pad + size + int(np.ceil(hop * speed))))
    window = np.hanning(size + 1)[:size].astype(np.float32)  # periodic: sums to 1 at 50 %
    out = np.zeros(n_out + 2 * size, np.float32)
    prev = -1
    for k in range(n_out // hop + 2):
        ideal = pad + round(k * hop * speed) - half  # frame start in xp
        pos = ideal
        if prev >= 0:
            natural = xp[prev + hop:prev + hop + size]
            region = xp[ideal - tol:ideal + tol + size]
            pos = ideal - tol + int(np.argmax(np.correlate(region, natural, "valid")))
        start = size + k * hop - half
        out[start:start + size] += xp[pos:pos + size] * window
        prev = pos
    return out[size:size + n_out]
