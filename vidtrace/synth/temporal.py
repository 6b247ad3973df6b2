"""Render edits of the transformation engine (stage 8): speed, frame rate, re-encoding.

They change how the renderer samples and encodes, not the pixels of a frame. With speed factor
s, output time t shows source time t * s, so a copy of d seconds lasts d / s in the query.
"""

from dataclasses import dataclass
from typing import ClassVar

from vidtrace.errors import ConfigError
from vidtrace.synth.base import EditKind, RenderEdit, check_int, check_range, set_checked


@dataclass(frozen=True)
class Speed(RenderEdit):
    """Play faster (factor > 1) or slower (< 1): output time t shows source time t * factor."""

    kind: ClassVar[EditKind] = EditKind.SPEED
    factor: float = 1.2

    def __post_init__(self) -> None:
        set_checked(self, "factor", check_range("speed", "factor", self.factor, 0.25, 4.0))


@dataclass(frozen=True)
class FrameRate(RenderEdit):
    """Write the output at `fps` frames per second (frames dropped or repeated by time)."""

    kind: ClassVar[EditKind] = EditKind.FPS
    fps: float = 15.0

    def __post_init__(self) -> None:
        set_checked(self, "fps", check_range("fps", "fps", self.fps, 1.0, 240.0))


@dataclass(frozen=True)
class Reencode(RenderEdit):
    """Encode at low quality: constant quality `crf` (0-51, higher is worse) or, when
    `bitrate_kbps` is given instead, a target bitrate in kbit/s. Neither given means crf 36."""

    kind: ClassVar[EditKind] = EditKind.REENCODE
    crf: int | None = None
    bitrate_kbps: int | None = None

    def __post_init__(self) -> None:
        if self.crf is not None and self.bitrate_kbps is not None:
            raise ConfigError("reencode edit: give crf or bitrate_kbps, not both")
        if self.crf is None and self.bitrate_kbps is None:
            set_checked(self, "crf", 36)
        if self.crf is not None:
            set_checked(self, "crf", check_int("reencode", "crf", self.crf, 0, 51))
        if self.bitrate_kbps is not None:
            set_checked(self, "bitrate_kbps",
                        check_int("reencode", "bitrate_kbps", self.bitrate_kbps, 16, 100_000))
