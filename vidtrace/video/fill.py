"""A picture on a still or mirrored fill (stage 1, video; docs/views.md, issue 19).

Phone re-uploads put a landscape picture across a portrait (or square) canvas and fill the rest:
black or one colour (the border crop cuts it, borders.py), a blurred copy of the picture
(canvas.py), a pattern or a still image, or the picture reflected at its edges. The last two
escape both: a pattern is full of detail and is no flat border, and a reflection is as sharp
as the picture. The whole-frame descriptor then sees a frame that is two thirds fill. This
detector finds the picture by what such a fill is, edge by edge, over one window of frames:

- **still**: the fill does not change while the picture does. Per line (row or column), the
  share of its pixels that changed between some two consecutive frames (`changed_pixels`,
  shared with the still-host detector) is at most `STILL_SHARE`, on average over the band. The
  band ends at the first `EDGE_LINES` lines that are not still or, after a fill that is not
  flat, at the first flat ones (the picture's own black bars, as still as the fill). A picture
  that moves only a little near its edge is still told from a fill that does not move at all.
- **mirror**: the fill is the picture reflected at the band's inner edge: line `y - 1 - k` of
  the frame equals line `y + k` for every k up to `MIRROR_LINES`. The mean absolute grey
  difference of those pairs, over the frames, must be under `MIRROR_RATIO` of that of the
  same picture lines paired `MIRROR_LINES` apart (a control that sets the scale of the
  picture's detail), the picture must have detail (`MIN_DETAIL` grey levels), and the lines
  beyond the axis must not be still (a pattern is symmetric about its own edges, but still).

A fill runs in from both opposite edges (top and bottom, or left and right), each
`MIN_FILL`-`MAX_FILL` of the frame, and is not flat (its grey levels vary by `MIN_FILL_SPREAD`:
flat bars are the border crop's). Each edge is found on its own, so a copy cropped after the
canvas, whose picture is no longer centred, is still found; the picture's box is then pulled
in by `EDGE_MARGIN` at each edge found. The picture between must move somewhere (`EDGE_LINES`
lines in a row changed in `BUSY_SHARE` of their pixels): without motion a still fill cannot be
told from a still picture. A lake that mirrors the sky along
one line, or a still sky above a moving street, gives one edge, not two.

The result is an `Inset` (inset.py), described as the query's inset view (views.py).
"""

from collections.abc import Sequence

import numpy as np

from vidtrace.video.inset import Inset, grey_stack
from vidtrace.video.stillhost import changed_pixels

MIN_FRAMES = 6
MIN_FILL = 0.06  # each band at least this share of the frame's height (or width)
MAX_FILL = 0.42  # and at most this: the picture keeps at least a sixth of the frame
# The picture's box is pulled in by this share of the frame at each edge found: a sliver of
# fill left at its edge (where compression makes a pattern's border flicker, so it reads as
# picture) would keep the border crop from cutting the picture's own black bars, and SSCD
# loses less to 2 % less picture than to a portrait clip left in its bars.
EDGE_MARGIN = 0.02
STILL_SHARE = 0.01  # a still line changed in at most this share of its pixels
BUSY_SHARE = 0.5  # somewhere the picture changed in at least this share of its lines' pixels
EDGE_LINES = 3
FLAT_SPREAD = 2.0  # grey levels: a line whose pixels vary less than this is flat
MIN_FILL_SPREAD = 6.0  # grey levels: a band whose pixels vary less than this is a flat bar
MIRROR_LINES = 8  # line pairs compared across a mirror's axis (at the detector's frame size)
MIRROR_RATIO = 0.25
MIN_DETAIL = 3.0  # grey levels: the control pairs' mean difference; flatter pictures are left


def _first_run(mask: np.ndarray) -> int:
    """The first index from which EDGE_LINES lines of `mask` all hold (len(mask) if none)."""
    if len(mask) < EDGE_LINES:
        return len(mask)
    run = np.ones(len(mask) - EDGE_LINES + 1, bool)
    for k in range(EDGE_LINES):
        run &= mask[k:len(mask) - EDGE_LINES + 1 + k]
    return int(np.argmax(run)) if run.any() else len(mask)


def _still_band(share: np.ndarray, spread: np.ndarray) -> int:
    """Lines of still fill from the start of `share` (per line, the share of its pixels that
    changed over the window) and `spread` (per line, the standard deviation of its grey levels),
    or 0. The band ends where the picture begins: at the first EDGE_LINES lines that are not
    still (changed in more than STILL_SHARE of their pixels) or, after a fill that is not flat,
    are flat (a picture's own black bars, still as the fill; `FLAT_SPREAD`). The end must lie
    in [MIN_FILL, MAX_FILL] of the length, and the band's lines changed, on average, in at most
    STILL_SHARE of their pixels (a line where a pattern's sharp edge flickers under compression
    may be busier)."""
    n = len(share)
    lo, hi = max(1, int(np.ceil(MIN_FILL * n))), int(MAX_FILL * n)
    end = _first_run(share > STILL_SHARE)
    flat = _first_run(spread < FLAT_SPREAD)
    if 0 < flat < end and float(spread[:flat].mean()) >= 2 * FLAT_SPREAD:
        end = flat
    if not lo <= end <= hi:
        return 0
    return end if float(share[:end].mean()) <= STILL_SHARE else 0


