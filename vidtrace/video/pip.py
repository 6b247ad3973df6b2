"""Picture-in-picture detection in query frames (stage 1, video; issue 5).

A picture-in-picture copy shows the copied video as an inset over unrelated host footage, so the
whole frame barely resembles the reference. `detect_inset` finds the inset in a short run of
frames of one query segment, so that the cropped inset (`crop_inset`) can be described as an
extra view; `detect_insets_over_time` does it window by window over a whole query.

Method (docs/pip.md). Flat borders are cut first (the pipeline's border rule), so letterbox
bars are never an inset. Per frame, a line is *seen* at a pixel when the grey step across it is
sharp and thin: larger, by `step_min`, than the steps a few pixels to either side. Over the
run, every pixel gets its share of frames in which a line is seen there (*present*) and its
share of frame pairs in which a line is seen there while the picture beside it changed
(*moving*): an inset's border stays put while the pictures on both sides change, whereas lines
of the footage move with the camera or, when they stay, have nothing changing beside them.
Long runs of presence along columns and rows give candidate lines; rectangles are built from
them, the picture's edges standing in for the sides of an inset that touches them, and scored
by the presence and moving evidence along their sides, less presence where a side runs on past
a corner. The best rectangle that is large enough, not the whole picture, and moving inside is
the inset.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path

import numpy as np

from vidtrace.video.inset import Inset, InsetWindow, crop_inset, grey_stack

__all__ = ["COARSE_SCALE", "DEFAULT_PARAMS", "SOFT_LAG", "SOFT_SCALE", "Inset", "InsetWindow",
           "PipParams", "crop_inset", "detect_inset", "detect_insets_over_time",
           "detect_soft_inset"]

# What a side on the picture's edge adds to a rectangle's score: less than any real side that
# passes, so a line seen in the picture is preferred to the picture's edge next to it.
_STAND_IN = 0.4
# Pixels between a line and the parallel lines its run-over is compared with.
_SURROUND = 6
# How much the query views shrink the frames for their second look with `detect_inset`.
SOFT_SCALE = 2
# And for their last look, in a window where nothing else is found or carried: a feathered
# edge's ramp is a share of the inset's side, so the larger the inset, the more it must be
# shrunk for the ramp to look sharp (a tenth of a 0.5-wide inset's side is still a ramp of
# about 5 px at half size). On the planted styles the feathered insets found rose, with no
# more windows of untouched footage taken for an inset (docs/pip.md, "A third of the size,
# last").
COARSE_SCALE = 3
# The `change_lag` of that second look: at half size the line test takes more of the footage's
# own straight edges (a door frame, a film's bars) for sides, and changes over 1.5 s make them
# count as moving; between neighbouring frames they rarely do (docs/pip.md, "Slow footage").
SOFT_LAG = 1


@dataclass(frozen=True)
class PipParams:
    """Settings of `detect_inset`; docs/pip.md says how each was chosen.

    offset: pixels between a step and the parallel steps it must exceed.
    step_min: grey levels (0-255) by which a step must exceed those beside it to be a line.
    change_min: change of the 5 x 5 mean grey level between frames that counts as the picture
        beside a line changing.
    change_lag: how many frames apart the two frames compared for that change are (3: 1.5 s
        at 2 frames/s; slow footage changes too little from one frame to the next).
    line_min: share of frames in which a real side must be seen, on average along it, less
        its run-over past the corners.
    moving_weight, edge_penalty: how a rectangle's score weighs moving evidence against
        presence, and what it takes off per side on the picture's edge (`_rank_rectangles`).
    min_score, confident_score: rectangle scores (about 0 to 3) below which there is no
        inset, and from which the confidence is 1.
    max_lines: most candidate lines per direction.
    min_side, max_side: an inset's width and height as shares of the picture's.
    min_inside_motion: mean absolute grey change between frames inside an inset.
    min_frames: runs of fewer frames give no inset (a line's persistence needs several).
    """

    offset: int = 3
    step_min: int = 8
    change_min: int = 6
    line_min: float = 0.45
    moving_weight: float = 2.0
    edge_penalty: float = 0.1
    min_score: float = 1.22
    confident_score: float = 1.8
    max_lines: int = 16
    min_side: float = 0.18
    max_side: float = 0.92
    min_inside_motion: float = 1.5
    min_frames: int = 6
    change_lag: int = 3

    def __post_init__(self) -> None:
        if self.change_lag < 1:
            raise ValueError(f"change_lag must be 1 or more frames, got {self.change_lag}")


DEFAULT_PARAMS = PipParams()


def _lines_seen(g: np.ndarray, axis: int, offset: int, step_min: int) -> np.ndarray:
    """bool[H, W]: where grey frame g (uint8[H, W]) shows a line across `axis` (1: a step
    between columns, i.e. a vertical line; 0: a horizontal line). The step at x is
    |g[x + 1] - g[x - 1]|, which straddles a boundary blurred over two pixels; it must exceed
    the larger step `offset` pixels to either side by step_min, so texture and soft edges do
    not count."""
    import cv2

    k = offset
    seen = np.zeros(g.shape, dtype=bool)
    if axis == 1:
        step = cv2.absdiff(g[:, 2:], g[:, :-2])  # centred on columns 1 .. W - 2
        beside = cv2.max(step[:, : -2 * k], step[:, 2 * k :])
        seen[:, 1 + k : g.shape[1] - 1 - k] = cv2.subtract(step[:, k:-k], beside) > step_min
    else:
        step = cv2.absdiff(g[2:], g[:-2])
        beside = cv2.max(step[: -2 * k], step[2 * k :])
        seen[1 + k : g.shape[0] - 1 - k] = cv2.subtract(step[k:-k], beside) > step_min
    return seen


def _side_changed(change: np.ndarray, axis: int, gap: int, change_min: int) -> np.ndarray:
    """bool[H, W]: where the picture `gap` pixels to either side across `axis` changed by more
    than change_min (change: uint8[H, W])."""
    import cv2

    out = np.zeros(change.shape, dtype=bool)
    if axis == 1:
        out[:, gap:-gap] = cv2.max(change[:, : -2 * gap], change[:, 2 * gap :]) > change_min
    else:
        out[gap:-gap] = cv2.max(change[: -2 * gap], change[2 * gap :]) > change_min
    return out


def _widen(a: np.ndarray) -> np.ndarray:
    """float32[L, N] a with each value the largest of itself and its two neighbours along
    axis 1: a blurred boundary is seen at one of two pixels, not always the same."""
    out = a.copy()
    out[:, 1:-1] = np.maximum(np.maximum(a[:, :-2], a[:, 1:-1]), a[:, 2:])
    return out


@dataclass(frozen=True)
class _Evidence:
    """float32 maps, lines along axis 0 and across axis 1: v[H, W] for vertical lines, h[W, H]
    (transposed) for horizontal ones. present: share of frames in which a line is seen there;
    moving: share of frame pairs `change_lag` apart in which it is seen in the later frame
    while the picture beside it changed between the two."""

    present_v: np.ndarray
    moving_v: np.ndarray
    present_h: np.ndarray
    moving_h: np.ndarray


def _evidence(grey: np.ndarray, params: PipParams) -> tuple[_Evidence, _Evidence]:
    """Line evidence over the frames `grey`, uint8[T, H, W]: as `_lines_seen` sees lines at
    `offset`, and as it sees them at `offset` or at the wider 2 x offset + 1. The wider offset
    sees both edges of a frame line drawn around an inset, which cancel each other at `offset`
    when the line is about `offset` pixels thick; it also sees more lines in ordinary footage,
    so `detect_inset` asks more of rectangles found with it."""
    import cv2

    t_count = grey.shape[0]
    counts = np.zeros((2, 4, *grey.shape[1:]), np.uint16)  # [narrow, wide] x (present v, ...)
    previous: list[np.ndarray] = []
    for g in grey:
        narrow = [_lines_seen(g, axis, params.offset, params.step_min) for axis in (1, 0)]
        wide = [n | _lines_seen(g, axis, 2 * params.offset + 1, params.step_min)
                for n, axis in zip(narrow, (1, 0), strict=True)]
        smooth = cv2.blur(g, (5, 5))
        change = (None if len(previous) < params.change_lag
                  else cv2.absdiff(smooth, previous[-params.change_lag]))
        for i, axis in enumerate((1, 0)):
            beside = None if change is None else _side_changed(change, axis, params.offset + 1,
                                                                 params.change_min)
            for j, seen in enumerate((narrow[i], wide[i])):
                counts[j, 2 * i] += seen
                if beside is not None:
                    counts[j, 2 * i + 1] += seen & beside
        previous = [*previous, smooth][-params.change_lag:]
    frames, pairs = np.float32(t_count), np.float32(max(1, t_count - params.change_lag))
    narrow_ev, wide_ev = (_Evidence(_widen(c[0] / frames), _widen(c[1] / pairs),
                                    _widen(c[2].T / frames), _widen(c[3].T / pairs))
                          for c in counts)
    return narrow_ev, wide_ev


def _integral(a: np.ndarray) -> np.ndarray:
    """float64[L + 1, N + 1] integral image c of `a` (numpy's cumsum down axis 0 is ten times
    slower): column x summed over rows [i, j) is c[j, x+1] - c[j, x] - c[i, x+1] + c[i, x]."""
    import cv2

    return cv2.integral(np.ascontiguousarray(a, dtype=np.float32), sdepth=cv2.CV_64F)


def _line_candidates(c: np.ndarray, min_len: int, params: PipParams) -> list[int]:
    """Boundary positions, along axis 1 of the map whose `_integral` is c, of its strongest
    lines: those whose best mean over a run of `min_len` along axis 0 is at least line_min,
    best first, max_lines at most, none within 4 pixels of a stronger one. A position is the
    centroid of its peak, so a step between pixels i - 1 and i comes out as i."""
    col = c[:, 1:] - c[:, :-1]  # cumulative sums down each column
    best = ((col[min_len:] - col[:-min_len]) / min_len).max(axis=0)
    order = np.argsort(-best, kind="stable")
    order = order[best[order] >= params.line_min]
    taken = np.zeros(best.shape[0], dtype=bool)
    out: list[int] = []
    for i in order.tolist():
        if taken[max(0, i - 4) : i + 5].any():
            continue
        taken[i] = True
        lo, hi = max(0, i - 2), min(best.shape[0], i + 3)
        weight = best[lo:hi]
        out.append(round(float((weight * np.arange(lo, hi)).sum() / weight.sum()) + 0.5))
        if len(out) == params.max_lines:
            break
    return out


def _run_means(c: np.ndarray, lines: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float64[P, Q]: mean of the map whose `_integral` is c along the columns `lines` (int[P])
    over the rows [a, b) (int[Q] each), clipped to the map; 0 for runs shorter than 4."""
    n, m = c.shape[0] - 1, c.shape[1] - 1
    a, b = np.clip(a, 0, n)[None, :], np.clip(b, 0, n)[None, :]
    x = np.clip(lines, 0, m - 1)[:, None]
    sums = (c[b, x + 1] - c[b, x]) - (c[a, x + 1] - c[a, x])
    return np.where(b - a >= 4, sums / np.maximum(b - a, 1), 0.0)


def _runover(c: np.ndarray, lines: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float64[P, Q]: how much more present (c: the present map's `_integral`) the lines are
    over the runs [a, b) than the lines _SURROUND pixels beside them: high where a line goes
    on, about 0 in mere texture."""
    here = _run_means(c, lines, a, b)
    beside = np.maximum(_run_means(c, lines - _SURROUND, a, b),
                        _run_means(c, lines + _SURROUND, a, b))
    return np.maximum(here - beside, 0.0)


def _side_scores(present: np.ndarray, moving: np.ndarray, lines: list[int], starts: np.ndarray,
                 ends: np.ndarray, params: PipParams) -> tuple[np.ndarray, np.ndarray]:
    """For the lines (P) as sides spanning [starts, ends) (Q), from the `_integral`s of the
    present and moving maps: (mean presence less the larger run-over past either end, mean
    moving evidence), float64[P, Q] each. An inset's side stops at its corners; a line of the
    picture that merely crosses the rectangle does not."""
    pos, gap = np.asarray(lines, dtype=np.int64), params.offset
    runover = max(8, round(0.08 * (present.shape[0] - 1)))
    support = _run_means(present, pos, starts + gap, ends - gap)
    before = _runover(present, pos, starts - gap - runover, starts - gap)
    after = _runover(present, pos, ends + gap, ends + gap + runover)
    return support - np.maximum(before, after), _run_means(moving, pos, starts + gap, ends - gap)


def _pairs(pos: list[int], size: int, params: PipParams) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of sorted `pos` whose distance is an allowed inset side."""
    p = np.asarray(pos)
    i, j = np.triu_indices(len(p), k=1)
    keep = (p[j] - p[i] >= params.min_side * size) & (p[j] - p[i] <= params.max_side * size)
    return i[keep], j[keep]


def _rank_rectangles(ev: _Evidence, params: PipParams
                     ) -> list[tuple[float, tuple[int, int, int, int]]]:
    """Up to 8 (score, (x0, y0, x1, y1)) rectangles, best first, that may be insets.

    A rectangle needs a real vertical and a real horizontal side (the others may be the
    picture's edges), each real side present at least line_min, less its run-over. A side's
    value is its presence + moving_weight x its moving evidence; the score, at least
    min_score, is the mean value of the real sides less edge_penalty per edge of the picture
    used (fewer sides are weaker evidence). Rectangles are ranked by the sum of the four
    values, _STAND_IN for an edge of the picture, so that a side seen in the picture wins over
    the edge beyond it."""
    h, w = ev.present_v.shape
    c = [_integral(m) for m in (ev.present_v, ev.moving_v, ev.present_h, ev.moving_h)]
    xs = sorted({0, w, *_line_candidates(c[0], int(np.ceil(params.min_side * h)), params)})
    ys = sorted({0, h, *_line_candidates(c[2], int(np.ceil(params.min_side * w)), params)})
    xi, xj = _pairs(xs, w, params)
    yi, yj = _pairs(ys, h, params)
    if len(xi) == 0 or len(yi) == 0:
        return []
    x, y = np.asarray(xs), np.asarray(ys)
    pres_v, mov_v = _side_scores(c[0], c[1], xs, y[yi], y[yj], params)  # [len(xs), y pairs]
    pres_h, mov_h = _side_scores(c[2], c[3], ys, x[xi], x[xj], params)  # [len(ys), x pairs]
    real_x, real_y = (x > 0) & (x < w), (y > 0) & (y < h)
    sides = [  # (presence, moving, real) of left, right, top, bottom: [x pairs, y pairs]
        (pres_v[xi], mov_v[xi], real_x[xi][:, None]),
        (pres_v[xj], mov_v[xj], real_x[xj][:, None]),
        (pres_h[yi].T, mov_h[yi].T, real_y[yi][None, :]),
        (pres_h[yj].T, mov_h[yj].T, real_y[yj][None, :]),
    ]
    valid = (sides[0][2] | sides[1][2]) & (sides[2][2] | sides[3][2])
    rank = np.zeros(valid.shape)
    evidence = np.zeros(valid.shape)
    for pres, mov, real in sides:
        valid = valid & (~real | (pres >= params.line_min))
        value = pres + params.moving_weight * mov
        rank = rank + np.where(real, value, _STAND_IN)
        evidence = evidence + np.where(real, value, 0.0)
    count = sum(real.astype(int) for _, _, real in sides)
    score = evidence / np.maximum(count, 1) - params.edge_penalty * (4 - count)
    valid = valid & (score >= params.min_score)
    rank = np.where(valid, rank, -np.inf)
    out = []
    for flat in np.argsort(-rank, axis=None)[:8].tolist():
        px, py = np.unravel_index(flat, score.shape)
        if not np.isfinite(rank[px, py]):
            break
        out.append((float(score[px, py]), (int(x[xi[px]]), int(y[yi[py]]), int(x[xj[px]]),
                                           int(y[yj[py]]))))
    return out


def _inside_motion(grey: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean absolute grey change between consecutive frames inside box (3 pixels in)."""
    x0, y0, x1, y1 = box
    inside = grey[:, y0 + 3 : y1 - 3, x0 + 3 : x1 - 3].astype(np.int16)
    return float(np.abs(np.diff(inside, axis=0)).mean()) if inside.size else 0.0


def _picture_box(grey: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the picture once flat borders are cut: the union of the boxes the
    pipeline's border rule (vidtrace.video.borders) keeps in up to six frames spread over the
    run, so a band is cut only where it is flat in all of them (a letterbox bar is; a dark or
    clear patch of host picture rarely is)."""
    from vidtrace.video.borders import content_box

    picks = np.unique(np.linspace(0, grey.shape[0] - 1, min(6, grey.shape[0])).round())
    boxes = np.array([content_box(grey[int(i)][..., None]) for i in picks])
    return (int(boxes[:, 2].min()), int(boxes[:, 0].min()), int(boxes[:, 3].max()),
            int(boxes[:, 1].max()))


def detect_inset(frames: Sequence[np.ndarray] | np.ndarray,
                 times: Sequence[float] | np.ndarray | None = None,
                 params: PipParams = DEFAULT_PARAMS, scale: int = 1) -> Inset | None:
    """The picture-in-picture inset shown in `frames`, or None when they show none.

    frames: RGB uint8[H, W, 3] frames (or a uint8[T, H, W, 3] array) of one query segment,
    e.g. 8-20 frames sampled at 2 frames/s with the short side near 288 pixels (what
    `iter_frames(path, 2.0, 288, 512)` yields); fewer than `params.min_frames` give None.
    times: their times in seconds, only checked for length (the method needs no times). The
    inset is in pixels of these frames; flat borders are never an inset.
    scale: look at the picture shrunk by this factor (area averaging). At 2 (`SOFT_SCALE`) or
    3 (`COARSE_SCALE`) a soft edge (feathered, or a shadow's ramp), which spreads the step over
    more pixels than the line test looks at, is sharp again, and a rounded corner takes fewer
    of the line test's pixels; the query views take these looks when the first and the
    still-host detector find nothing (docs/pip.md, "Soft edges and rounded corners").
    """
    if scale < 1:
        raise ValueError(f"scale must be 1 or more, got {scale}")
    grey = grey_stack(frames)
    if times is not None and len(times) != grey.shape[0]:
        raise ValueError(f"{len(times)} times for {grey.shape[0]} frames")
    if grey.shape[0] < params.min_frames:
        return None
    px0, py0, px1, py1 = _picture_box(grey)
    picture = np.ascontiguousarray(grey[:, py0:py1, px0:px1])
    found = _best_rectangle(_shrunk(picture, scale) if scale > 1 else picture, params)
    if found is None:
        return None
    score, (x0, y0, x1, y1) = found
    x0, y0, x1, y1 = (v * scale for v in (x0, y0, x1, y1))
    confidence = (score - params.min_score) / (params.confident_score - params.min_score)
    return Inset(x0 + px0, y0 + py0, min(x1, px1 - px0) + px0, min(y1, py1 - py0) + py0,
                 grey.shape[2], grey.shape[1], float(np.clip(confidence, 0.0, 1.0)))


def detect_soft_inset(frames: Sequence[np.ndarray] | np.ndarray,
                      params: PipParams = DEFAULT_PARAMS, scale: int = SOFT_SCALE
                      ) -> Inset | None:
    """The query views' looks at shrunk frames: `detect_inset` at `scale` (`SOFT_SCALE`, or
    `COARSE_SCALE` for a wider feather: soft edges, rounded corners), comparing frames
    `SOFT_LAG` apart whatever `params.change_lag` says."""
    return detect_inset(frames, None, replace(params, change_lag=SOFT_LAG), scale)


def _best_rectangle(picture: np.ndarray, params: PipParams
                    ) -> tuple[float, tuple[int, int, int, int]] | None:
    """(score, box) of the best rectangle of the grey frames `picture` (uint8[T, H, W]) that is
    moving inside, or None. The wide evidence (frame lines) is asked for a confident score."""
    if min(picture.shape[1:]) < 8 * (params.offset + 2):
        return None
    narrow, wide = _evidence(picture, params)
    for evidence, floor in ((narrow, params), (wide, replace(params,
                                                              min_score=params.confident_score))):
        for score, box in _rank_rectangles(evidence, floor):
            if _inside_motion(picture, box) >= params.min_inside_motion:
                return score, box
    return None


def _shrunk(picture: np.ndarray, factor: int) -> np.ndarray:
    """uint8[T, H // factor, W // factor]: each grey frame shrunk by area averaging."""
    import cv2

    h, w = picture.shape[1] // factor, picture.shape[2] // factor
    if min(h, w) < 1:
        return picture[:, :0, :0]
    return np.stack([cv2.resize(g, (w, h), interpolation=cv2.INTER_AREA) for g in picture])


def detect_insets_over_time(
    source: str | Path | Iterable[tuple[float, np.ndarray]], window_s: float = 10.0,
    params: PipParams = DEFAULT_PARAMS, fps: float = 2.0, short_side: int = 288,
    max_long_side: int = 512,
) -> list[InsetWindow]:
    """`detect_inset` on consecutive windows of `window_s` seconds of a query: window k holds
    the frames with times in [k * window_s, (k + 1) * window_s). `source` is a video file,
    decoded with `iter_frames(source, fps, short_side, max_long_side)`, or (time_s, frame)
    pairs in time order as that yields. One `InsetWindow` per window that holds frames; an
    inset that appears mid-window may be missed in that window."""
    if not window_s > 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    if isinstance(source, str | Path):
        from vidtrace.video.decode import iter_frames

        source = iter_frames(source, fps, short_side, max_long_side)
    out = []
    for k, group in groupby(source, key=lambda pair: int(pair[0] // window_s)):
        times, frames = zip(*group, strict=True)
        out.append(InsetWindow(k * window_s, (k + 1) * window_s,
                               detect_inset(frames, times, params)))
    return out
