"""Stage 1: decode a video with PyAV into sampled frames, resized for the descriptor.

Three sampling modes (`vidtrace.settings.Sampling`, the `sampling` argument of `iter_frames`):
- "fixed": the first frame at or after each target time k / fps, with its own timestamp.
  Sampling follows timestamps, not frame counts, so variable-frame-rate files are sampled evenly.
- "keyframes": only the key frames are decoded at all (the fastest way through a file); `fps`,
  when given, only caps their rate.
- "scene": frames are kept on content change, judged on tiny grey thumbnails, at least one
  every `SCENE_MAX_GAP` / fps s and at most one every `SCENE_MIN_GAP` / fps s.
The pickers live in sampling.py; this module decodes (with the one reader, reader.py) and
converts what they keep.

Times are seconds from the first frame shown (reader.py's timestamp policy). Every failure is
raised as `VideoError` naming the file; a bad mode or rate as `ConfigError`.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vidtrace.errors import VideoError
from vidtrace.video.reader import VideoReader, decoding_error
from vidtrace.video.sampling import TIME_SLACK_S, FrameSelector, frame_selector


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


class SampledFrames(Iterator[tuple[float, np.ndarray]]):
    """The frames `iter_frames` yields; once they are all read, `duration` is the video's
    decoded length in seconds, to 0.01 s: the time of its last frame (the last decoded one,
    or the last packet's when frames were skipped) plus one frame period."""

    def __init__(self, frames: Iterator[tuple[float, np.ndarray]]) -> None:
        self._frames = frames
        self.duration: float | None = None

    def __next__(self) -> tuple[float, np.ndarray]:
        return next(self._frames)


def iter_frames(
    path: str | Path,
    fps: float | None,
    short_side: int = 224,
    max_long_side: int = 400,
    *,
    sampling: str = "fixed",
) -> SampledFrames:
    """Yield (time_s, rgb uint8[H, W, 3]) for the frames `sampling` picks (one of
    Sampling, see the module docstring) at rate `fps` (every frame, or every key frame,
    when None; scene sampling needs a rate), times strictly increasing (frames of broken
    containers that repeat or go back are dropped).

    Frames are converted and resized by FFmpeg's scaler straight to the output size. When the
    sampling rate is well below the stream's, non-reference frames are not decoded at all; in
    "keyframes" mode no other frame is. A bad `sampling` or `fps` raises ConfigError at once;
    file errors raise VideoError when iterating. The result's `duration` is the decoded
    length once every frame was read.
    """
    selector = frame_selector(sampling, fps)
    out = SampledFrames(iter(()))
    out._frames = _iter_frames(path, fps, short_side, max_long_side, sampling, selector, out)
    return out


def _iter_frames(path: str | Path, fps: float | None, short_side: int, max_long_side: int,
                 sampling: str, selector: FrameSelector, out: SampledFrames
                 ) -> Iterator[tuple[float, np.ndarray]]:
    import av

    keyframes = sampling == "keyframes"
    with VideoReader(path) as reader:
        if keyframes:
            reader.stream.codec_context.skip_frame = "NONKEY"
        elif fps is not None and reader.native_rate > 0 and fps * 4 <= reader.native_rate:
            # Dropping B-frames moves each sample by at most a frame or two.
            reader.stream.codec_context.skip_frame = "NONREF"
        try:
            # The last key frame can lie a whole GOP before the end, so in "keyframes" mode the
            # length check uses how far the demuxed packets go, not the last decoded frame.
            yield from _sample(reader, selector, short_side, max_long_side, keyframes, out)
        except av.error.FFmpegError as e:
            raise decoding_error(reader.path, e) from e


def _sample(reader: VideoReader, selector: FrameSelector, short_side: int, max_long_side: int,
            ends_by_packets: bool, out: SampledFrames) -> Iterator[tuple[float, np.ndarray]]:
    size: tuple[int, int] | None = None
    t: float | None = None
    for t, frame in reader.frames():
        if not selector.keep(t, frame):
            continue
        if size is None:
            size = output_size(*reader.display_size, short_side, max_long_side)
        yield t, reader.image(frame, *size)
    if t is None:
        raise VideoError(reader.path, "contains no decodable video frames (zero-length or "
                         "corrupt)")
    end = reader.end_s if ends_by_packets else t
    if end is not None:
        _check_length(reader, end)
    out.duration = round(max(t, end or 0.0, reader.end_s or 0.0) + 1.0 / reader.rate, 2)


def _check_length(reader: VideoReader, end_s: float) -> None:
    """VideoError when the video stops (its last frame at `end_s` s from the first frame) well
    before the length the file declares."""
    declared, strict = _declared_length(reader.container, reader.stream, reader.origin)
    decoded = end_s + 1.0 / max(reader.rate, 1)
    slack = max(0.5, 0.02 * declared) if strict else 0.5 * declared
    if declared > 0 and decoded < declared - slack:
        raise VideoError(
            reader.path, f"is truncated: it declares {declared:.1f} s of video but decoding "
            f"stops at {decoded:.1f} s; re-download or re-encode it"
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
