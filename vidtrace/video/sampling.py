"""Stage 1, video: which decoded frames `iter_frames` keeps, one picker per sampling mode
(`vidtrace.settings.Sampling`; docs/backends.md): a fixed rate, key frames only, or content change.

A picker sees every decoded frame in time order and answers `keep`; decode.py does the decoding
(and, for key frames, tells FFmpeg to skip everything else).
"""

import math
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.settings import Sampling

if TYPE_CHECKING:
    from av import VideoFrame
    from av.video.reformatter import VideoReformatter

# Later frames may carry a timestamp a hair before the target because of rounding in the
# container's time base; this slack avoids skipping them.
TIME_SLACK_S = 1e-3

# Scene sampling compares 32x18 grey thumbnails by mean absolute difference (0-255). A thumbnail
# pixel averages ~40x40 pixels of a 720p frame, so compression noise (a few levels per pixel)
# averages out; what is left in a still shot is flicker and small motion. On the 20 clips of
# ../shared/data/videos, frames 0.25 s apart in still or slow shots differ by at most ~6, and
# the last frame of one clip and the first of another (a hard cut) by 49 (10th percentile) to 70
# (median). 12 is twice that floor and a quarter of a typical cut: a cut passes it at once, a pan
# of 1/80 of the width a frame within 3 frames on detailed content (a forest) and ~15 on smooth
# content (a road); a still shot's slow drift passes it only once it has added up, since frames
# are compared with the last kept one.
SCENE_THRESHOLD = 12.0
# Gaps between kept frames in sampling periods (1 / fps): changes are followed at up to 4x the
# rate, and a still shot gets a frame every 2 periods, so no stretch goes undescribed for long.
SCENE_MIN_GAP = 0.25
SCENE_MAX_GAP = 2.0
_THUMB_SIZE = (32, 18)


def frame_selector(sampling: str, fps: float | None) -> "FrameSelector":
    """The frame picker for mode `sampling` at rate `fps`; ConfigError for a bad pair."""
    if sampling not in tuple(Sampling):
        raise ConfigError(f"unknown sampling mode {sampling!r}; choose one of "
                          f"{', '.join(Sampling)}")
    if fps is not None and not (fps > 0 and math.isfinite(fps)):
        raise ConfigError(f"sampling rate fps={fps} must be a positive finite rate, or None for "
                          "every frame")
    if sampling == "keyframes":
        return KeyFrames(fps)
    if sampling == "scene":
        if fps is None:
            raise ConfigError("scene sampling needs a rate: fps sets its gaps (a frame at least "
                              f"every {SCENE_MAX_GAP:g}/fps s); give fps, e.g. 1.0")
        return SceneChange(fps)
    return FixedRate(fps)


class FrameSelector(ABC):
    """Decides, in time order, which decoded frames `iter_frames` yields."""

    @abstractmethod
    def keep(self, t: float, frame: "VideoFrame") -> bool:
        """Whether the frame at `t` s (later than every frame kept so far) is kept; True means
        it will be yielded."""


class FixedRate(FrameSelector):
    """The first frame at or after each target time k / fps; every frame when fps is None."""

    def __init__(self, fps: float | None) -> None:
        self.fps = fps
        self.next_target = 0.0

    def keep(self, t: float, frame: "VideoFrame") -> bool:
        if self.fps is None:
            return True
        if t < self.next_target - TIME_SLACK_S:
            return False
        while self.next_target <= t + TIME_SLACK_S:
            self.next_target += 1.0 / self.fps
        return True


class KeyFrames(FrameSelector):
    """Every key frame, but none within 1 / fps s of the last kept one when fps is given (an
    all-intra file is not described at its full rate)."""

    def __init__(self, fps: float | None) -> None:
        self.min_gap = 0.0 if fps is None else 1.0 / fps
        self.last: float | None = None

    def keep(self, t: float, frame: "VideoFrame") -> bool:
        # A decoder that ignores skip_frame still hands over the other frames.
        if not frame.key_frame:
            return False
        if self.last is not None and t - self.last < self.min_gap - TIME_SLACK_S:
            return False
        self.last = t
        return True


class SceneChange(FrameSelector):
    """A frame whose thumbnail differs from the last kept one's by more than SCENE_THRESHOLD,
    at least SCENE_MIN_GAP / fps s after it; any frame SCENE_MAX_GAP / fps s after it."""

    def __init__(self, fps: float) -> None:
        self.min_gap = SCENE_MIN_GAP / fps
        self.max_gap = SCENE_MAX_GAP / fps
        self.last = -math.inf
        self.thumb: np.ndarray | None = None
        # Its own scaler, so that the one making the RGB output is not reconfigured per frame.
        self.reformatter: VideoReformatter | None = None

    def keep(self, t: float, frame: "VideoFrame") -> bool:
        gap = t - self.last
        if gap < self.min_gap - TIME_SLACK_S:
            return False  # too soon whatever changed: skip the thumbnail
        thumb = self._thumbnail(frame)
        if self.thumb is not None and gap < self.max_gap - TIME_SLACK_S:
            change = float(np.abs(thumb - self.thumb).mean())
            if change <= SCENE_THRESHOLD:
                return False
        self.last, self.thumb = t, thumb
        return True

    def _thumbnail(self, frame: "VideoFrame") -> np.ndarray:
        """`frame` as grey int16[18, 32], each pixel the mean of its area."""
        if self.reformatter is None:
            from av.video.reformatter import VideoReformatter

            self.reformatter = VideoReformatter()
        small = self.reformatter.reformat(frame, width=_THUMB_SIZE[0], height=_THUMB_SIZE[1],
                                          format="gray", interpolation="AREA")
        return small.to_ndarray().astype(np.int16)
