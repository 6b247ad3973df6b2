"""Helpers for the transformation engine's tests: where the real footage is, and decoding
videos the way the detector will."""

import os
from pathlib import Path

import numpy as np
import pytest

from tests.media import decode_frames

DATA = Path(os.environ.get("VIDTRACE_TEST_DATA", Path(__file__).resolve().parents[3] / "shared"
                           / "data"))


def data_file(relative: str) -> Path:
    """A file under the test-data folder; the test is skipped when it is missing."""
    path = DATA / relative
    if not path.is_file():
        pytest.skip(f"test footage {path} is not available")
    return path


def decode_all(path: Path, short_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Every frame of `path` as (times float64[T], frames uint8[T, H, W, 3]), decoded by the
    pipeline's own decoder (stage 1), so tests see videos the way the detector will."""
    return decode_frames(path, None, short_side=short_side, max_long_side=4 * short_side)


def frame_at(times: np.ndarray, frames: np.ndarray, t: float) -> np.ndarray:
    """The frame on screen at `t` s: the last one whose time is at or before t."""
    i = max(0, int(np.searchsorted(times, t + 1e-3, side="right")) - 1)
    return frames[i]


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared difference of two equally sized uint8 images."""
    return float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
