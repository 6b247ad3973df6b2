"""Picture-in-picture edit of the transformation engine (stage 8).

The copied video is shrunk and laid over frames of *other* real footage, the way copies are
hidden inside reaction and compilation videos. The background is another video file, read in
step with the output time (from `offset_s`, looping when it runs out) and cropped to cover the
frame, so the output keeps the input frame size.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.synth.base import EditKind, SpatialEdit, check_range, set_checked
from vidtrace.synth.geometry import fit_inside, resize
from vidtrace.synth.videoio import Fit, FrameReader


@dataclass(frozen=True)
class PictureInPicture(SpatialEdit):
    """Shrink the frame to `size` x the frame width (aspect kept) and place it over the
    background video `background` at time offset_s + t. x and y place the inset within the
    free space: 0 = left/top edge, 1 = right/bottom edge."""

    kind: ClassVar[EditKind] = EditKind.PIP
    background: str = ""
    offset_s: float = 0.0
    size: float = 0.5
    x: float = 0.5
    y: float = 0.5
    # The open background reader and its length once known; not a parameter.
    _state: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.background, str | Path) or not str(self.background):
            raise ConfigError("pip edit: background must be the path of a video file")
        set_checked(self, "background", str(self.background))
        set_checked(self, "offset_s", check_range("pip", "offset_s", self.offset_s, 0.0, 1e6))
        set_checked(self, "size", check_range("pip", "size", self.size, 0.05, 1.0))
        set_checked(self, "x", check_range("pip", "x", self.x, 0.0, 1.0))
        set_checked(self, "y", check_range("pip", "y", self.y, 0.0, 1.0))

    def _background_at(self, t: float, width: int, height: int) -> np.ndarray:
        reader = self._state.get("reader")
        if reader is None or reader.size != (width, height):
            self.close()
            reader = FrameReader(self.background, (width, height), Fit.COVER)
            self._state["reader"] = reader
        bg_t = self.offset_s + t
        period = self._state.get("period")
        if period is not None:
            bg_t = _wrap(bg_t, period)
        frame = reader.frame_at(bg_t)
        if frame is None:  # ran past the end: its length is known now, so loop
            self._state["period"] = period = reader.end_s
            if period:
                frame = reader.frame_at(_wrap(bg_t, period))
        if frame is None:
            raise ConfigError(f"pip edit: no background frame at {bg_t:.2f} s of {self.background}")
        return frame

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        out = self._background_at(t, w, h).copy()
        iw, ih = fit_inside(w, h, max(2, round(self.size * w)), h)
        x = round(self.x * (w - iw))
        y = round(self.y * (h - ih))
        out[y : y + ih, x : x + iw] = resize(frame, iw, ih)
        return out

    def close(self) -> None:
        reader = self._state.pop("reader", None)
        if reader is not None:
            reader.close()


def _wrap(t: float, period: float) -> float:
    """t looped into [0, period); a time within a millisecond of the end is the start again (the
    reader has no frame there: its last frame ends at `period`)."""
    t %= period
    return 0.0 if t >= period - 1e-3 else t
