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

A host that is mostly still but not quite (a screen recording: text typed into a field, a
button lit, a cursor) fails the first test: its changes lie outside any one box. Then each
region of change large enough to be an inset (a connected component of the changed pixels,
less what is thinner than 2 `EDGE_PX` + 1 pixels: a cursor touching the picture) is tried on
its own: its box (the region's lines that are at least half changed) must be one the picture
fills (at least `MIN_FILL` of it changed), with every side busy as above, and still around it
(a ring of `RING_PX` pixels past the smear of the 5 x 5 mean changed in at most `MAX_RING` of
its pixels), on a host that is mostly still (at most `MAX_HOST_CHANGED` of the outside
changed; a shaking camera changes most of its frame): a picture laid over the host, whatever
else moves elsewhere in it.
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
MIN_FILL = 0.8  # share of a region's bounding box that changed
RING_PX = 8
MAX_RING = 0.1  # share of the ring around a region's box that may have changed
MAX_HOST_CHANGED = 0.25  # share of the host (outside a region's box) that may have changed


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
    window, e.g. 20 at 2 frames/s) change while the rest of the picture stays still (or, where
    other parts change too, while the picture around it stays still), or None. The inset is in
    pixels of these frames; confidence 1 (every test above passed)."""
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
    box = (x0, y0, x1, y1)
    if _inset_sized(box, w, h):
        inside = int(changed[y0:y1, x0:x1].sum())
        outside_area = h * w - (x1 - x0) * (y1 - y0)
        still = (total - inside <= MAX_OUTSIDE * total
                 and total - inside <= MAX_OUTSIDE_SHARE * outside_area)
        if still and _busy_sides(changed, box) and not _is_whole_picture(grey, box):
            return Inset(x0, y0, x1, y1, w, h, 1.0)
    for box in _regions(changed):
        bx0, by0, bx1, by1 = box
        inside = int(changed[by0:by1, bx0:bx1].sum())
        if total - inside > MAX_HOST_CHANGED * (h * w - (bx1 - bx0) * (by1 - by0)):
            continue
        if _busy_sides(changed, box) and _still_ring(changed, box) and not _is_whole_picture(
                grey, box):
            return Inset(*box, w, h, 1.0)
    return None


def _inset_sized(box: tuple[int, int, int, int], w: int, h: int) -> bool:
    x0, y0, x1, y1 = box
    return MIN_SIDE * w <= x1 - x0 <= MAX_SIDE * w and MIN_SIDE * h <= y1 - y0 <= MAX_SIDE * h


def _busy_sides(changed: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether the band of EDGE_PX pixels along the inside of every side of `box` changed in
    at least MIN_EDGE_FILL of its pixels."""
    x0, y0, x1, y1 = box
    e = EDGE_PX
    bands = (changed[y0:y1, x0 : x0 + e], changed[y0:y1, x1 - e : x1],
             changed[y0 : y0 + e, x0:x1], changed[y1 - e : y1, x0:x1])
    return min(float(b.mean()) for b in bands) >= MIN_EDGE_FILL


def _regions(changed: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the connected regions of `changed` (less what is thinner than
    2 EDGE_PX + 1 pixels), each cut to the lines of it that are at least half changed (a
    rounded corner's lines are; a smear or a cursor touching the picture is not), that are an
    inset's size and that the region fills (MIN_FILL), largest first."""
    import cv2

    h, w = changed.shape
    size = 2 * EDGE_PX + 1
    opened = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_OPEN,
                              np.ones((size, size), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    boxes = []
    for x, y, bw, bh, _ in stats[1:n]:
        if not _inset_sized((0, 0, int(bw), int(bh)), w, h):
            continue
        part = changed[y : y + bh, x : x + bw]
        cols = np.flatnonzero(part.mean(axis=0) >= 0.5)
        rows = np.flatnonzero(part.mean(axis=1) >= 0.5)
        if len(cols) == 0 or len(rows) == 0:
            continue
        box = (int(x + cols[0]), int(y + rows[0]), int(x + cols[-1] + 1), int(y + rows[-1] + 1))
        area = int(changed[box[1] : box[3], box[0] : box[2]].sum())
        if _inset_sized(box, w, h) and area >= MIN_FILL * (box[2] - box[0]) * (box[3] - box[1]):
            boxes.append((area, box))
    return [box for _, box in sorted(boxes, reverse=True)]


def _still_ring(changed: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether the ring RING_PX pixels wide that starts EDGE_PX outside `box` (past the smear
    of `changed_pixels`' 5 x 5 mean; as much of it as lies in the frame) changed in at most
    MAX_RING of its pixels."""
    x0, y0, x1, y1 = box
    g, r = EDGE_PX, EDGE_PX + RING_PX
    outer = changed[max(0, y0 - r) : y1 + r, max(0, x0 - r) : x1 + r]
    inner = changed[max(0, y0 - g) : y1 + g, max(0, x0 - g) : x1 + g]
    ring_area = outer.size - inner.size
    if ring_area == 0:
        return False
    return int(outer.sum()) - int(inner.sum()) <= MAX_RING * ring_area


def _is_whole_picture(grey: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether `box` is the picture of the middle frame of `grey` (uint8[T, H, W]) inside its
    flat borders, to within EDGE_PX on every side: a letterboxed or padded picture is no
    inset."""
    from vidtrace.video.borders import content_box

    top, bottom, left, right = content_box(grey[grey.shape[0] // 2][..., None])
    x0, y0, x1, y1 = box
    return max(abs(x0 - left), abs(x1 - right), abs(y0 - top), abs(y1 - bottom)) <= 2 * EDGE_PX
