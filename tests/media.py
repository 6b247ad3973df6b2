"""Test helpers on decoded media (not part of vidtrace: its stages stream frames)."""

from pathlib import Path

import numpy as np

from vidtrace.synth import PictureInPicture
from vidtrace.synth.pip import inset_box
from vidtrace.video import probe
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


def pip_box(edit: PictureInPicture, path: Path, frames: np.ndarray
            ) -> tuple[float, float, float, float]:
    """Where `edit` put the inset in the video at `path`, from its parameters and the engine's
    geometry (the rendered frame size, `inset_box` as `PictureInPicture.apply` places it),
    scaled to `frames` (uint8[T, H, W, 3], that video decoded): (x0, y0, x1, y1)."""
    info = probe(path)
    w, h = info.width, info.height
    x, y, iw, ih = inset_box(w, h, edit.size, edit.x, edit.y)
    sx, sy = frames.shape[2] / w, frames.shape[1] / h
    return x * sx, y * sy, (x + iw) * sx, (y + ih) * sy
