"""Picture-in-picture edits of the transformation engine (stage 8).

`PictureInPicture`: the copied video is shrunk and laid over frames of *other* real footage,
the way copies are hidden inside reaction and compilation videos. The background is another
video file, read in step with the output time (from `offset_s`, looping when it runs out) or
frozen at `offset_s` (`still`), and cropped to cover the frame, so the output keeps the input
frame size.

`Inset`, the reverse: the copy stays the background and a *foreign* video (a face cam, another
clip) is shrunk and laid over it. Both may draw a frame line around the inset.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.synth.base import (
    EditKind,
    Rgb,
    SpatialEdit,
    check_bool,
    check_color,
    check_int,
    check_range,
    set_checked,
)
from vidtrace.synth.geometry import fit_inside, resize
from vidtrace.synth.videoio import Fit, FrameReader

# A frame line this thick or thicker would hide more than it frames.
MAX_FRAME_PX = 64


def _check_video(edit: str, name: str, value: object) -> str:
    if not isinstance(value, str | Path) or not str(value):
        raise ConfigError(f"{edit} edit: {name} must be the path of a video file")
    return str(value)


def _looped_frame(state: dict[str, Any], path: str, edit: str, t: float,
                  size: tuple[int, int]) -> np.ndarray:
    """The frame of video `path` at second `t`, looped over its length, covering `size` (w, h);
    the open reader and the video's length, once known, are kept in `state`."""
    reader = state.get("reader")
    if reader is None or reader.size != size:
        _close(state)
        reader = FrameReader(path, size, Fit.COVER)
        state["reader"] = reader
    period = state.get("period")
    if period is not None:
        t = _wrap(t, period)
    frame = reader.frame_at(t)
    if frame is None:  # ran past the end: its length is known now, so loop
        state["period"] = period = reader.end_s
        if period:
            frame = reader.frame_at(_wrap(t, period))
    if frame is None:
        raise ConfigError(f"{edit} edit: no frame at {t:.2f} s of {path}")
    return frame


def _close(state: dict[str, Any]) -> None:
    reader = state.pop("reader", None)
    if reader is not None:
        reader.close()


def inset_box(w: int, h: int, size: float, x: float, y: float) -> tuple[int, int, int, int]:
    """(left, top, width, height) of an inset `size` x the frame width (aspect w:h kept),
    placed at x, y within the free space (0 = left/top edge, 1 = right/bottom edge)."""
    iw, ih = fit_inside(w, h, max(2, round(size * w)), h)
    return round(x * (w - iw)), round(y * (h - ih)), iw, ih


def draw_frame_line(image: np.ndarray, box: tuple[int, int, int, int], px: int,
                    color: Rgb) -> None:
    """Draw, in place, a line `px` pixels thick just outside `box` (left, top, width, height),
    clipped to the image; the box's own pixels are left as they are."""
    if px <= 0:
        return
    x, y, iw, ih = box
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(0, x - px), max(0, y - px), min(w, x + iw + px), min(h, y + ih + px)
    image[y0:y, x0:x1] = color
    image[y + ih : y1, x0:x1] = color
    image[y0:y1, x0:x] = color
    image[y0:y1, x + iw : x1] = color


def inset_alpha(iw: int, ih: int, corner: float, soft: float) -> np.ndarray | None:
    """float32[ih, iw] opacity of an inset iw x ih with rounded corners of radius `corner` x
    its shorter side and an edge that fades out over `soft` x its shorter side (a feathered
    edge), or None when it is a plain opaque rectangle (both 0). A hard edge is smoothed over
    one pixel, as a renderer's anti-aliasing does."""
    if corner <= 0 and soft <= 0:
        return None
    short = min(iw, ih)
    r = corner * short
    px = np.abs(np.arange(iw, dtype=np.float32) + 0.5 - iw / 2)[None, :] - (iw / 2 - r)
    py = np.abs(np.arange(ih, dtype=np.float32) + 0.5 - ih / 2)[:, None] - (ih / 2 - r)
    outside = np.hypot(np.maximum(px, 0), np.maximum(py, 0)) + np.minimum(np.maximum(px, py), 0)
    depth = r - outside  # pixels inside the rounded rectangle's edge (negative outside)
    ramp = max(1.0, soft * short)
    return np.clip(depth / ramp + (0.5 if soft <= 0 else 0.0), 0.0, 1.0).astype(np.float32)


def _lay(out: np.ndarray, box: tuple[int, int, int, int], picture: np.ndarray,
         alpha: np.ndarray | None) -> None:
    """Lay `picture` (uint8[ih, iw, 3]) into `out` at box (left, top, iw, ih), in place, through
    the opacity `alpha` (see `inset_alpha`; None: opaque)."""
    x, y, iw, ih = box
    if alpha is None:
        out[y : y + ih, x : x + iw] = picture
        return
    under = out[y : y + ih, x : x + iw].astype(np.float32)
    a = alpha[..., None]
    out[y : y + ih, x : x + iw] = np.round(picture * a + under * (1.0 - a)).astype(np.uint8)


