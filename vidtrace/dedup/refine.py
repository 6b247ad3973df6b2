"""An overlap's line and ends placed again on the stored frames of both videos (dedup/, after
overlaps.merge_findings): the speed chosen with a prior for 1x, the ends moved to the last
frame pairs that still match.

The matcher places a segment from one video's side. On still footage that is not enough: a
still shot matches every frame of its copy, so lines of many speeds through the one cut that
pins it fit the frames equally well, and the aligner's votes favour the one that crosses the
most query frames, the slowest (a trim of two still shots came out at 0.57x, its ends 1.9 s
off). Both videos' frames are stored, so here the pair is looked at from both sides at once:

1. Levels: `on`, the median similarity along the found line (the better of the two samples
   of b around it, for each frame of a); `off`, the lower quartile of all frame pairs around
   the overlap. A frame pair matches when its similarity is nearer `on` than `off`
   (threshold their midpoint). A pair whose levels differ by less than MIN_CONTRAST shows no
   boundary to move to and is kept as found.
2. Lines: the found speed and 1x, each with offsets within OFFSET_SPAN_S of the found line's
   centre, OFFSET_STEP_S apart. Along a line, each frame of a (and each frame of b) scores its
   similarity minus the threshold; the line's stretch on that axis is the run of frames with
   the largest sum (a dip inside a copy is kept when the frames around it outweigh it), and
   the line's support is the smaller of the two axes' sums, in seconds of similarity margin:
   counting one axis alone would again favour the line that crosses more frames of it.
3. The prior: 1x is kept when its best line has at least SPEED_PRIOR of the support of the
   found speed's best line; copies at another speed show it in moving footage, where a 1x line
   loses its support within a second or two.
4. Ends: the chosen line's stretch on each axis ends halfway between its last matching frame
   and the next one (at the video's edge when there is none); the overlap is where the two
   stretches agree, kept on the line and inside both videos.
"""

from dataclasses import replace

import numpy as np

from vidtrace.dedup.overlaps import Overlap
from vidtrace.types import FrameSet

MIN_CONTRAST = 0.05  # on - off below this: no boundary to find, the overlap is kept
OFFSET_SPAN_S, OFFSET_STEP_S = 2.0, 0.05  # offsets searched around the found line's centre
SPEED_PRIOR = 0.9  # 1x is kept with this share of the other speed's support
MARGIN_S = OFFSET_SPAN_S + 1.0  # seconds of frames looked at beyond the spans lines may take


