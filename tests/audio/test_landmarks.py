"""Landmark fingerprints (audio/landmarks.py) on hand-made sound with known peaks."""

import numpy as np

from vidtrace.audio.decode import SAMPLE_RATE
from vidtrace.audio.landmarks import (
    FRAME_S,
    PRINT_VERSION,
    fingerprint,
    pair_hashes,
    peaks,
    query_peaks,
)
from vidtrace.audio.match import AudioParams


def tone_bursts(seconds: float, seed: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Music-like sound: every 0.25 s a chord of 2-3 sine tones at random frequencies
    (200-3000 Hz), each note with a decaying envelope; float32 mono at `rate`."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n, np.float32)
    note = int(0.25 * rate)
    t = np.arange(note) / rate
    for start in range(0, n - note, note):
        chord = sum(np.sin(2 * np.pi * f * t) for f in rng.uniform(200, 3000, rng.integers(2, 4)))
        out[start:start + note] += (chord * np.exp(-6 * t)).astype(np.float32) * 0.3
    return out


def test_a_pure_tone_peaks_at_its_frequency() -> None:
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    frames, hz = peaks((0.5 * np.sin(2 * np.pi * 1234.0 * t)).astype(np.float32))
    assert len(hz) > 0
    assert np.all(np.abs(hz - 1234.0) < 8.0)  # bins are 15.6 Hz wide; interpolation helps
    assert frames.min() >= 0 and frames.max() * FRAME_S < 3.0


def test_silence_has_no_prints() -> None:
    prints = fingerprint(np.zeros(5 * SAMPLE_RATE, np.float32))
    assert len(prints) == 0 and prints.version == PRINT_VERSION


def test_prints_are_deterministic_and_dense_enough() -> None:
    x = tone_bursts(10, seed=1)
    a, b = fingerprint(x), fingerprint(x.copy())
    assert np.array_equal(a.hashes, b.hashes) and np.array_equal(a.ticks, b.ticks)
    assert 30 * 10 < len(a) < 150 * 10  # pairs per second: 20 peaks x at most 5 targets
    assert a.tick_s == FRAME_S and a.hashes.dtype == np.uint32


def test_a_rescaled_query_hashes_like_the_reference() -> None:
    """Peaks of the reference moved to 1.1x frequency and 1/1.1 time, mapped back by the
    right speed, give the reference's hashes (what matching relies on)."""
    frames, hz = peaks(tone_bursts(8, seed=2))
    ref_h, _ = pair_hashes(frames.astype(np.float64), hz)
    q_frames, q_hz = frames / 1.1, hz * 1.1
    back, _ = pair_hashes(q_frames * 1.1, q_hz / 1.1)
    assert np.mean(np.isin(back, ref_h)) > 0.95
    off, _ = pair_hashes(q_frames, q_hz)  # without mapping back: few agree
    assert np.mean(np.isin(off, ref_h)) < 0.2


def test_query_peaks_of_no_sound() -> None:
    q = query_peaks(None)
    assert len(q) == 0 and q.duration == 0.0


def test_the_speed_grid_spans_the_range_in_2_percent_steps() -> None:
    grid = AudioParams().speeds()
    assert grid[0] >= 0.8 * 0.999 and grid[-1] <= 1.5 * 1.001
    assert np.any(np.isclose(grid, 1.0))
    assert np.allclose(grid[1:] / grid[:-1], 1.02)
    assert grid[0] < 0.82 and grid[-1] > 1.47
