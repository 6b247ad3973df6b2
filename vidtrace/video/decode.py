"""Decode a video with PyAV into frames sampled at a fixed rate and resized for the descriptor.

Sampling follows timestamps, not frame counts, so variable-frame-rate files are sampled evenly:
the first frame at or after each target time k / fps is kept, with its own timestamp. Times are
seconds from the first decoded frame. Every failure is raised as `VideoError` naming the file.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidtrace.errors import VideoError

# Later frames may carry a timestamp a hair before the target because of rounding in the
# container's time base; this slack avoids skipping them.
_TIME_SLACK_S = 1e-3


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a file's first video stream."""

    path: str
    duration: float
    width: int
    height: int
    fps: float
    codec: str


def check_video_path(path: str | Path) -> Path:
    """`path` as a Path when it is a non-empty file; VideoError naming it otherwise."""
    p = Path(path)
    if not p.exists():
        raise VideoError(p, "no such file; check the path")
    if p.is_dir():
        raise VideoError(p, "is a folder, not a video file")
    if p.stat().st_size == 0:
        raise VideoError(p, "is an empty file (0 bytes); re-export or re-download it")
    return p


def _open(path: str | Path):  # type: ignore[no-untyped-def]
    import av

    p = check_video_path(path)
    try:
        container = av.open(str(p))
    except av.error.EOFError as e:
        raise VideoError(p, "ends before any video data (zero-length or truncated); "
                         "re-export or re-download it") from e
    except av.error.FFmpegError as e:
        raise VideoError(
            p, "cannot be read as a video (not a video file, or corrupt/truncated); "
            f"re-encode it with ffmpeg ({e.strerror or type(e).__name__})"
        ) from e
    if not container.streams.video:
        container.close()
        raise VideoError(p, "has no video stream (audio-only or data file); give a video file")
    return container


def probe(path: str | Path) -> VideoInfo:
    """Container facts about `path`'s first video stream, without decoding the pictures."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        rate = stream.average_rate or stream.guessed_rate or Fraction(0)
        ctx = stream.codec_context
        return VideoInfo(str(path), duration, ctx.width, ctx.height, float(rate), ctx.name)
    finally:
        container.close()


def output_size(width: int, height: int, short_side: int, max_long_side: int) -> tuple[int, int]:
    """(width, height) keeping the aspect ratio with the short side at `short_side` pixels and the
    long side at most `max_long_side`; both even, at least 2."""
    if width <= 0 or height <= 0:
        raise ValueError("frame size must be positive")
    scale = short_side / min(width, height)
    scale = min(scale, max_long_side / max(width, height))
    w = max(2, round(width * scale / 2) * 2)
    h = max(2, round(height * scale / 2) * 2)
    return w, h


def iter_frames(
    path: str | Path,
    fps: float | None,
    short_side: int = 224,
    max_long_side: int = 400,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time_s, rgb uint8[H, W, 3]) for frames sampled at `fps` (every frame when None),
    times strictly increasing (frames of broken containers that repeat or go back are dropped).

    Frames are converted and resized by FFmpeg's scaler straight to the output size. When the
    sampling rate is well below the stream's, non-reference frames are not decoded at all.
    """
    import av

    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        native = float(stream.average_rate or stream.guessed_rate or 0)
        if fps is not None and native > 0 and fps * 4 <= native:
            # Dropping B-frames moves each sample by at most a frame or two.
            stream.codec_context.skip_frame = "NONREF"
        yield from _sample(container, stream, path, fps, short_side, max_long_side)
    except av.error.FFmpegError as e:
        raise VideoError(
            path, f"decoding failed ({e.strerror or type(e).__name__}): the file is corrupt or "
            "truncated; re-encode or re-download it"
        ) from e
    finally:
        container.close()


