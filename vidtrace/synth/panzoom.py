"""Pan/zoom footage from photographs, and joining it with video clips (stage 8, synth & eval).

A real photograph becomes a short video by a slow "Ken Burns" move: a window of the output's
aspect ratio glides over the photo while it zooms in or out. The move is fully determined by a
`PanZoom` (photo, duration, zoom and position at the start and at the end), so the same record
always renders the same frames and round-trips through JSON for a benchmark's `sources.json`.
There are far more photos than clips, so this is how `build_benchmark` makes many long reference
videos from little footage. `join_footage` writes clips and pan/zoom segments as one video.

Geometry. The base window is the largest window of the output aspect that fits in the photo;
at zoom z the window is the base window / z (z >= 1). Its position is given as fractions of the
free space, 0 = left/top edge, 1 = right/bottom edge, so the window never leaves the photo. At
time t of a segment of length D, with p = t / D: zoom = z0 * (z1 / z0) ** p (a constant zoom
rate) and position = start + p * (end - start); the window is sampled with sub-pixel precision,
so the motion is smooth rather than stepping by whole pixels.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

import cv2
import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.synth.videoio import Fit, FrameReader, VideoWriter, output_rate

# Random moves zoom between these factors: slow enough to look like a documentary pan.
ZOOM_RANGE = (1.0, 1.6)


@dataclass(frozen=True)
class PanZoom:
    """A Ken Burns move over `photo` lasting `duration_s` seconds: zoom from `zoom_start` to
    `zoom_end` (each >= 1, 1 = the base window), window position from (`x_start`, `y_start`) to
    (`x_end`, `y_end`) as fractions in [0, 1] of the free space (see the module docstring)."""

    photo: str
    duration_s: float
    zoom_start: float = 1.0
    zoom_end: float = 1.3
    x_start: float = 0.5
    y_start: float = 0.5
    x_end: float = 0.5
    y_end: float = 0.5

    def __post_init__(self) -> None:
        if not str(self.photo):
            raise ConfigError("pan/zoom: photo must be the path of an image file")
        object.__setattr__(self, "photo", str(self.photo))
        if not 0 < self.duration_s <= 3600:
            raise ConfigError(f"pan/zoom: duration_s must be in (0, 3600] s, got "
                              f"{self.duration_s}")
        for name in ("zoom_start", "zoom_end"):
            if not 1.0 <= getattr(self, name) <= 8.0:
                raise ConfigError(f"pan/zoom: {name} must be in [1, 8], got "
                                  f"{getattr(self, name)}")
        for name in ("x_start", "y_start", "x_end", "y_end"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"pan/zoom: {name} must be in [0, 1], got "
                                  f"{getattr(self, name)}")

    def window(self, t: float, photo_w: float, photo_h: float, aspect: float) -> tuple[
            float, float, float, float]:
        """The window (x0, y0, w, h) in photo pixels shown at `t` seconds (clamped to the
        segment), for an output of aspect w / h = `aspect`."""
        p = min(max(t / self.duration_s, 0.0), 1.0)
        zoom = self.zoom_start * (self.zoom_end / self.zoom_start) ** p
        base_w = min(photo_w, photo_h * aspect)
        w, h = base_w / zoom, base_w / aspect / zoom
        fx = self.x_start + p * (self.x_end - self.x_start)
        fy = self.y_start + p * (self.y_end - self.y_start)
        return fx * (photo_w - w), fy * (photo_h - h), w, h

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "PanZoom":
        """A `PanZoom` from `to_json` output; ConfigError for missing or unknown keys."""
        try:
            return cls(**doc)
        except TypeError as e:
            raise ConfigError(f"not a pan/zoom record: {doc!r} ({e})") from None


def random_panzoom(rng: np.random.Generator, photo: str | Path,
                   duration_s: tuple[float, float]) -> PanZoom:
    """A random move over `photo`: duration uniform in `duration_s` (min, max) seconds, a zoom
    in or out between a factor near 1 and one of 1.25-1.6, start and end positions uniform.
    Values are rounded to 3 decimals so the JSON record is exactly what is rendered."""
    lo, hi = duration_s
    if not 0 < lo <= hi:
        raise ConfigError(f"pan/zoom duration range must be (min, max) with 0 < min <= max, "
                          f"got {duration_s}")

    def u(a: float, b: float) -> float:
        return round(float(rng.uniform(a, b)), 3)

    near, far = u(ZOOM_RANGE[0], 1.1), u(1.25, ZOOM_RANGE[1])
    zoom_start, zoom_end = (near, far) if rng.random() < 0.5 else (far, near)
    return PanZoom(str(photo), u(lo, hi), zoom_start, zoom_end, u(0, 1), u(0, 1), u(0, 1),
                   u(0, 1))


@lru_cache(maxsize=4)
def _load_photo(path: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ConfigError(f"{path}: cannot be read as a photo; give a JPEG or PNG file")
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False
    return rgb


class PanZoomReader:
    """Frames of a `PanZoom` as RGB uint8[h, w, 3] of `size` (w, h), by time, with the same
    `frame_at` contract as `FrameReader`: None once t is past the segment's end."""

    def __init__(self, motion: PanZoom, size: tuple[int, int]) -> None:
        self.motion = motion
        self.size = size
        photo = _load_photo(motion.photo)
        out_w, out_h = size
        ph, pw = photo.shape[:2]
        # Shrink a large photo once, so that even the tightest window is sampled at about
        # one photo pixel per output pixel and bilinear sampling does not alias.
        base_w = min(pw, ph * out_w / out_h)
        scale = min(1.0, out_w * max(motion.zoom_start, motion.zoom_end) / base_w)
        if scale < 1.0:
            photo = cv2.resize(photo, (max(1, round(pw * scale)), max(1, round(ph * scale))),
                               interpolation=cv2.INTER_AREA)
        self._photo = photo

    @property
    def end_s(self) -> float:
        return self.motion.duration_s

    def frame_at(self, t: float) -> np.ndarray | None:
        """The frame at `t` seconds from the segment's start, or None for t >= duration."""
        if t >= self.motion.duration_s:
            return None
        out_w, out_h = self.size
        ph, pw = self._photo.shape[:2]
        x0, y0, w, h = self.motion.window(t, pw, ph, out_w / out_h)
        sx, sy = w / out_w, h / out_h
        # Output pixel centre (u + 0.5) maps to photo coordinate x0 + (u + 0.5) * sx - 0.5.
        to_photo = np.array([[sx, 0.0, x0 + 0.5 * sx - 0.5], [0.0, sy, y0 + 0.5 * sy - 0.5]])
        return cv2.warpAffine(self._photo, to_photo, (out_w, out_h),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)

    def close(self) -> None:
        """Nothing to release (the photo is cached); for symmetry with `FrameReader`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Footage = Path | PanZoom
"""A part of a joined video: a video clip's path, or a pan/zoom move over a photo."""


