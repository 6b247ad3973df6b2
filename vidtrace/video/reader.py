"""The one video reader (stage 1, video): open a file with PyAV, tell what it holds, and
decode its first video stream into frames with times, with one timestamp policy.

Every reader of pictures in vidtrace goes through `VideoReader`: sampling whole files
(decode.py), random access (seek.py) and the transformation engine (synth/videoio.py).

Timestamp policy: a frame's time is its own timestamp in seconds (or its decode count /
frame rate when the container gives none), counted from the first frame shown. Frames come
out in presentation order: some containers (AVI with packed B-frames) hand the decoder's
frames out of order, so up to REORDER_DEPTH frames are held and released by timestamp. A
frame whose time does not come after the previous one (a repeat) is dropped, so times are
strictly increasing.

Every failure is a `VideoError` naming the file and what to do.
"""

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Self

import numpy as np

from vidtrace.errors import VideoError

# Frames held to put them in presentation order (an AVI's packed B-frames come one frame late).
REORDER_DEPTH = 4


def _is_image_demuxer(format_name: str) -> bool:
    """Whether FFmpeg opened the file with one of its still-image demuxers ("png_pipe",
    "jpeg_pipe", "image2", ...): a picture, whatever its file name says."""
    return format_name == "image2" or format_name.endswith("_pipe")


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a file's first video stream: display size (sample aspect
    ratio applied), native frame rate (0 when unknown), declared duration in seconds (0 when
    not declared) and codec name."""

    path: str
    duration: float
    width: int
    height: int
    fps: float
    codec: str


def check_video_path(path: str | Path) -> Path:
    """`path` as a Path when it is a non-empty file; VideoError naming it otherwise."""
    p = Path(path)
    try:
        if p.is_dir():
            raise VideoError(p, "is a folder, not a video file")
        if p.is_symlink() and not p.exists():
            raise VideoError(p, "is a symbolic link that leads nowhere (a loop, or its target "
                             "is gone); give the video file itself")
        if not p.exists():
            raise VideoError(p, "no such file; check the path")
        size = p.stat().st_size
    except OSError as e:  # a symlink loop, a name too long, no permission
        raise VideoError(p, f"cannot be read ({e.strerror or e}); check the path") from e
    if size == 0:
        raise VideoError(p, "is an empty file (0 bytes); re-export or re-download it")
    return p


def _open_container(path: Path) -> Any:
    import av

    try:
        return av.open(str(path))
    except av.error.EOFError as e:
        raise VideoError(path, "ends before any video data (zero-length or truncated); "
                         "re-export or re-download it") from e
    except av.error.FFmpegError as e:
        raise VideoError(
            path, "cannot be read as a video (not a video file, or corrupt/truncated); "
            f"re-encode it with ffmpeg ({e.strerror or type(e).__name__})"
        ) from e
    except OSError as e:
        raise VideoError(path, f"cannot be opened ({e.strerror or e}); check its "
                         "permissions") from e


def decoding_error(path: str | Path, error: Exception) -> VideoError:
    """The VideoError for a decoder failure in the middle of `path`."""
    reason = getattr(error, "strerror", None) or type(error).__name__
    return VideoError(path, f"decoding failed ({reason}): the file is corrupt or truncated; "
                      "re-encode or re-download it")


class VideoReader:
    """An opened video file and its first video stream.

    `skip` lets the decoder skip frames: "NONREF" (non-reference frames: for sampling far
    below the native rate) or "NONKEY" (all but key frames). `frames()` yields
    (time_s, av.VideoFrame) under the module's timestamp policy; `seek(t)` jumps to a key frame
    before time t, after which `frames()` continues from there. `end_s` is the latest packet
    time seen so far, relative to the first frame (None before any).
    """

    def __init__(self, path: str | Path, skip: str | None = None) -> None:
        self.path = check_video_path(path)
        self.container = _open_container(self.path)
        try:
            if not self.container.streams.video:
                raise VideoError(self.path, "has no video stream (audio-only or data file); "
                                 "give a video file")
            self.stream = self.container.streams.video[0]
            self._refuse_still_image()
        except BaseException:
            self.container.close()
            raise
        self.stream.thread_type = "AUTO"
        if skip is not None:
            self.stream.codec_context.skip_frame = skip
        self.native_rate = float(self.stream.average_rate or self.stream.guessed_rate or 0)
        self.rate = self.native_rate or 25.0
        self.origin: float | None = None  # the first frame's own time, on the container clock
        self._packet_end: float | None = None
        self._count = 0
        self._frames = self._presented()

    def _refuse_still_image(self) -> None:
        codec = self.stream.codec_context.name
        if _is_image_demuxer(self.container.format.name):
            raise VideoError(self.path, f"is a still image ({codec}), not a video; give a video "
                             "file (a picture can be turned into one with ffmpeg -loop 1)")

    # ---- facts ---------------------------------------------------------------------------

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) with non-square pixels made square (sample aspect ratio applied)."""
        ctx = self.stream.codec_context
        sar = ctx.sample_aspect_ratio
        width = round(ctx.width * float(sar)) if sar is not None and sar > 0 else ctx.width
        return width, ctx.height

    def declared_duration(self) -> float:
        """The duration the file declares for the stream (or the container), seconds; 0 when
        it declares none."""
        stream, container = self.stream, self.container
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return float(container.duration / 1_000_000)
        return 0.0

    def info(self) -> VideoInfo:
        width, height = self.display_size
        return VideoInfo(str(self.path), self.declared_duration(), width, height,
                         float(self.native_rate or Fraction(0)), self.stream.codec_context.name)

    @property
    def frames_decoded(self) -> int:
        """How many frames the decoder has produced so far (the cost of reading, seeks
        included)."""
        return self._count

    @property
    def end_s(self) -> float | None:
        if self._packet_end is None or self.origin is None:
            return None
        return self._packet_end - self.origin

    # ---- frames --------------------------------------------------------------------------

    def frames(self) -> Iterator[tuple[float, Any]]:
        """(time_s from the first frame, av.VideoFrame), strictly increasing times."""
        return self._frames

    def _decoded(self) -> Iterator[tuple[float, Any]]:
        """Frames in decoding order with their container times, noting the packets' end."""
        for packet in self.container.demux(self.stream):
            if packet.pts is not None and packet.time_base is not None:
                t = float(packet.pts * packet.time_base)
                if self._packet_end is None or t > self._packet_end:
                    self._packet_end = t
            for frame in packet.decode():
                t = frame.time
                if t is None:
                    t = self._count / self.rate
                self._count += 1
                yield t, frame

    def _presented(self) -> Iterator[tuple[float, Any]]:
        held: list[tuple[float, int, Any]] = []
        last: float | None = None
        for n, (t, frame) in enumerate(self._decoded()):
            heapq.heappush(held, (t, n, frame))
            if len(held) > REORDER_DEPTH:
                out = self._release(heapq.heappop(held), last)
                if out is not None:
                    last = out[0] + (self.origin or 0.0)
                    yield out
        while held:
            out = self._release(heapq.heappop(held), last)
            if out is not None:
                last = out[0] + (self.origin or 0.0)
                yield out

    def _release(self, item: tuple[float, int, Any], last: float | None
                 ) -> tuple[float, Any] | None:
        t, _, frame = item
        if last is not None and t <= last:
            return None  # a repeat, or a frame from before a seek's landing
        if self.origin is None:
            self.origin = t
        return t - self.origin, frame

    def seek(self, t: float) -> None:
        """Jump to the key frame at or before `t` s (from the first frame): `frames()` then
        continues there. Callers check where it landed (a container may land after t)."""
        origin = self.origin or 0.0
        self.container.seek(int((origin + max(0.0, t)) / float(self.stream.time_base)),
                            stream=self.stream, backward=True)
        self._frames = self._presented()

    def image(self, frame: Any, width: int, height: int, interpolation: str = "AREA"
              ) -> np.ndarray:
        """`frame` as RGB uint8[height, width, 3], converted and resized by FFmpeg's scaler."""
        return frame.to_ndarray(width=width, height=height, format="rgb24",
                                interpolation=interpolation)

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe(path: str | Path) -> VideoInfo:
    """Container facts about `path`'s first video stream, without decoding the pictures."""
    with VideoReader(path) as reader:
        return reader.info()