def _near(times: np.ndarray, S: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Similarity of each row i of S (float32[n, T]) to the better of the two columns whose
    `times` (float64[T]) lie around x[i]; -1 where x[i] is more than half a period outside."""
    last = len(times) - 1
    left = np.clip(np.searchsorted(times, x, side="right") - 1, 0, last)
    right = np.clip(np.searchsorted(times, x, side="left"), 0, last)
    rows = np.arange(len(x))
    half = (times[-1] - times[0]) / max(last, 1) / 2
    outside = (x < times[0] - half) | (x > times[-1] + half)
    return np.where(outside, -1.0, np.maximum(S[rows, left], S[rows, right]))


def _best_run(gain: np.ndarray) -> tuple[float, int, int]:
    """(sum, first, last) of the contiguous run of `gain` with the largest sum (Kadane);
    sum 0 and first > last when no element is positive."""
    best, first, last = 0.0, 0, -1
    total, start = 0.0, 0
    for i, g in enumerate(gain.tolist()):
        if total <= 0:
            total, start = 0.0, i
        total += g
        if total > best:
            best, first, last = total, start, i
    return best, first, last


def _edges(times: np.ndarray, first: int, last: int, duration: float) -> tuple[float, float]:
    """Seconds where a stretch of frames [first, last] starts and ends: halfway to the
    neighbouring frame, or the video's edge when there is none."""
    start = 0.0 if first == 0 else (times[first - 1] + times[first]) / 2
    end = duration if last == len(times) - 1 else (times[last] + times[last + 1]) / 2
    return float(start), float(end)


class _Pair:
    """Frames of a and b around an overlap, their similarity and the match threshold."""

    def __init__(self, a: FrameSet, b: FrameSet, a_span: tuple[float, float],
                 b_span: tuple[float, float]) -> None:
        ia = (a.times >= a_span[0] - MARGIN_S) & (a.times <= a_span[1] + MARGIN_S)
        ib = (b.times >= b_span[0] - MARGIN_S) & (b.times <= b_span[1] + MARGIN_S)
        self.ta, self.tb = a.times[ia], b.times[ib]
        self.a_first, self.b_first = int(np.argmax(ia)), int(np.argmax(ib))
        self.a_all, self.b_all = a.times, b.times
        self.da, self.db = a.duration, b.duration
        self.S = a.vectors[ia] @ b.vectors[ib].T
        self.threshold = 0.0

    def along(self, v: float, c: float) -> tuple[np.ndarray, np.ndarray]:
        """Similarity along b = c + v a at each frame of a, and at each frame of b."""
        return (_near(self.tb, self.S, c + v * self.ta),
                _near(self.ta, self.S.T, (self.tb - c) / v))

    def support(self, v: float, c: float) -> tuple[float, tuple[int, int], tuple[int, int]]:
        """The line's support (the smaller axis' best-run sum, seconds of margin) and its
        runs (first, last frame) on a and on b."""
        sa, sb = self.along(v, c)
        pa = float(np.median(np.diff(self.a_all))) if len(self.a_all) > 1 else 1.0
        pb = float(np.median(np.diff(self.b_all))) if len(self.b_all) > 1 else 1.0
        ga, fa, la = _best_run(sa - self.threshold)
        gb, fb, lb = _best_run(sb - self.threshold)
        return min(ga * pa, gb * pb), (fa, la), (fb, lb)


def refine_overlap(o: Overlap, a: FrameSet, b: FrameSet) -> Overlap:
    """`o` (between the videos of frames `a` and `b`) on the line and ends its frames support
    best (module docstring); `o` itself when they show no boundary to move to."""
    if len(a) < 2 or len(b) < 2 or o.a_end <= o.a_start:
        return o
    v0 = o.speed
    ca, cb = (o.a_start + o.a_end) / 2, (o.b_start + o.b_end) / 2
    # a 1x line through the centre may cover the longer of the two spans
    h = max(o.a_end - o.a_start, o.b_end - o.b_start) / 2
    pair = _Pair(a, b, (min(o.a_start, ca - h), max(o.a_end, ca + h)),
                 (min(o.b_start, cb - h), max(o.b_end, cb + h)))
    if pair.S.size == 0:
        return o
    on_a = (pair.ta >= o.a_start) & (pair.ta <= o.a_end)
    line = _near(pair.tb, pair.S, cb + v0 * (pair.ta - ca))[on_a]
    if len(line) == 0:
        return o
    on, off = float(np.median(line)), float(np.quantile(pair.S, 0.25))
    if on - off < MIN_CONTRAST:
        return o
    pair.threshold = (on + off) / 2
    offsets = np.arange(-OFFSET_SPAN_S, OFFSET_SPAN_S + 1e-9, OFFSET_STEP_S)
    best: dict[float, tuple[float, float, tuple[int, int], tuple[int, int]]] = {}
    for v in sorted({v0, 1.0}):
        centre = cb - v * ca
        tries = [(*pair.support(v, centre + d), centre + d) for d in offsets]
        # the best support; among equals, the offset nearest the found line's centre
        k = max(range(len(tries)), key=lambda i: (round(tries[i][0], 6), -abs(offsets[i])))
        support, run_a, run_b, c = tries[k]
        best[v] = (support, c, run_a, run_b)
    v = 1.0 if best[1.0][0] >= SPEED_PRIOR * best[v0][0] else v0
    support, c, run_a, run_b = best[v]
    if support <= 0 or run_a[1] < run_a[0] or run_b[1] < run_b[0]:
        return o
    a0, a1 = _edges(pair.a_all, pair.a_first + run_a[0], pair.a_first + run_a[1], pair.da)
    b0, b1 = _edges(pair.b_all, pair.b_first + run_b[0], pair.b_first + run_b[1], pair.db)
    start = max(a0, (b0 - c) / v, -c / v, 0.0)
    end = min(a1, (b1 - c) / v, (pair.db - c) / v, pair.da)
    if end <= start:
        return o
    return replace(o, a_start=float(start), a_end=float(end), b_start=float(c + v * start),
                   b_end=float(c + v * end))
