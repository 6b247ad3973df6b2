"""Hand-made similarity matrices for the stage-2 tests: background noise like unrelated frames,
and copied segments planted along a line."""

import numpy as np

from vidtrace.align.lis import AlignParams

Q_FPS, R_FPS = 2.0, 1.0
PARAMS = AlignParams(query_period_s=1 / Q_FPS, ref_period_s=1 / R_FPS)


def noise(rng: np.random.Generator, tq: int, tr: int) -> np.ndarray:
    """Background similarities like those of unrelated frames: mean 0.1, sd 0.08."""
    return rng.normal(0.1, 0.08, (tq, tr)).astype(np.float32)


def plant(S: np.ndarray, q_times: np.ndarray, q0: float, q1: float, r0: float, speed: float,
          rng: np.random.Generator) -> None:
    """Make query times in [q0, q1) similar (about 0.75) to reference time r0 + speed (t - q0)."""
    for i, t in enumerate(q_times):
        if q0 <= t < q1:
            j = round((r0 + (t - q0) * speed) * R_FPS)
            S[i, j] = 0.75 + rng.normal(0, 0.05)


def grid(q_len: float, r_len: float) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(int(q_len * Q_FPS)) / Q_FPS, np.arange(int(r_len * R_FPS)) / R_FPS
