"""Extra views of a query's frames (stage 1, video; docs/pip.md): the whole frame, the
picture-in-picture inset where one is found, the picture beside it, and a turned picture
turned back, with the picture found in it.

`inset_windows` groups a query's decoded frames into windows of `PIP_WINDOW_S` seconds and runs
the inset detectors (`vidtrace.video.pip`, `stillhost`, `canvas`, `fill`) on each as it
completes, holding at most two windows of raw frames at a time (an inset found in one window is
carried to its neighbours that find none); `InsetCollector` passes the frames on, prepared for
the descriptor, and describes the inset crops on the side, the picture beside each
picture-in-picture inset (`beside_box`), and the frames of a turned window turned back
(`vidtrace.video.turn`), with the inset, the strip beside it or the canvas's picture found in
them. What a described query becomes, `QueryViews` (a `FrameSet` of the whole frames, exactly
as without the extra views, and an `InsetView` for each extra view: vectors for some of those
frames, rows into the FrameSet), the mirrored view (`MirrorCollector`) and the batch
describing are in `vidtrace.video.described`. Matching compares a query frame with a
reference frame by the best of its views (`QueryViews.similarity`).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from vidtrace.video.borders import prepare_frame
from vidtrace.video.canvas import detect_canvas
from vidtrace.video.described import Described, InsetView
from vidtrace.video.fill import detect_fill
from vidtrace.video.inset import Inset
from vidtrace.video.pip import (
    COARSE_SCALE,
    DEFAULT_PARAMS,
    InsetWindow,
    PipParams,
    crop_inset,
    detect_inset,
    detect_soft_inset,
)
from vidtrace.video.stillhost import detect_still_host_inset
from vidtrace.video.turn import turn_back, turned_angle

# Seconds of query per detection window: 20 frames at 2 frames/s, where the detector found no
# false inset in its development sets (docs/pip.md, "Why these values").
PIP_WINDOW_S = 10.0

# Share of a found picture's width and height cut off each side before it is described: its
# outermost pixels are the least sure (the box is found to a few pixels, a frame line, a
# feathered edge, a rounded corner or a canvas's fill can remain there), and SSCD matches a
# slightly cropped picture well. Chosen on the calibration split (docs/pip.md, "Trimming the
# found picture").
INSET_TRIM = 0.02

# The picture beside a found picture-in-picture inset (a foreign inset may hide part of the
# copy: reversed picture-in-picture) is the widest strip of the frame that runs along one side
# of the inset, kept clear of it by BESIDE_MARGIN of the frame's width (height), when it holds
# at least BESIDE_MIN of the frame (docs/pip.md, "The picture beside an inset").
BESIDE_MARGIN = 0.02
BESIDE_MIN = 0.25
# Every BESIDE_STEP-th frame of a window is described beside its inset (2 halves the cost but,
# on the calibration split, keeps almost none of the gain; docs/pip.md).
BESIDE_STEP = 1
# The picture beside is for a copy that neither the whole frame nor the inset shows well (a
# foreign inset over it). Where the library can be asked (`InsetCollector`'s `nearest`), a frame
# whose whole picture or inset already has a reference frame at similarity BESIDE_MATCHED_SIM
# or more is not described beside (docs/pip.md, "Beside only where nothing matches yet").
BESIDE_MATCHED_SIM = 0.7
# Where the library can be asked, a found picture (inset, canvas, fill) is described only for the
# frames whose whole picture has no reference frame at INSET_MATCHED_SIM or more: those frames
# are matched already, and their picture would mostly raise a score that is not in doubt
# (docs/pip.md, "The found picture only where nothing matches yet").
INSET_MATCHED_SIM = 0.7

# An inset found over the whole frame counts as inside a canvas's picture when it runs past it
# by at most this share of the frame's width (height): the picture's box is pulled in by 2 %
# at each edge (fill.EDGE_MARGIN).
WITHIN_SLACK = 0.03

# float32[n, d] query vectors -> float32[n]: each one's similarity to its nearest reference
# frame (-inf where the library has none).
Nearest = Callable[[np.ndarray], np.ndarray]


def inset_windows(frames: Iterable[tuple[float, np.ndarray]], window_s: float = PIP_WINDOW_S,
                  params: PipParams = DEFAULT_PARAMS, pip: bool = True, canvas: bool = False
                  ) -> Iterator[tuple[InsetWindow, list[tuple[float, np.ndarray]]]]:
    """Windows of (time_s, RGB uint8[H, W, 3]) frames in time order, as `iter_frames` yields:
    window k holds the frames with times in [k * window_s, (k + 1) * window_s). Yields each
    window that holds frames with what was found in it, and its frames: with `pip`, the inset
    `detect_inset` or `detect_still_host_inset` finds, or else `detect_inset` at half size
    (`detect_soft_inset`: soft edges, rounded corners), or else, when there is no inset to carry
    (below), at a third of the size (`COARSE_SCALE`: a wider feather); with `canvas`, else the
    picture inside a blurred canvas, a still or a mirrored fill (`canvas_picture`). Where the
    inset found runs past the edge of a canvas's picture found in the same window, it is looked
    for again inside that picture (an inset in a picture that was then put on a mirrored
    canvas is reflected into the fill).

    A picture-in-picture inset stays where it is for as long as the edit lasts, but a window
    in which its picture hardly moves gives the detectors nothing to go on. So a window that
    finds nothing takes the picture-in-picture inset of the last window before it that found
    one (`carried`), and a window before any finding takes that of the window right after it,
    if that one finds one. At most two windows of frames are held: the next is read only after
    the caller is done with this one, or, for a window that found nothing before any finding,
    read before it is given out."""
    if not window_s > 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    held: tuple[int, list[tuple[float, np.ndarray]]] | None = None
    last: Inset | None = None
    for k, group in groupby(frames, key=lambda pair: int(pair[0] // window_s)):
        window = list(group)
        images = [frame for _, frame in window]
        found = _pip_look(images, params, last is None) if pip else None
        outer = canvas_picture(images) if canvas else None
        if outer is not None and found is not None and not _within(found, outer):
            found = _pip_look(images, params, last is None, outer) or found
        inset = found
        if inset is None and outer is not None:
            inset = outer
        if held is not None:
            hk, held_frames = held
            yield InsetWindow(hk * window_s, (hk + 1) * window_s, found, found is not None), \
                held_frames
            held = None
        if found is not None:
            last = found
        if inset is not None:
            yield InsetWindow(k * window_s, (k + 1) * window_s, inset,
                              canvas=found is None), window
        elif last is not None:
            yield InsetWindow(k * window_s, (k + 1) * window_s, last, True), window
        elif pip:
            held = (k, window)
        else:
            yield InsetWindow(k * window_s, (k + 1) * window_s, None), window
    if held is not None:
        hk, held_frames = held
        yield InsetWindow(hk * window_s, (hk + 1) * window_s, None), held_frames


def _pip_look(images: list[np.ndarray], params: PipParams, coarse: bool,
              box: Inset | None = None) -> Inset | None:
    """The picture-in-picture inset of one window's frames, or None: `detect_inset`, else
    `detect_still_host_inset`, else `detect_soft_inset` at half size, else (with `coarse`) at
    `COARSE_SCALE`. With `box`, only inside it (a canvas's picture: an inset in a picture that
    was then put on a mirrored canvas is reflected into the fill, and the whole frame shows a
    rectangle of inset and reflection; docs/views.md, "An inset inside a canvas")."""
    frames = images
    if box is not None:
        frames = [np.ascontiguousarray(f[box.y0:box.y1, box.x0:box.x1]) for f in images]
    found = (detect_inset(frames, None, params) or detect_still_host_inset(frames)
             or detect_soft_inset(frames, params))
    if found is None and coarse:
        found = detect_soft_inset(frames, params, COARSE_SCALE)
    if found is None or box is None:
        return found
    h, w = images[0].shape[:2]
    return Inset(found.x0 + box.x0, found.y0 + box.y0, found.x1 + box.x0, found.y1 + box.y0,
                 w, h, found.confidence)


def _within(inner: Inset, outer: Inset, slack: float = WITHIN_SLACK) -> bool:
    """Whether `inner` lies inside `outer` (same frames), give or take `slack` of the frame's
    width and height (`WITHIN_SLACK`: a found canvas picture is pulled in at its edges)."""
    sx, sy = slack * outer.frame_w, slack * outer.frame_h
    return (inner.x0 >= outer.x0 - sx and inner.y0 >= outer.y0 - sy
            and inner.x1 <= outer.x1 + sx and inner.y1 <= outer.y1 + sy)


def canvas_picture(images: list[np.ndarray]) -> Inset | None:
    """The picture inside a canvas shown by one window's frames, or None: the blurred canvas's
    (`detect_canvas`), unless the still or mirrored fill's (`detect_fill`) lies inside it. The
    blurred-canvas test takes lines of little detail for fill and stops at the first step up
    in detail, so a patterned fill (flat squares, then a square's edge) passes it with the
    picture's box drawn around most of the pattern; the fill test asks that the fill stay still
    while the picture moves, which a pattern does and a blurred copy of the picture does not
    (docs/views.md, "A patterned fill")."""
    blurred = detect_canvas(images)
    fill = detect_fill(images)
    if blurred is None:
        return fill
    if fill is not None and fill.box != blurred.box and _within(fill, blurred, 0.0):
        return fill
    return blurred


def beside_box(inset: Inset, width: int, height: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) in a width x height frame: the widest of the four strips beside
    `inset` (left of it, right of it, above it, below it; each the frame's full height or
    width), kept `BESIDE_MARGIN` clear of the inset; None when it holds less than `BESIDE_MIN`
    of the frame. Where the copy is the host and a foreign inset hides part of it, the strip
    is copy alone, and SSCD matches such a crop of a frame better than the frame with the
    inset in it (docs/pip.md, "The picture beside an inset")."""
    x0, y0, x1, y1 = inset.box_in(width, height)
    mx, my = round(BESIDE_MARGIN * width), round(BESIDE_MARGIN * height)
    x0, y0, x1, y1 = max(0, x0 - mx), max(0, y0 - my), min(width, x1 + mx), min(height, y1 + my)
    strips = [(0, 0, x0, height), (x1, 0, width, height), (0, 0, width, y0),
              (0, y1, width, height)]
    best = max(strips, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    if (best[2] - best[0]) * (best[3] - best[1]) < BESIDE_MIN * width * height:
        return None
    return best


@dataclass
class _Waiting:
    """A window's crops waiting for its whole frames (rows first..end-1) to be described:
    `insets`, its found picture (row, prepared crop); `crops`, its other crops (row, prepared
    crop, where it goes: the strips beside its inset, its frames turned back), decided once the
    found picture is; `choices`, (row, the crops of each picture found in its frames turned
    back), decided with them."""

    first: int
    end: int
    insets: list[tuple[int, np.ndarray]]
    crops: list[tuple[int, np.ndarray, "Described"]]
    choices: list[tuple[int, list[np.ndarray]]]


class InsetCollector:
    """Passes a query's decoded frames on for the whole-frame descriptor and describes the inset
    of each frame of a window with one on the side, in the same decode; with `beside`, also
    the picture beside a picture-in-picture inset (`beside_box`; not beside a canvas's
    picture, whose surround is fill).

    describe: uint8[B, size, size, 3] -> float32[B, d] (a descriptor's `describe`). The crops
    are prepared as the whole frames are (`prepare_frame`) and described `batch_size` at a
    time; call `view`, `beside_view`, `turned_view` and `turned_inset_view` once
    `whole_frames` is exhausted.

    With `turn`, the frames of a window whose picture is turned in the frame (a rotated
    copy, `turned_angle`) are also described turned back (`turn_back`; docs/views-generalise.md,
    "Turned pictures"), and where the turned-back frames show an inset, a strip beside it or a
    canvas's picture (`_turned_pictures`), that picture too.

    nearest: the library's answer to how close query vectors come to a reference frame
    (`Nearest`). Given it, a frame's found picture is described only where its whole picture
    does not come within `INSET_MATCHED_SIM` of a reference frame, and a frame is described
    beside its inset, or turned back, only where neither its whole picture nor its inset comes
    within `BESIDE_MATCHED_SIM`: a window's crops wait until its whole frames are described,
    which the caller reports batch by batch, in row order, through `whole_described`.
    """

    def __init__(self, describe: Callable[[np.ndarray], np.ndarray], input_size: int,
                 crop_borders: bool, batch_size: int, window_s: float = PIP_WINDOW_S,
                 pip: bool = True, canvas: bool = False, beside: bool = False,
                 nearest: Nearest | None = None, turn: bool = False) -> None:
        self._pip, self._canvas, self._beside, self._turn = pip, canvas, beside, turn
        self._size, self._crop = input_size, crop_borders
        self._window_s = window_s
        self._insets = Described(describe, batch_size)
        self._besides = Described(describe, batch_size)
        self._turned = Described(describe, batch_size)
        self._turned_insets = Described(describe, batch_size)
        self._angle: float | None = None  # the last window's turn
        self._windows: list[InsetWindow] = []
        self._nearest = nearest
        self._waiting: list[_Waiting] = []
        # whole-frame vectors reported so far, from row _whole_from on, and the first row of
        # the window being passed on (rows before both are no longer needed)
        self._whole: np.ndarray | None = None
        self._whole_from = 0
        self._open = 0

    def whole_frames(self, frames: Iterable[tuple[float, np.ndarray]]
                     ) -> Iterator[tuple[float, np.ndarray]]:
        """(time_s, prepared whole frame) for each decoded (time_s, RGB frame), in order, one
        window late (two for a window `inset_windows` holds); the frames of a window with an
        inset, found or carried, are cropped and described too."""
        row = 0
        for window, decoded in inset_windows(frames, self._window_s, pip=self._pip,
                                             canvas=self._canvas):
            self._windows.append(window)
            self._open = first = row
            inset = window.inset
            # a window's frames are decoded at one size: one strip for all of them
            h, w = decoded[0][1].shape[:2]
            box = (beside_box(inset, w, h) if inset is not None and self._beside
                   and not window.canvas else None)
            angle = (turned_angle([image for _, image in decoded], self._angle) if self._turn
                     else None)
            self._angle = angle
            back = [] if angle is None else [turn_back(image, angle) for _, image in decoded]
            pictures = self._turned_pictures(back)
            insets: list[tuple[int, np.ndarray]] = []
            crops: list[tuple[int, np.ndarray, Described]] = []
            choices: list[tuple[int, list[np.ndarray]]] = []
            for i, (t, image) in enumerate(decoded):
                if inset is not None:
                    insets.append((row, prepare_frame(crop_inset(image, inset, INSET_TRIM),
                                                      self._size, self._crop)))
                if box is not None and i % BESIDE_STEP == 0:
                    x0, y0, x1, y1 = box
                    crops.append((row, prepare_frame(image[y0:y1, x0:x1], self._size,
                                                     self._crop), self._besides))
                if back:
                    crops.append((row, prepare_frame(back[i], self._size, self._crop),
                                  self._turned))
                if pictures:
                    choices.append((row, [prepare_frame(crop_inset(back[i], p, INSET_TRIM),
                                                        self._size, self._crop)
                                          for p in pictures]))
                yield t, prepare_frame(image, self._size, self._crop)
                row += 1
            self._open = row
            if (insets or crops or choices) and self._nearest is not None:
                self._waiting.append(_Waiting(first, row, insets, crops, choices))
                self._settle()
            else:
                for r, crop in insets:
                    self._insets.add(r, crop)
                for r, crop, to in crops:
                    to.add(r, crop)
                for r, candidates in choices:  # no evidence to choose by: the first
                    self._turned_insets.add(r, candidates[0])
        self._insets.flush()

    def _turned_pictures(self, back: list[np.ndarray]) -> list[Inset]:
        """The pictures in a turned window's frames turned back (`back`, maybe empty): with
        `pip`, an inset (`_pip_look`, every look), and with `beside` the strip beside it
        (`beside_box`: a foreign inset over a copy that was then turned); with `canvas`, a
        canvas's picture (`canvas_picture`); each where found. All are kept, and each frame
        takes the one nearer a reference frame: a turned canvas's picture can hold a false
        inset (a pole and a letterbox bar make a rectangle), and a turned inset's host a false
        canvas (docs/views.md, "A turned inset or canvas")."""
        if not back:
            return []
        found = _pip_look(back, DEFAULT_PARAMS, True) if self._pip else None
        pictures = [] if found is None else [found]
        h, w = back[0].shape[:2]
        if found is not None and self._beside and (box := beside_box(found, w, h)):
            pictures.append(Inset(*box, w, h, found.confidence))
        outer = canvas_picture(back) if self._canvas else None
        if outer is not None and all(outer.box != p.box for p in pictures):
            pictures.append(outer)
        return pictures

    def whole_described(self, vectors: np.ndarray) -> None:
        """The whole-frame vectors of the next rows `whole_frames` passed on, as the caller
        describes them (with `nearest`: a window's crops wait for them)."""
        if self._nearest is None:
            return
        self._whole = (vectors if self._whole is None
                       else np.concatenate([self._whole, vectors]))
        self._settle()

    @property
    def _whole_end(self) -> int:
        """The row after the last whole frame reported."""
        return self._whole_from + (0 if self._whole is None else len(self._whole))

    def _settle(self) -> None:
        """Decide every waiting window whose whole frames are described, in row order."""
        assert self._nearest is not None
        while self._waiting and self._waiting[0].end <= self._whole_end:
            waiting = self._waiting.pop(0)
            assert self._whole is not None
            whole = self._whole[waiting.first - self._whole_from:waiting.end - self._whole_from]
            best = self._nearest(whole)
            insets = [(r, crop) for r, crop in waiting.insets
                      if best[r - waiting.first] < INSET_MATCHED_SIM]
            for r, crop in insets:
                self._insets.add(r, crop)
            if insets and waiting.crops:
                at = np.array([r - waiting.first for r, _ in insets])
                best[at] = np.maximum(best[at], self._nearest(self._insets.last(len(insets))))
            for r, crop, to in waiting.crops:
                if best[r - waiting.first] < BESIDE_MATCHED_SIM:
                    to.add(r, crop)
            chosen = [(r, c) for r, c in waiting.choices
                      if best[r - waiting.first] < BESIDE_MATCHED_SIM]
            self._turned_insets.add_best([r for r, _ in chosen], [c for _, c in chosen],
                                         self._nearest)
        keep = min([self._open, self._whole_end, *(w.first for w in self._waiting)])
        if self._whole is not None and keep > self._whole_from:
            self._whole, self._whole_from = self._whole[keep - self._whole_from:], keep

    def view(self, dim: int) -> InsetView:
        """The inset vectors of the frames `whole_frames` passed on (rows in its order; with
        `nearest`, once every whole frame has been reported to `whole_described`)."""
        return self._finished(self._insets, "view").view(dim, tuple(self._windows))

    def beside_view(self, dim: int) -> InsetView:
        """The vectors of the picture beside the inset, for the frames that have one (with
        `nearest`, once every whole frame has been reported to `whole_described`)."""
        return self._finished(self._besides, "beside_view").view(dim)

    def turned_view(self, dim: int) -> InsetView:
        """The vectors of the frames turned back, for the frames of turned windows (with
        `nearest`, once every whole frame has been reported to `whole_described`)."""
        return self._finished(self._turned, "turned_view").view(dim)

    def turned_inset_view(self, dim: int) -> InsetView:
        """The vectors of the inset or canvas's picture found in turned-back frames (as
        `turned_view`)."""
        return self._finished(self._turned_insets, "turned_inset_view").view(dim)

    def _finished(self, described: Described, caller: str) -> Described:
        """`described` with every waiting window decided and every crop described."""
        if self._waiting:
            if self._waiting[-1].end > self._whole_end:
                raise RuntimeError(f"{caller} before every whole frame was described")
            self._settle()
        described.flush()
        return described
