"""Blurred-canvas detection (stage 1, video; docs/views.md).

A portrait or square re-upload often shows the original picture centred on a canvas filled with
a blurred, enlarged copy of itself. The fill is not flat, so the border crop (borders.py) keeps
it, and the whole-frame descriptor then sees a frame that is partly a smear. The fill is what
no picture is: almost free of fine detail. Over the frames of one window, the mean absolute
Laplacian of each row (and column) is compared with the median of the frame's central third:
on the transformation engine's blurred canvases, fill lines score 0.02-0.15 of it, picture
lines 0.3 and more (a clear sky in the picture 0.04). A fill band's inner edge is the first
place, going inward, where detail steps up to the picture's level (the picture's sharp edge
against the smear), and the band must be low on average (below `LOW_DETAIL` of the centre's
detail). The fill is taken as centred: a canvas is reported only when such bands run in from
both opposite edges, so a picture with one smooth edge (a sky above a street) is not a canvas,
and the narrower band is cut from both.

The result is an `Inset` (pip.py), so the query's inset view describes it like a
picture-in-picture inset.
"""

from collections.abc import Sequence

import numpy as np

from vidtrace.video.inset import Inset, grey_stack

LOW_DETAIL = 0.25  # a fill line's detail, as a share of the central third's
MIN_FILL = 0.04  # each band at least this share of the frame's height (or width)
MAX_FILL = 0.4  # and at most this: the picture keeps at least a fifth
MIN_FRAMES = 4
MIN_CENTRE_DETAIL = 1.0  # mean |Laplacian| (grey levels): flatter pictures are left alone
STEP_LINES = 8  # lines averaged on each side of a band's edge
MIN_STEP = 3.0  # detail rises at least this many times across the edge of a fill band
PICTURE_DETAIL = 0.3  # and reaches at least this share of the centre's: picture, not smear
# A blurred fill's lines still vary in grey level (standard deviation 3-26 measured on the
# canvases above); a black bar made busy by compression noise does not (0.3 measured after a
# crf 32 re-encode), and the border crop handles it.
MIN_FILL_SPREAD = 1.5
FLAT_DETAIL = 0.3  # bands flatter than this are flat borders, which borders.py already cuts


def detail_profiles(frames: Sequence[np.ndarray] | np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows float64[H], columns float64[W], row spread float64[H], column spread float64[W])
    of RGB uint8[H, W, 3] frames (or grey [H, W]), averaged over the frames: the mean absolute
    3x3 Laplacian of each row and column, and the standard deviation of its grey levels."""
    import cv2

    grey = grey_stack(frames)
    rows, cols = np.zeros(grey.shape[1]), np.zeros(grey.shape[2])
    row_std, col_std = np.zeros(grey.shape[1]), np.zeros(grey.shape[2])
    for image in grey:
        values = image.astype(np.float32)
        lap = np.abs(cv2.Laplacian(values, cv2.CV_32F, ksize=3))
        rows += lap.mean(axis=1)
        cols += lap.mean(axis=0)
        row_std += values.std(axis=1)
        col_std += values.std(axis=0)
    n = len(grey)
    return rows / n, cols / n, row_std / n, col_std / n


def _band(profile: np.ndarray, centre: float) -> int:
    """Lines of fill from the start of `profile`: the first line y in [MIN_FILL, MAX_FILL] of
    its length where detail steps up into the picture (the mean of the STEP_LINES lines from y
    is MIN_STEP times that of the STEP_LINES lines before, and at least PICTURE_DETAIL of
    `centre`), if the lines before y are, on average, below LOW_DETAIL of `centre` but not
    flat (FLAT_DETAIL); else 0."""
    n = len(profile)
    lo, hi = max(1, int(np.ceil(MIN_FILL * n))), int(MAX_FILL * n)
    if hi < lo:
        return 0
    total = np.concatenate([[0.0], np.cumsum(profile)])
    y = np.arange(lo, hi + 1)
    before = (total[y] - total[np.maximum(0, y - STEP_LINES)]) / np.minimum(y, STEP_LINES)
    after = (total[np.minimum(n, y + STEP_LINES)] - total[y]) / STEP_LINES
    edge = (after >= MIN_STEP * np.maximum(before, 1e-6)) & (after >= PICTURE_DETAIL * centre)
    if not edge.any():
        return 0
    first = int(y[int(np.argmax(edge))])
    # the window ahead first takes in the edge from up to STEP_LINES - 1 lines before it: the
    # edge itself is the busiest line of that window (where smear meets picture)
    first += int(np.argmax(profile[first:first + STEP_LINES]))
    if first > hi:
        return 0
    band = float(total[first]) / first
    return first if FLAT_DETAIL <= band < LOW_DETAIL * centre else 0


def fill_width(profile: np.ndarray, spread: np.ndarray) -> tuple[int, float]:
    """(lines of fill to cut from each end, detail ratio) of a detail profile, or (0, 1.0) when
    it shows no canvas: both ends must hold a fill band (`_band`) whose lines' grey levels
    vary (`spread`, their standard deviation, at least MIN_FILL_SPREAD on average: a fill is a
    picture, a noisy black bar is not), and the narrower is cut from both (the fill is
    centred: a smooth sky at the picture's top does not deepen the cut). The ratio is the
    bands' mean detail / the central third's median."""
    n = len(profile)
    if n < 4 * STEP_LINES:
        return 0, 1.0
    centre = float(np.median(profile[n // 3: 2 * n // 3]))
    if centre < MIN_CENTRE_DETAIL:
        return 0, 1.0
    f = min(_band(profile, centre), _band(profile[::-1], centre))
    if not f:
        return 0, 1.0
    # a blurred fill is still an image whose grey levels vary along each line; a black bar
    # made busy only by compression noise does not, and the border crop handles it
    if float(np.concatenate([spread[:f], spread[n - f:]]).mean()) < MIN_FILL_SPREAD:
        return 0, 1.0
    bands = np.concatenate([profile[:f], profile[n - f:]])
    return f, float(bands.mean()) / centre


def detect_canvas(frames: Sequence[np.ndarray] | np.ndarray) -> Inset | None:
    """The picture inside a blurred canvas shown by `frames` (RGB uint8[H, W, 3], one window of
    a query, raw as decoded), or None. `confidence`: 1 minus the fill's detail ratio."""
    if len(frames) < MIN_FRAMES:
        return None
    rows, cols, row_std, col_std = detail_profiles(frames)
    (fy, ry), (fx, rx) = fill_width(rows, row_std), fill_width(cols, col_std)
    if not fy and not fx:
        return None
    h, w = len(rows), len(cols)
    return Inset(fx, fy, w - fx, h - fy, w, h, max(0.0, 1.0 - max(ry if fy else 0.0,
                                                                 rx if fx else 0.0)))