def join_footage(
    parts: Sequence[Footage], out: Path, *, fps: float = 25.0,
    size: tuple[int, int] = (640, 360), crf: int = 18, preset: str = "veryfast",
) -> list[tuple[Footage, float, float]]:
    """Write `parts` one after the other as video `out` of `size` (w, h) at `fps`: clips whole
    and letterboxed to size (as `concat_videos` does), pan/zoom moves rendered at size.

    Returns (part, start_s, end_s) per part: output second start_s + x shows the part's frame at
    its second x, for 0 <= x < end_s - start_s (the part's length rounded up to whole frames).
    """
    if not parts:
        raise ConfigError("join_footage needs at least one clip or pan/zoom move")
    rate = output_rate(fps)
    spans: list[tuple[Footage, float, float]] = []
    with VideoWriter(out, size[0], size[1], rate, crf=crf, preset=preset) as writer:
        for part in parts:
            first = writer.frames
            reader = (PanZoomReader(part, size) if isinstance(part, PanZoom)
                      else FrameReader(part, size, Fit.LETTERBOX))
            with reader:
                while (image := reader.frame_at(float((writer.frames - first) / rate))
                       ) is not None:
                    writer.write(image)
            source = part if isinstance(part, PanZoom) else Path(part)
            spans.append((source, float(first / rate), float(writer.frames / rate)))
    return spans


def render_panzoom(
    motion: PanZoom, out: Path, *, fps: float = 25.0, size: tuple[int, int] = (640, 360),
    crf: int = 18, preset: str = "veryfast",
) -> float:
    """Write `motion` alone as video `out`; return its length in seconds (whole frames)."""
    return join_footage([motion], out, fps=fps, size=size, crf=crf, preset=preset)[0][2]
