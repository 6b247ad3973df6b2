"""Random access into a video (stage 1, video): frames at chosen times, or a time window.

Stage 1 decodes whole files (`vidtrace.video.decode.iter_frames`); later stages sometimes need a
few frames of a long file (the ORB re-ranking of retrieve, a window around a candidate segment).
These readers jump to the key frame before each place with `container.seek` and decode forward
from there, so they cost a few key-frame intervals instead of the whole file.

Times are the ones `iter_frames` gives: seconds from the first decoded frame, whatever the
container's start time. Frames are resized as `iter_frames` resizes them. Every failure is
raised as `VideoError` naming the file.
"""

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.errors import VideoError
from vidtrace.video.decode import output_size
from vidtrace.video.reader import VideoReader, decoding_error
from vidtrace.video.sampling import TIME_SLACK_S

# A target further ahead than this is reached by seeking; nearer ones by decoding forward,
# which is cheaper than seeking back to a key frame and decoding up to the target again.
_SEEK_AHEAD_S = 3.0
# Seek this far before a target: containers place key frames by decoding time, which may run a
# little ahead of presentation time, and a window needs the frame before its start.
_PREROLL_S = 1.0


class _Cursor:
    """The frames of a video's first stream as (time_s, av.VideoFrame) (the reader's timestamp
    policy, reader.py); `seek` jumps to a key frame before a time."""

    def __init__(self, path: str | Path, sample_fps: float | None) -> None:
        self.path = path
        self._sample_fps = sample_fps
        self._reader: VideoReader | None = None
        self._reopen()
        try:
            first = self.pull()
        except BaseException:
            self.close()
            raise
        if first is None:
            self.close()
            raise VideoError(path, "contains no decodable video frames (zero-length or corrupt)")
        self.first = first
        # Without timestamps a seek could not be checked, so such files are only read forward.
        self.seekable = first[1].time is not None

    def _reopen(self) -> None:
        self.close()
        reader = self._reader = VideoReader(self.path)
        self.period = 1.0 / reader.rate
        native = reader.native_rate
        if self._sample_fps is not None and native > 0 and self._sample_fps * 4 <= native:
            # As iter_frames does, so that the same frames are decoded.
            reader.stream.codec_context.skip_frame = "NONREF"
        self._frames = reader.frames()

    def pull(self) -> tuple[float, Any] | None:
        """The next frame, or None at the end of the file."""
        return next(self._frames, None)

    def seek(self, t: float) -> tuple[float, Any] | None:
        """Jump to a key frame well before `t` s; returns the first frame there, which is
        before t - slack. When the container lands after that, decoding restarts from the
        beginning and the file's first frame is returned."""
        assert self._reader is not None  # open from __init__ until close
        self._reader.seek(t - _PREROLL_S)
        self._frames = self._reader.frames()
        landed = self.pull()
        if landed is not None and landed[0] < t - TIME_SLACK_S:
            return landed
        self._reopen()
        return self.pull()

    def image(self, frame: Any, short_side: int, max_long_side: int) -> np.ndarray:
        """`frame` as RGB uint8[H, W, 3], sized as `iter_frames` sizes frames."""
        assert self._reader is not None
        size = output_size(*self._reader.display_size, short_side, max_long_side)
        return self._reader.image(frame, *size)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def frames_at(
    path: str | Path,
    times: Sequence[float],
    short_side: int = 288,
    max_long_side: int = 512,
) -> list[np.ndarray | None]:
    """RGB uint8[H, W, 3] frames of `path` at `times` (seconds, in any order; results in the
    order given). Each is the first frame whose time is at or after the requested one (the
    first frame for times before it); a time past the last frame but within its display
    duration (its time + one frame period) gets the last frame, a later time None.

    Every frame is decoded (no frame skipping), so the pixels equal those `iter_frames(path,
    None, ...)` yields for that frame. The same frame requested twice comes back as two copies.
    """
    import av

    if not all(math.isfinite(t) for t in times):
        raise ValueError(f"frame times must be finite numbers, got {list(times)}")
    out: list[np.ndarray | None] = [None] * len(times)
    if not times:
        return out
    cursor: _Cursor | None = None
    try:
        cursor = _Cursor(path, sample_fps=None)
        current: tuple[float, Any] = cursor.first
        ended = False
        cached: tuple[Any, np.ndarray] | None = None  # the last frame converted, and its image
        for i in sorted(range(len(times)), key=lambda j: times[j]):
            t = times[i]
            if current[0] < t - TIME_SLACK_S and not ended:
                current, ended = _advance(cursor, current, t)
            if current[0] < t - TIME_SLACK_S and t >= current[0] + cursor.period - TIME_SLACK_S:
                continue  # past the end of the video
            if cached is None or cached[0] is not current[1]:
                cached = (current[1], cursor.image(current[1], short_side, max_long_side))
                out[i] = cached[1]
            else:
                out[i] = cached[1].copy()
        return out
    except av.error.FFmpegError as e:
        raise decoding_error(path, e) from e
    finally:
        if cursor is not None:
            cursor.close()


