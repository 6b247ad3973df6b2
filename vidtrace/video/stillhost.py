"""Insets over a still background (stage 1, video; docs/views.md).

A picture-in-picture copy laid over a frozen frame (a still photo, a paused video, a flat or
patterned backdrop) gives the line detector (pip.py) little to go on: its moving evidence and
the picture-box step both expect a host that moves, and a backdrop with flat bands is cut away
as a border. What such a query shows instead is plain: over a window, the picture changes inside
one rectangle and nowhere else. `detect_still_host_inset` finds that rectangle from where the
picture changed between frames, and reports it only when

- the outside is still: at most `MAX_OUTSIDE` of the changed pixels lie outside the box, and
  its outside changed in at most `MAX_OUTSIDE_SHARE` of its pixels;
- the inside is a picture that moves throughout: each band of `EDGE_PX` pixels along the
  inside of each side changed in at least `MIN_EDGE_FILL` of its pixels (a moving object in a
  still scene leaves a blob, not a rectangle whose every side is busy);
- the box is an inset's size: each side `MIN_SIDE`-`MAX_SIDE` of the frame's, and it is not
  the whole frame less its flat borders.

Letterbox bars and other flat borders never change, so they fall outside the box; the box then
is the picture itself, which is no inset: a box that covers the frame's content (`content_box`
of the borders step) on all four sides is rejected.
"""

from collections.abc import Sequence

import numpy as np

from vidtrace.video.inset import Inset, grey_stack

CHANGE_MIN = 6  # grey levels: a 5 x 5 mean that moves this much between frames has changed
MIN_FRAMES = 6
MAX_OUTSIDE = 0.03  # share of the changed pixels that may lie outside the box
MAX_OUTSIDE_SHARE = 0.01  # share of the outside's pixels that may have changed
EDGE_PX = 4
MIN_EDGE_FILL = 0.5
MIN_SIDE, MAX_SIDE = 0.15, 0.92
SPAN_SHARE = 0.25


def changed_pixels(grey: np.ndarray) -> np.ndarray:
    """bool[H, W]: pixels whose 5 x 5 mean grey level changed by more than CHANGE_MIN between
    some two consecutive frames of grey (uint8[T, H, W])."""
    import cv2

    out = np.zeros(grey.shape[1:], dtype=bool)
    previous = cv2.blur(grey[0], (5, 5))
    for g in grey[1:]:
        smooth = cv2.blur(g, (5, 5))
        out |= cv2.absdiff(smooth, previous) > CHANGE_MIN
        previous = smooth
    return out


def _span(profile: np.ndarray) -> tuple[int, int]:
    """[lo, hi) of the lines whose count of changed pixels (`profile`, per column or per row)
    is at least SPAN_SHARE of the busiest line's: compression noise outside is left out."""
    busy = np.flatnonzero(profile >= SPAN_SHARE * profile.max())
    return int(busy[0]), int(busy[-1]) + 1


def detect_still_host_inset(frames: Sequence[np.ndarray] | np.ndarray) -> Inset | None:
    """The rectangle in which `frames` (RGB uint8[H, W, 3] or grey uint8[H, W] frames of one
    window, e.g. 20 at 2 frames/s) change while the rest of the picture stays still, or None.
    The inset is in pixels of these frames; confidence 1 (every test above passed)."""
    grey = grey_stack(frames)
    if grey.shape[0] < MIN_FRAMES:
        return None
    changed = changed_pixels(grey)
    total = int(changed.sum())
    h, w = changed.shape
    if total == 0:
        return None
    x0, x1 = _span(changed.sum(axis=0))
    y0, y1 = _span(changed.sum(axis=1))
    if not (MIN_SIDE * w <= x1 - x0 <= MAX_SIDE * w and MIN_SIDE * h <= y1 - y0 <= MAX_SIDE * h):
        return None
    inside = int(changed[y0:y1, x0:x1].sum())
    outside_area = h * w - (x1 - x0) * (y1 - y0)
    if total - inside > MAX_OUTSIDE * total or total - inside > MAX_OUTSIDE_SHARE * outside_area:
        return None
    e = EDGE_PX
    bands = (changed[y0:y1, x0 : x0 + e], changed[y0:y1, x1 - e : x1],
             changed[y0 : y0 + e, x0:x1], changed[y1 - e : y1, x0:x1])
    if min(float(b.mean()) for b in bands) < MIN_EDGE_FILL:
        return None
    if _is_whole_picture(grey[grey.shape[0] // 2], (x0, y0, x1, y1)):
        return None
    return Inset(x0, y0, x1, y1, w, h, 1.0)


def _is_whole_picture(frame: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether `box` is the picture of `frame` (grey uint8[H, W]) inside its flat borders, to
    within EDGE_PX on every side: a letterboxed or padded picture is no inset."""
    from vidtrace.video.borders import content_box

    top, bottom, left, right = content_box(frame[..., None])
    x0, y0, x1, y1 = box
    return max(abs(x0 - left), abs(x1 - right), abs(y0 - top), abs(y1 - bottom)) <= 2 * EDGE_PX
