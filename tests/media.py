"""Test helpers on decoded media (not part of vidtrace: its stages stream frames)."""

from pathlib import Path

import numpy as np

from vidtrace.video.decode import iter_frames


def decode_frames(path: str | Path, fps: float | None, short_side: int = 224,
                  max_long_side: int = 400, *, sampling: str = "fixed"
                  ) -> tuple[np.ndarray, np.ndarray]:
    """All frames `iter_frames` yields, at once: (times float64[T], frames uint8[T, H, W, 3])."""
    times: list[float] = []
    frames: list[np.ndarray] = []
    for t, image in iter_frames(path, fps, short_side, max_long_side, sampling=sampling):
        times.append(t)
        frames.append(image)
    return np.asarray(times, dtype=np.float64), np.stack(frames)