def _sample(container, stream, path, fps, short_side, max_long_side):  # type: ignore[no-untyped-def]
    origin: float | None = None
    first_time: float | None = None  # the first frame's own timestamp, on the container's clock
    last: float | None = None
    next_target = 0.0
    size: tuple[int, int] | None = None
    count = 0
    for frame in container.decode(stream):
        t = frame.time
        if t is None:
            t = count / float(stream.average_rate or 25)
        count += 1
        if origin is None:
            origin, first_time = t, frame.time
        t -= origin
        if last is not None and t <= last:
            continue
        if fps is not None and t < next_target - _TIME_SLACK_S:
            continue
        if fps is not None:
            while next_target <= t + _TIME_SLACK_S:
                next_target += 1.0 / fps
        if size is None:
            w, h = frame.width, frame.height
            sar = stream.codec_context.sample_aspect_ratio
            if sar is not None and sar > 0 and sar != 1:
                w = round(w * float(sar))
            size = output_size(w, h, short_side, max_long_side)
        image = frame.to_ndarray(
            width=size[0], height=size[1], format="rgb24", interpolation="AREA"
        )
        last = t
        yield t, image
    if count == 0:
        raise VideoError(path, "contains no decodable video frames (zero-length or corrupt)")
    declared, strict = _declared_length(container, stream, first_time)
    decoded = (t if origin is not None else 0.0) + 1.0 / max(float(stream.average_rate or 25), 1)
    slack = max(0.5, 0.02 * declared) if strict else 0.5 * declared
    if declared > 0 and decoded < declared - slack:
        raise VideoError(
            path, f"is truncated: it declares {declared:.1f} s of video but decoding stops at "
            f"{decoded:.1f} s; re-download or re-encode it"
        )


def _declared_length(  # type: ignore[no-untyped-def]
    container, stream, first_time: float | None
) -> tuple[float, bool]:
    """The video length in seconds the file claims from its first decoded frame (timestamp
    `first_time` s, None when frames carry none) to its end, and whether the claim is the video
    stream's own (container-level durations may include a longer audio track, so they are checked
    loosely).

    A file cut or remuxed with a start offset declares its length from its start time, not from
    0; only the part after the first decoded frame counts.
    """
    if stream.duration is not None and stream.time_base is not None:
        start = None if stream.start_time is None else float(stream.start_time * stream.time_base)
        return _length_after(first_time, start, float(stream.duration * stream.time_base)), True
    if container.duration is not None:
        start = None if container.start_time is None else container.start_time / 1_000_000
        if "matroska" in container.format.name:
            # Matroska has no per-track duration, and its Duration runs from the segment's time 0,
            # not from the first frame: a start offset is already inside it.
            start = 0.0
        duration = container.duration / 1_000_000
        return _length_after(first_time, start, duration), not container.streams.audio
    return 0.0, False


def _length_after(first_time: float | None, start: float | None, duration: float) -> float:
    """How much of the declared span [start, start + duration] s lies after `first_time` s; the
    whole span when either time is unknown."""
    if first_time is None or start is None:
        return duration
    return start + duration - first_time


def sample_mask(times: np.ndarray, fps: float) -> np.ndarray:
    """Which of increasing frame `times` sampling at `fps` keeps: the rule of `iter_frames`
    (first frame at or after each k/fps), applied to frames already sampled at a finer rate."""
    keep = np.zeros(len(times), dtype=bool)
    next_target = 0.0
    for i, t in enumerate(times.tolist()):
        if t < next_target - _TIME_SLACK_S:
            continue
        keep[i] = True
        while next_target <= t + _TIME_SLACK_S:
            next_target += 1.0 / fps
    return keep


def decode_frames(
    path: str | Path,
    fps: float | None,
    short_side: int = 224,
    max_long_side: int = 400,
) -> tuple[np.ndarray, np.ndarray]:
    """All sampled frames at once: (times float64[T], frames uint8[T, H, W, 3])."""
    times: list[float] = []
    frames: list[np.ndarray] = []
    for t, image in iter_frames(path, fps, short_side, max_long_side):
        times.append(t)
        frames.append(image)
    return np.asarray(times, dtype=np.float64), np.stack(frames)
