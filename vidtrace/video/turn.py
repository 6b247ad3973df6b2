"""A picture turned in its frame (a rotated copy): its angle, found from the footage's own
edges, and the frame turned back (docs/views-generalise.md, "Turned pictures").

Footage is full of level and upright edges (horizons, buildings, doors, screens, text), and a
copy turned by an angle turns all of them with it, and the seams of filled corners too. So the
orientations of a window's strongest gradients, folded into 90 degrees and weighted by their
magnitude, peak at 0 in footage as it was shot and at the turn's angle in a turned copy. A
window is taken as turned when that peak lies `MIN_ANGLE` to `MAX_ANGLE` degrees from level,
stands `PEAK_OVER_MEDIAN` times over the histogram's median (an orientation the footage holds,
not noise) and `PEAK_OVER_LEVEL` times over the level bin (a level edge nearly as strong is
footage with no one orientation, or a level overlay, border or inset over it). The whole
window gives one angle: a turn lasts as long as the edit, and one frame's edges are few. For
the same reason a window right after a turned one, whose peak lies at that window's angle,
needs only `CARRIED_OVER_MEDIAN` times the median.

Not found: footage without straight edges (water, foliage, faces close up), and turns under
`MIN_ANGLE` (SSCD matches those as they are) or over `MAX_ANGLE` (the issue's edits reach 20).
"""

import cv2
import numpy as np

MIN_ANGLE = 3.0  # degrees; footage is often shot a degree or two off level
MAX_ANGLE = 30.0
PEAK_OVER_MEDIAN = 3.0
PEAK_OVER_LEVEL = 2.0
# A turn lasts as long as the edit: in the window right after a turned one, a peak at its angle
# (within CARRY_DEGREES) needs less over the median (docs/views.md, "A turn carried on").
CARRIED_OVER_MEDIAN = 2.0
CARRY_DEGREES = 1.0
FRAME_STEP = 2  # every other frame of a window: a turn lasts, and edges change slowly
_BINS = 180  # half a degree each, over 90 degrees
_STRONG = 90  # percentile of gradient magnitude above which a pixel's orientation counts
_MARGIN = 6  # pixels at the frame's edge left out (the frame's own border is level)
_SMOOTH = np.exp(-0.5 * (np.arange(-6, 7) / 2.0) ** 2)  # a Gaussian of one degree


def orientation_histogram(images: list[np.ndarray]) -> np.ndarray:
    """float64[_BINS]: the strongest gradients' orientations of RGB uint8[H, W, 3] `images`
    (at least 2 * _MARGIN + 1 pixels each way), folded into [0, 90) degrees, weighted by
    magnitude, summed over the images and smoothed (circularly) by a one-degree Gaussian."""
    hist = np.zeros(_BINS)
    for image in images:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        h, w = grey.shape
        if min(h, w) >= 4 * _MARGIN:  # half size is plenty for the long edges that count
            grey = cv2.resize(grey, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        grey = grey.astype(np.float32)
        gx = cv2.Scharr(grey, cv2.CV_32F, 1, 0)
        gy = cv2.Scharr(grey, cv2.CV_32F, 0, 1)
        m = _MARGIN
        gx, gy = gx[m:-m, m:-m], gy[m:-m, m:-m]
        magnitude = np.hypot(gx, gy)
        flat = magnitude.ravel()
        k = int(len(flat) * _STRONG / 100)
        strong = magnitude > np.partition(flat, k)[k]
        if not strong.any():
            continue
        degrees = np.degrees(np.arctan2(gy[strong], gx[strong])) % 90.0
        bins = (degrees * (_BINS / 90.0)).astype(np.int64) % _BINS
        hist += np.bincount(bins, weights=magnitude[strong], minlength=_BINS)
    half = len(_SMOOTH) // 2
    wrapped = np.concatenate([hist[-half:], hist, hist[:half]])
    return np.convolve(wrapped, _SMOOTH, "same")[half:-half]


def turned_angle(images: list[np.ndarray], previous: float | None = None) -> float | None:
    """The angle (degrees, as `turn_back` takes it) by which the picture of a window of RGB
    uint8[H, W, 3] frames is turned, or None when it is not (module docstring). `previous`:
    the angle found in the window just before, if any; a peak within `CARRY_DEGREES` of it
    needs only `CARRIED_OVER_MEDIAN` times the median."""
    if not images or min(images[0].shape[:2]) <= 2 * _MARGIN:
        return None
    hist = orientation_histogram(images[::FRAME_STEP])
    median = float(np.median(hist))
    peak = int(np.argmax(hist))
    angle = peak * 90.0 / _BINS
    if angle > 45.0:
        angle -= 90.0
    carried = previous is not None and abs(angle - previous) <= CARRY_DEGREES
    if median <= 0 or hist[peak] < (CARRIED_OVER_MEDIAN if carried else PEAK_OVER_MEDIAN) * median:
        return None
    if hist[peak] < PEAK_OVER_LEVEL * hist[0]:
        return None
    return angle if MIN_ANGLE <= abs(angle) <= MAX_ANGLE else None


def turn_back(image: np.ndarray, angle: float) -> np.ndarray:
    """RGB uint8[H, W, 3] `image` turned about its centre by `angle` degrees (counter-clockwise
    on screen for a positive angle, as cv2.getRotationMatrix2D), the size kept and the corners
    that come in filled by reflection: with `turned_angle`'s angle, a turned picture upright."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)
