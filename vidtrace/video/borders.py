"""Frame preparation between decoding and describing: crop uniform borders, resize to the
descriptor's square input.

Borders (letterbox, pillarbox, portrait canvas, padding of any flat colour) are found per
frame: rows and columns whose pixels barely vary (grey-level standard deviation under
`flat_std`) are cut from each edge inward. Per frame, because a spliced query may letterbox
one piece and not the next. Both references and queries go through the same step, so a dark
flat band that is part of the picture is cut from both alike. Cropped frames are squashed to
`size` x `size`: after cropping, copies and originals share their aspect ratio again, and a
fixed size lets every frame of every video be batched together (docs/preprocessing.md).
"""

import cv2
import numpy as np

# A border row's grey levels vary less than this (0-255 scale); picture rows vary more.
FLAT_STD = 8.0
# Never crop to less than this share of a side: a nearly flat frame is left whole.
MIN_KEEP = 0.25


def content_box(frame: np.ndarray, flat_std: float = FLAT_STD) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the non-border part of uint8[H, W, 3] frame, as slice
    bounds; the whole frame when the crop would keep less than MIN_KEEP of a side."""
    h, w = frame.shape[:2]
    grey = frame.astype(np.float32).mean(axis=2)
    rows = np.flatnonzero(grey.std(axis=1) > flat_std)
    cols = np.flatnonzero(grey.std(axis=0) > flat_std)
    if len(rows) == 0 or len(cols) == 0:
        return 0, h, 0, w
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if bottom - top < MIN_KEEP * h or right - left < MIN_KEEP * w:
        return 0, h, 0, w
    return top, bottom, left, right


def prepare_frame(frame: np.ndarray, size: int, crop: bool = True) -> np.ndarray:
    """uint8[H, W, 3] decoded frame -> uint8[size, size, 3] descriptor input."""
    if crop:
        top, bottom, left, right = content_box(frame)
        frame = frame[top:bottom, left:right]
    return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)