def _advance(cursor: _Cursor, current: tuple[float, Any], t: float
             ) -> tuple[tuple[float, Any], bool]:
    """(the first frame at or after `t`, False), or (the last frame, True) when the file ends
    first. `current` is the frame the cursor is on, before t."""
    if cursor.seekable and t - current[0] > _SEEK_AHEAD_S:
        landed = cursor.seek(t)
        if landed is None:
            raise VideoError(cursor.path, f"no frame could be decoded after seeking to {t:.2f} s")
        current = landed
    while current[0] < t - TIME_SLACK_S:
        following = cursor.pull()
        if following is None:
            return current, True
        if following[0] > current[0]:  # broken containers repeat or go back; keep to the order
            current = following
    return current, False


def iter_window(
    path: str | Path,
    fps: float | None,
    start: float,
    end: float,
    short_side: int = 288,
    max_long_side: int = 512,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time_s, rgb uint8[H, W, 3]) for the frames `iter_frames(path, fps, short_side,
    max_long_side)` yields with start <= time_s <= end, without decoding the file up to `start`.

    Samples fall on the same grid k / fps with the same rule as `iter_frames` (which frames a
    sampling rate far below the stream's skips is also the same), so the times agree with a full
    decode. Unlike `iter_frames`, a file that ends early is not reported as truncated.
    """
    import av

    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be positive or None, got {fps}")
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        raise ValueError(f"the window [{start}, {end}] must be finite with start <= end")
    cursor: _Cursor | None = None
    try:
        cursor = _Cursor(path, sample_fps=fps)
        yield from _window(cursor, fps, start, end, short_side, max_long_side)
    except av.error.FFmpegError as e:
        raise decoding_error(path, e) from e
    finally:
        if cursor is not None:
            cursor.close()


def _window(cursor: _Cursor, fps: float | None, start: float, end: float, short_side: int,
            max_long_side: int) -> Iterator[tuple[float, np.ndarray]]:
    # The sampling state of iter_frames: the last frame kept, and the next grid time to reach.
    last: float | None = None
    next_target = 0.0
    frame: tuple[float, Any] | None = cursor.first
    if cursor.seekable and start - cursor.first[0] > _SEEK_AHEAD_S:
        frame = cursor.seek(start)
        if frame is not None and frame[0] > 0.0:
            # After a landing frame at t0 (before start), iter_frames's next grid time is the
            # first one after t0 + slack whether or not it kept t0 itself.
            last = frame[0]
            if fps is not None:
                next_target = (math.floor((last + TIME_SLACK_S) * fps) + 1) / fps
            frame = cursor.pull()
    while frame is not None and frame[0] <= end:
        t = frame[0]
        keep = last is None or t > last
        if keep and fps is not None and t < next_target - TIME_SLACK_S:
            keep = False
        if keep:
            if fps is not None:
                while next_target <= t + TIME_SLACK_S:
                    next_target += 1.0 / fps
            last = t
            if t >= start:
                yield t, cursor.image(frame[1], short_side, max_long_side)
        frame = cursor.pull()
