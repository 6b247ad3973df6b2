"""Rendering of reference and query videos with exact ground truth (stage 8, synth & eval).

Timing model. A query is a timeline of pieces laid end to end, each a span [start, end] of a
source video: a copied reference segment or unrelated filler footage. Piece i starts at
timeline second T_i = sum of the earlier pieces' lengths. With speed factor s (the speed edit,
default 1), output frame k is at t = k / fps and shows timeline second u = t * s, that is source
second start_i + (u - T_i) of the piece that holds u: the last source frame at or before that
time. So a copied piece lands at query [T_i / s, (T_i + end_i - start_i) / s] and copies
reference [start_i, end_i]: that pair is its `CopySegment`. Output timestamps start at 0.
"""

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidtrace.errors import ConfigError, VideoError
from vidtrace.synth.base import Edit, SpatialEdit
from vidtrace.synth.edits import RenderParams, reseed, split_chain
from vidtrace.synth.panzoom import join_footage
from vidtrace.synth.videoio import (
    Fit,
    FrameReader,
    VideoWriter,
    frame_size,
    output_rate,
    source_info,
)
from vidtrace.types import CopySegment, QueryTruth

# A piece may end this far past the container's stated duration (durations are rounded).
_END_SLACK_S = 0.1


@dataclass(frozen=True)
class CopyPiece:
    """Seconds [start, end] of reference video `path`, copied into a query. The reference id
    in the ground truth is `ref_id`, or the file's stem when None."""

    path: Path
    start: float
    end: float
    ref_id: str | None = None

    @property
    def reference(self) -> str:
        return self.ref_id or Path(self.path).stem


@dataclass(frozen=True)
class FillerPiece:
    """Seconds [start, end] of unrelated footage `path` (a distractor, not a reference)."""

    path: Path
    start: float
    end: float


Piece = CopyPiece | FillerPiece


def _check_piece(piece: Piece) -> None:
    if not isinstance(piece, CopyPiece | FillerPiece):
        raise ConfigError(f"a query piece must be a CopyPiece or FillerPiece, got {piece!r}")
    if not (0 <= piece.start < piece.end):
        raise ConfigError(f"{piece.path}: piece [{piece.start}, {piece.end}] s is empty or "
                          "starts before 0")
    duration = source_info(piece.path).duration
    if duration > 0 and piece.end > duration + _END_SLACK_S:
        raise ConfigError(f"{piece.path}: piece ends at {piece.end:.2f} s but the video lasts "
                          f"{duration:.2f} s")


def concat_videos(
    sources: Sequence[Path], out: Path, *, fps: float = 25.0, size: tuple[int, int] = (640, 360),
    crf: int = 18, preset: str = "veryfast",
) -> list[tuple[Path, float, float]]:
    """Join `sources` into one video `out` of `size` (w, h) at `fps`, each letterboxed to size.

    Returns (source, start_s, end_s) per source: output second start_s + x shows the source's
    frame at or before its second x, for 0 <= x < end_s - start_s (the source's length rounded
    up to whole output frames).
    """
    if not sources:
        raise ConfigError("concat_videos needs at least one source video")
    spans = join_footage([Path(s) for s in sources], out, fps=fps, size=size, crf=crf,
                         preset=preset)
    return [(Path(str(part)), start, end) for part, start, end in spans]


def render_copy(
    source: Path, out: Path, *, start: float, end: float, edits: Sequence[Edit] = (),
    seed: int = 0, fps: float | None = None, crf: int = 23, short_side: int | None = 360,
    ref_id: str | None = None, preset: str = "veryfast",
) -> QueryTruth:
    """Write `out`: seconds [start, end] of `source` through the edit chain. One copied segment:
    query [0, (end - start) / speed] <- reference [start, end]. See `compose_query`."""
    piece = CopyPiece(Path(source), start, end, ref_id)
    return compose_query([piece], out, edits=edits, seed=seed, fps=fps, crf=crf,
                         short_side=short_side, preset=preset)


