"""Stage 1: decode a video with PyAV into sampled frames, resized for the descriptor.

Three sampling modes (`SAMPLING_MODES`, the `sampling` argument of `iter_frames`):
- "fixed": the first frame at or after each target time k / fps, with its own timestamp.
  Sampling follows timestamps, not frame counts, so variable-frame-rate files are sampled evenly.
- "keyframes": only the key frames are decoded at all (the fastest way through a file); `fps`,
  when given, only caps their rate.
- "scene": frames are kept on content change, judged on tiny grey thumbnails, at least one
  every `SCENE_MAX_GAP` / fps s and at most one every `SCENE_MIN_GAP` / fps s.
The pickers live in sampling.py; this module decodes and converts what they keep.

Times are seconds from the first decoded frame. Every failure is raised as `VideoError` naming
the file; a bad mode or rate as `ConfigError`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np

from vidtrace.errors import VideoError
from vidtrace.video.sampling import (
    TIME_SLACK_S,
    FrameSelector,
    frame_selector,
)

if TYPE_CHECKING:
    from av import VideoFrame


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
    *,
    sampling: str = "fixed",
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time_s, rgb uint8[H, W, 3]) for the frames `sampling` picks (one of
    SAMPLING_MODES, see the module docstring) at rate `fps` (every frame, or every key frame,
    when None; scene sampling needs a rate), times strictly increasing (frames of broken
    containers that repeat or go back are dropped).

    Frames are converted and resized by FFmpeg's scaler straight to the output size. When the
    sampling rate is well below the stream's, non-reference frames are not decoded at all; in
    "keyframes" mode no other frame is. A bad `sampling` or `fps` raises ConfigError at once;
    file errors raise VideoError when iterating.
    """
    selector = frame_selector(sampling, fps)
    return _iter_frames(path, fps, short_side, max_long_side, sampling, selector)


def _iter_frames(  # type: ignore[no-untyped-def]
    path, fps, short_side, max_long_side, sampling, selector
) -> Iterator[tuple[float, np.ndarray]]:
    import av

    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        native = float(stream.average_rate or stream.guessed_rate or 0)
        if sampling == "keyframes":
            stream.codec_context.skip_frame = "NONKEY"
        elif fps is not None and native > 0 and fps * 4 <= native:
            # Dropping B-frames moves each sample by at most a frame or two.
            stream.codec_context.skip_frame = "NONREF"
        # The last key frame can lie a whole GOP before the end, so in "keyframes" mode the
        # length check uses how far the demuxed packets go, not the last decoded frame.
        yield from _sample(container, stream, path, selector, short_side, max_long_side,
                           ends_by_packets=sampling == "keyframes")
    except av.error.FFmpegError as e:
        raise VideoError(
            path, f"decoding failed ({e.strerror or type(e).__name__}): the file is corrupt or "
            "truncated; re-encode or re-download it"
        ) from e
    finally:
        container.close()


def _sample(  # type: ignore[no-untyped-def]
    container, stream, path, selector: FrameSelector, short_side: int, max_long_side: int,
    ends_by_packets: bool,
) -> Iterator[tuple[float, np.ndarray]]:
    origin: float | None = None
    first_time: float | None = None  # the first frame's own timestamp, on the container's clock
    last: float | None = None
    size: tuple[int, int] | None = None
    count = 0
    demuxed = _Demuxed()
    for frame in demuxed.decode(container, stream):
        t = frame.time
        if t is None:
            t = count / float(stream.average_rate or 25)
        count += 1
        if origin is None:
            origin, first_time = t, frame.time
        t -= origin
        if last is not None and t <= last:
            continue
        if not selector.keep(t, frame):
            continue
        if size is None:
            size = _output_size_of(frame, stream, short_side, max_long_side)
        image = frame.to_ndarray(
            width=size[0], height=size[1], format="rgb24", interpolation="AREA"
        )
        last = t
        yield t, image
    if count == 0 or origin is None:
        raise VideoError(path, "contains no decodable video frames (zero-length or corrupt)")
    if not ends_by_packets:
        _check_length(container, stream, path, first_time, t)
    elif demuxed.end_s is not None and first_time is not None:
        _check_length(container, stream, path, first_time, demuxed.end_s - origin)


class _Demuxed:
    """Decodes a stream packet by packet, as `container.decode(stream)` does, noting the latest
    packet time seen (`end_s`, seconds on the container's clock; None when packets carry none)."""

    def __init__(self) -> None:
        self.end_s: float | None = None

    def decode(self, container, stream) -> Iterator["VideoFrame"]:  # type: ignore[no-untyped-def]
        for packet in container.demux(stream):
            if packet.pts is not None and packet.time_base is not None:
                t = float(packet.pts * packet.time_base)
                if self.end_s is None or t > self.end_s:
                    self.end_s = t
            yield from packet.decode()


def _output_size_of(  # type: ignore[no-untyped-def]
    frame: "VideoFrame", stream, short_side: int, max_long_side: int
) -> tuple[int, int]:
    """The output (width, height) for `stream`'s frames, with non-square pixels made square."""
    w, h = frame.width, frame.height
    sar = stream.codec_context.sample_aspect_ratio
    if sar is not None and sar > 0 and sar != 1:
        w = round(w * float(sar))
    return output_size(w, h, short_side, max_long_side)


def _check_length(  # type: ignore[no-untyped-def]
    container, stream, path, first_time: float | None, end_s: float
) -> None:
    """VideoError when the video stops (its last frame at `end_s` s from the first frame, whose
    own timestamp is `first_time`) well before the length the file declares."""
    declared, strict = _declared_length(container, stream, first_time)
    decoded = end_s + 1.0 / max(float(stream.average_rate or 25), 1)
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
        if t < next_target - TIME_SLACK_S:
            continue
        keep[i] = True
        while next_target <= t + TIME_SLACK_S:
            next_target += 1.0 / fps
    return keep


# Two signatures, so that calls passing the sizes as **dict[str, int] (and no mode) still type.
@overload
def decode_frames(
    path: str | Path, fps: float | None, short_side: int = 224, max_long_side: int = 400
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def decode_frames(
    path: str | Path, fps: float | None, short_side: int = 224, max_long_side: int = 400, *,
    sampling: str
) -> tuple[np.ndarray, np.ndarray]: ...


def decode_frames(
    path: str | Path,
    fps: float | None,
    short_side: int = 224,
    max_long_side: int = 400,
    *,
    sampling: str = "fixed",
) -> tuple[np.ndarray, np.ndarray]:
    """All frames `iter_frames` yields, at once: (times float64[T], frames uint8[T, H, W, 3])."""
    times: list[float] = []
    frames: list[np.ndarray] = []
    for t, image in iter_frames(path, fps, short_side, max_long_side, sampling=sampling):
        times.append(t)
        frames.append(image)
    return np.asarray(times, dtype=np.float64), np.stack(frames)
