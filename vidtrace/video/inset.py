"""Query-side inset records (stage 1, video): a rectangle of the query's frames that is
described as an extra view (a picture-in-picture inset, a picture inside a canvas or on a still
background), what was found per window of a query, and the helpers the detectors share.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Inset:
    """A picture-in-picture rectangle: columns [x0, x1) and rows [y0, y1) in pixels of frames
    of frame_w x frame_h pixels (the frames it was found in); `confidence` in [0, 1]."""

    x0: int
    y0: int
    x1: int
    y1: int
    frame_w: int
    frame_h: int
    confidence: float

    def __post_init__(self) -> None:
        if not (0 <= self.x0 < self.x1 <= self.frame_w and 0 <= self.y0 < self.y1 <= self.frame_h):
            raise ValueError(f"inset {self.box} is empty or outside its {self.frame_w}x"
                             f"{self.frame_h} frame")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"inset confidence {self.confidence} is not in [0, 1]")

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in pixels."""
        return self.x0, self.y0, self.x1, self.y1

    def box_in(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) scaled to frames of width x height pixels (same picture, another
        size), at least one pixel each way."""
        sx, sy = width / self.frame_w, height / self.frame_h
        x0, y0 = min(round(self.x0 * sx), width - 1), min(round(self.y0 * sy), height - 1)
        return x0, y0, max(x0 + 1, round(self.x1 * sx)), max(y0 + 1, round(self.y1 * sy))

    def iou(self, box: Sequence[float]) -> float:
        """Intersection over union with another (x0, y0, x1, y1) box in the same pixels."""
        ix = min(self.x1, box[2]) - max(self.x0, box[0])
        iy = min(self.y1, box[3]) - max(self.y0, box[1])
        inter = max(0.0, ix) * max(0.0, iy)
        area = (self.x1 - self.x0) * (self.y1 - self.y0)
        union = area + (box[2] - box[0]) * (box[3] - box[1]) - inter
        return float(inter / union) if union > 0 else 0.0


@dataclass(frozen=True)
class InsetWindow:
    """What `detect_insets_over_time` found in the query frames with times in
    [start_s, end_s): an inset, or None. `carried`: the inset was found in a neighbouring
    window, not in this one (views.inset_windows). `canvas`: the box is a picture inside a
    canvas or fill (the rest of the frame shows no other footage), not an inset over a host."""

    start_s: float
    end_s: float
    inset: Inset | None
    carried: bool = False
    canvas: bool = False


def grey_stack(frames: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """uint8[T, H, W] grey levels of RGB uint8[H, W, 3] frames (or grey uint8[H, W])."""
    import cv2

    out = []
    for frame in frames:
        image = np.asarray(frame)
        if image.dtype != np.uint8:
            raise ValueError(f"frames must be uint8, got {image.dtype}")
        if image.ndim == 3 and image.shape[2] == 3:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        if image.ndim != 2:
            raise ValueError(f"a frame must be [H, W, 3] RGB or [H, W] grey, got {image.shape}")
        out.append(image)
    if not out:
        raise ValueError("detect_inset needs at least one frame")
    if len({image.shape for image in out}) > 1:
        raise ValueError("all frames of a run must have the same size")
    return np.stack(out)


def crop_inset(frame: np.ndarray, inset: Inset, trim: float = 0.0) -> np.ndarray:
    """The inset's part of `frame` (uint8[H, W, ...]), a copy; a frame of another size than
    the one the inset was found in is cropped at the same place relative to its size. `trim`
    (0 to under 0.5) cuts that share of the box's width and height off each side."""
    if not 0.0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim}")
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = inset.box_in(w, h)
    dx = min(round(trim * (x1 - x0)), (x1 - x0 - 1) // 2)
    dy = min(round(trim * (y1 - y0)), (y1 - y0 - 1) // 2)
    return frame[y0 + dy:y1 - dy, x0 + dx:x1 - dx].copy()