def _check_shape(edit: str, obj: Any) -> None:
    set_checked(obj, "corner", check_range(edit, "corner", obj.corner, 0.0, 0.5))
    set_checked(obj, "soft", check_range(edit, "soft", obj.soft, 0.0, 0.25))


@dataclass(frozen=True)
class PictureInPicture(SpatialEdit):
    """Shrink the frame to `size` x the frame width (aspect kept) and place it over the
    background video `background` at time offset_s + t (at offset_s throughout when `still`).
    x and y place the inset within the free space: 0 = left/top edge, 1 = right/bottom edge.
    frame_px > 0 draws a line of that many pixels in `frame_color` around the inset. `corner`
    rounds the inset's corners (radius as a share of its shorter side, 0-0.5) and `soft` fades
    its edge out over that share of its shorter side (0-0.25), as phone editors draw insets;
    a frame line stays square."""

    kind: ClassVar[EditKind] = EditKind.PIP
    background: str = ""
    offset_s: float = 0.0
    size: float = 0.5
    x: float = 0.5
    y: float = 0.5
    frame_px: int = 0
    frame_color: Rgb = (255, 255, 255)
    still: bool = False
    corner: float = 0.0
    soft: float = 0.0
    # The open background reader and its length once known; not a parameter.
    _state: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_checked(self, "background", _check_video("pip", "background", self.background))
        set_checked(self, "offset_s", check_range("pip", "offset_s", self.offset_s, 0.0, 1e6))
        set_checked(self, "size", check_range("pip", "size", self.size, 0.05, 1.0))
        set_checked(self, "x", check_range("pip", "x", self.x, 0.0, 1.0))
        set_checked(self, "y", check_range("pip", "y", self.y, 0.0, 1.0))
        set_checked(self, "frame_px", check_int("pip", "frame_px", self.frame_px, 0,
                                                MAX_FRAME_PX))
        set_checked(self, "frame_color", check_color("pip", "frame_color", self.frame_color))
        set_checked(self, "still", check_bool("pip", "still", self.still))
        _check_shape("pip", self)

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        if self.still:
            key = f"still-{w}x{h}"
            if key not in self._state:
                self._state[key] = _looped_frame(self._state, self.background, "pip",
                                                 self.offset_s, (w, h)).copy()
                _close(self._state)
            out = self._state[key].copy()
        else:
            out = _looped_frame(self._state, self.background, "pip", self.offset_s + t,
                                (w, h)).copy()
        box = inset_box(w, h, self.size, self.x, self.y)
        _lay(out, box, resize(frame, box[2], box[3]),
             inset_alpha(box[2], box[3], self.corner, self.soft))
        draw_frame_line(out, box, self.frame_px, self.frame_color)
        return out

    def close(self) -> None:
        _close(self._state)


@dataclass(frozen=True)
class Inset(SpatialEdit):
    """Reversed picture-in-picture: the frame stays and the foreign video `foreign`, at time
    offset_s + t (looping), is cropped to the frame's aspect, shrunk to `size` x the frame
    width and laid over it at x, y (0 = left/top edge, 1 = right/bottom edge of the free
    space). frame_px > 0 draws a line of that many pixels in `frame_color` around it; `corner`
    and `soft` shape it as for `PictureInPicture`."""

    kind: ClassVar[EditKind] = EditKind.INSET
    foreign: str = ""
    offset_s: float = 0.0
    size: float = 0.3
    x: float = 1.0
    y: float = 1.0
    frame_px: int = 0
    frame_color: Rgb = (255, 255, 255)
    corner: float = 0.0
    soft: float = 0.0
    _state: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_checked(self, "foreign", _check_video("inset", "foreign", self.foreign))
        set_checked(self, "offset_s", check_range("inset", "offset_s", self.offset_s, 0.0, 1e6))
        set_checked(self, "size", check_range("inset", "size", self.size, 0.05, 0.9))
        set_checked(self, "x", check_range("inset", "x", self.x, 0.0, 1.0))
        set_checked(self, "y", check_range("inset", "y", self.y, 0.0, 1.0))
        set_checked(self, "frame_px", check_int("inset", "frame_px", self.frame_px, 0,
                                                MAX_FRAME_PX))
        set_checked(self, "frame_color", check_color("inset", "frame_color", self.frame_color))
        _check_shape("inset", self)

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        out = frame.copy()
        box = inset_box(w, h, self.size, self.x, self.y)
        foreign = _looped_frame(self._state, self.foreign, "inset", self.offset_s + t,
                                (box[2], box[3]))
        _lay(out, box, foreign, inset_alpha(box[2], box[3], self.corner, self.soft))
        draw_frame_line(out, box, self.frame_px, self.frame_color)
        return out

    def close(self) -> None:
        _close(self._state)


def _wrap(t: float, period: float) -> float:
    """t looped into [0, period); a time within a millisecond of the end is the start again (the
    reader has no frame there: its last frame ends at `period`)."""
    t %= period
    return 0.0 if t >= period - 1e-3 else t