def compose_query(
    pieces: Sequence[Piece], out: Path, *, edits: Sequence[Edit] = (), seed: int = 0,
    fps: float | None = None, crf: int = 23, short_side: int | None = 360,
    preset: str = "veryfast", query: str | None = None,
) -> QueryTruth:
    """Write query video `out` from `pieces` laid end to end, then edited by the chain `edits`,
    and return its exact ground truth (see the module docstring for the timing).

    Every piece is brought to one frame size before the edits: the first piece's display
    aspect with the short side `short_side` pixels (None: its own size, rounded to even);
    copies are letterboxed into it, filler is centre-cropped to fill it. The frame rate is the
    fps edit's, else `fps`, else the first piece's native rate. Quality is the reencode edit's,
    else `crf`. `seed` is mixed into the seeds of random edits (0 leaves them as given); the
    ground truth's `edits` list the chain as rendered. `query` names the query in the ground
    truth (default: the file name of `out`).
    """
    if not pieces:
        raise ConfigError("a query needs at least one piece")
    for piece in pieces:
        _check_piece(piece)
    chain = [reseed(edit, seed) for edit in edits]
    spatial, params = split_chain(chain)
    first = source_info(pieces[0].path)
    size = frame_size(first.width, first.height, short_side)
    rate = output_rate(params.fps or fps or first.rate)
    offsets = np.concatenate([[0.0], np.cumsum([p.end - p.start for p in pieces])])
    # Enough frames to cover the whole timeline, so every copied interval ends inside the video.
    n_frames = max(1, math.ceil(float(offsets[-1]) / params.speed * rate - 1e-6))
    _render_frames(pieces, offsets, size, spatial, params, rate, n_frames, Path(out), crf, preset)
    segments = tuple(
        CopySegment(p.reference, float(offsets[i]) / params.speed,
                    float(offsets[i + 1]) / params.speed, p.start, p.end)
        for i, p in enumerate(pieces) if isinstance(p, CopyPiece)
    )
    return QueryTruth(query or Path(out).name, float(n_frames / rate), segments,
                      tuple(edit.to_json() for edit in chain))


def _render_frames(
    pieces: Sequence[Piece], offsets: np.ndarray, size: tuple[int, int],
    spatial: Sequence[SpatialEdit], params: RenderParams, rate: Fraction, n_frames: int,
    out: Path, crf: int, preset: str,
) -> None:
    """Write n_frames output frames: frame k shows the timeline at (k / rate) * speed."""
    cuts = offsets[1:-1].tolist()  # timeline seconds where a new piece begins
    reader: FrameReader | None = None
    current = -1
    held: np.ndarray | None = None
    writer: VideoWriter | None = None
    try:
        for k in range(n_frames):
            t = float(k / rate)
            u = t * params.speed
            i = bisect_right(cuts, u)
            if i != current:
                if reader is not None:
                    reader.close()
                fit = Fit.LETTERBOX if isinstance(pieces[i], CopyPiece) else Fit.COVER
                reader, current, held = FrameReader(pieces[i].path, size, fit), i, None
            assert reader is not None  # opened above on the first frame
            image = reader.frame_at(pieces[i].start + (u - float(offsets[i])))
            if image is None and held is None:
                raise VideoError(pieces[i].path, f"has no frame at {pieces[i].start:.2f} s")
            held = image if image is not None else held
            edited = _apply_chain(held, spatial, t)  # type: ignore[arg-type]
            if writer is None:
                writer = VideoWriter(out, edited.shape[1], edited.shape[0], rate,
                                     crf=params.crf if params.crf is not None else crf,
                                     bitrate_kbps=params.bitrate_kbps, preset=preset)
            writer.write(edited)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        if reader is not None:
            reader.close()
        for edit in spatial:
            edit.close()
    if writer is not None:
        writer.close()


def _apply_chain(frame: np.ndarray, spatial: Sequence[SpatialEdit], t: float) -> np.ndarray:
    """`frame` through the spatial edits, then cropped by a row/column if needed to even sides."""
    for edit in spatial:
        frame = edit.apply(frame, t)
    h, w = frame.shape[:2]
    if h % 2 or w % 2:
        frame = frame[: h - h % 2, : w - w % 2]
    return np.ascontiguousarray(frame)
