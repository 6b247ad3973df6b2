"""Frame preparation between decoding and describing: crop uniform borders, resize to the
descriptor's square input.

Borders (letterbox, pillarbox, portrait canvas, padding of any flat colour) are found per
frame: rows and columns whose pixels barely vary are cut from each edge inward, repeatedly.
Per frame, because a spliced query may letterbox one piece and not the next. References and
queries go through the same step, so a flat band that is part of the picture is cut from both.
Cropped frames are squashed to `size` x `size`: after cropping, copies and originals share
their aspect ratio again, and a fixed size lets every frame of every video be batched together
(docs/preprocessing.md).
"""

import cv2
import numpy as np

# A border line's grey levels vary less than this (0-255 scale); picture lines vary more.
FLAT_STD = 8.0
# Never crop to less than this share of the frame's height or width.
MIN_KEEP = 0.1
MAX_PASSES = 8


def _flat_run(std: np.ndarray) -> int:
    """How many lines from index 0 on are flat."""
    flat = std < FLAT_STD
    return len(flat) if flat.all() else int(np.argmin(flat))


_ONES = np.ones((1, 3), np.float32)


def _grey(frame: np.ndarray) -> np.ndarray:
    """float32[H, W] mean of the channels of [H, W, C] `frame`, bit for bit
    `frame.astype(float32).mean(axis=2)` but about 6x faster for uint8 RGB: numpy reduces over
    the short last axis slowly (a sum of three uint8 values is exact in float32 either way).
    It made a warm 60 s query 6-14 % faster (docs/speed.md)."""
    if frame.shape[2] == 1:
        return frame[..., 0].astype(np.float32)
    if frame.shape[2] != 3 or frame.dtype != np.uint8:
        return frame.astype(np.float32).mean(axis=2)
    return cv2.transform(frame.astype(np.float32), _ONES) / np.float32(3)


def content_box(frame: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) slice bounds of the non-border part of uint8[H, W, 3] frame.

    Flat lines are cut from each edge inward, and again on the cropped part until nothing
    changes: a letterbox bar makes every row of a pillarboxed picture non-flat until the bars
    are gone, so only repeating gives the same crop whether or not borders were added. Flat
    bands at the picture's own edges (a clear sky) are cut too, in references and queries
    alike. A pass that would keep less than MIN_KEEP of the frame's height or width is not
    applied, so a nearly flat frame stays whole.
    """
    grey = _grey(frame)
    h, w = grey.shape
    top, bottom, left, right = 0, h, 0, w
    for _ in range(MAX_PASSES):
        part = grey[top:bottom, left:right]
        row_std, col_std = part.std(axis=1), part.std(axis=0)
        t = _flat_run(row_std)
        b = len(row_std) - _flat_run(row_std[::-1])
        lft = _flat_run(col_std)
        r = len(col_std) - _flat_run(col_std[::-1])
        if (t, b, lft, r) == (0, len(row_std), 0, len(col_std)):
            break
        if b - t < MIN_KEEP * h or r - lft < MIN_KEEP * w:
            break
        top, bottom, left, right = top + t, top + b, left + lft, left + r
    return top, bottom, left, right


def prepare_frame(frame: np.ndarray, size: int, crop: bool = True) -> np.ndarray:
    """uint8[H, W, 3] decoded frame -> uint8[size, size, 3] descriptor input."""
    if crop:
        top, bottom, left, right = content_box(frame)
        frame = frame[top:bottom, left:right]
    return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)