def _mirror_band(share: np.ndarray, lines: np.ndarray) -> int:
    """Lines of mirrored fill from the start of `lines` (float32[T, N, L]: frames, lines along
    the axis, pixels along each line), or 0: the axis y in [MIN_FILL, MAX_FILL] of N where lines
    y - 1 - k and y + k agree best (k < MIRROR_LINES), if they agree under MIRROR_RATIO of the
    control pairs (y + k, y + k + MIRROR_LINES), the control has MIN_DETAIL and the picture
    beyond the axis is not still (`share` of lines y .. y + EDGE_LINES - 1 above STILL_SHARE: a
    pattern is symmetric about its own edges too, but it stays still)."""
    n = lines.shape[1]
    m = MIRROR_LINES
    lo, hi = max(m, int(np.ceil(MIN_FILL * n))), min(int(MAX_FILL * n), n - 2 * m)
    if hi < lo:
        return 0
    # line pair differences for every candidate axis at once: one array op per k; a line is a
    # mean |a - b| over its pixels and the frames
    y = np.arange(lo, hi + 1)
    mirror, control = np.zeros(len(y)), np.zeros(len(y))
    for k in range(m):
        mirror += np.abs(lines[:, lo - 1 - k:hi - k]
                         - lines[:, lo + k:hi + 1 + k]).mean(axis=(0, 2))
        control += np.abs(lines[:, lo + k:hi + 1 + k]
                          - lines[:, lo + k + m:hi + 1 + k + m]).mean(axis=(0, 2))
    moving = share > STILL_SHARE
    ok = (control >= MIN_DETAIL * m) & np.array([moving[v:v + EDGE_LINES].all() for v in y])
    ratio = np.where(ok, mirror / np.maximum(control, 1e-6), np.inf)
    best = int(np.argmin(ratio))
    return int(y[best]) if ratio[best] < MIRROR_RATIO else 0


def _band(share: np.ndarray, spread: np.ndarray, lines: np.ndarray) -> int:
    """Lines of fill from the start: still if it is, else mirrored (0: neither). A fill that
    is flat (its grey levels, over the band, vary by less than MIN_FILL_SPREAD) is no fill
    here: flat bars are the border crop's (borders.py), and a film's noisy black bars need no
    extra view."""
    band = _still_band(share, spread) or _mirror_band(share, lines)
    if band and float(lines[:, :band].std(axis=(1, 2)).mean()) < MIN_FILL_SPREAD:
        return 0
    return band


def detect_fill(frames: Sequence[np.ndarray] | np.ndarray) -> Inset | None:
    """The picture inside a still or mirrored fill shown by `frames` (RGB uint8[H, W, 3], one
    window of a query, raw as decoded), or None. Confidence 1: both edges passed a test above."""
    grey = grey_stack(frames)
    if grey.shape[0] < MIN_FRAMES:
        return None
    t, h, w = grey.shape
    changed = changed_pixels(grey)
    rows, cols = changed.mean(axis=1), changed.mean(axis=0)
    # the mirror and flatness tests on about ten frames: the reflection is in each
    sample = grey[:: max(1, t // 10)].astype(np.float32)
    by_row, by_col = sample, sample.transpose(0, 2, 1)
    row_spread, col_spread = sample.std(axis=2).mean(axis=0), sample.std(axis=1).mean(axis=0)
    top = _band(rows, row_spread, by_row)
    bottom = _band(rows[::-1], row_spread[::-1], by_row[:, ::-1]) if top else 0
    if top and bottom and _moves(rows[top:h - bottom], h):
        m = int(np.ceil(EDGE_MARGIN * h))
        return Inset(0, top + m, w, h - bottom - m, w, h, 1.0)
    left = _band(cols, col_spread, by_col)
    right = _band(cols[::-1], col_spread[::-1], by_col[:, ::-1]) if left else 0
    if left and right and _moves(cols[left:w - right], w):
        m = int(np.ceil(EDGE_MARGIN * w))
        return Inset(left + m, 0, w - right - m, h, w, h, 1.0)
    return None


def _moves(share: np.ndarray, n: int) -> bool:
    """Whether the picture between two bands (per line, the share of its pixels that changed)
    is at least a sixth of the frame's `n` lines and moves: EDGE_LINES busy lines in a row."""
    return len(share) >= n // 6 and _first_run(share >= BUSY_SHARE) < len(share)
