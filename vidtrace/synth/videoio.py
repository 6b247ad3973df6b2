"""Video reading and writing for the transformation engine (stage 8).

`FrameReader` decodes a source at its native frame rate and answers "which frame is on screen at
time t" (the last frame whose timestamp is at or before t), for any sequence of times; it seeks
for long jumps forward and reopens the file for jumps back. `VideoWriter` encodes RGB frames with
libx264 (yuv420p) at a constant frame rate, frame k at time k / fps, timestamps from 0.
Times are seconds from a video's first frame, as `vidtrace.video.reader` counts them (the
one reader of the project decodes here too).
"""

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from vidtrace.errors import ConfigError, VideoError
from vidtrace.synth.base import even
from vidtrace.synth.geometry import fit_inside
from vidtrace.video.reader import VideoReader, decoding_error

# Timestamps are rounded to the container's time base; a frame this close after t counts as
# "at t".
_SLACK_S = 1e-3
# Seeking costs a keyframe interval of decoding; it pays off only for jumps longer than this.
_SEEK_AHEAD_S = 4.0


class Fit(StrEnum):
    """How a frame of another aspect ratio is brought to a fixed output size."""

    STRETCH = "stretch"
    LETTERBOX = "letterbox"  # whole picture, centred, black bars
    COVER = "cover"  # fills the frame, centre crop


def frame_size(width: int, height: int, short_side: int | None) -> tuple[int, int]:
    """(w, h), even, of the aspect width:height with the short side `short_side` pixels
    (up- or down-scaled); the size itself rounded to even numbers when `short_side` is None."""
    if width <= 0 or height <= 0:
        raise ConfigError(f"frame size {width}x{height} is not positive")
    if short_side is None:
        return even(width), even(height)
    if short_side < 2:
        raise ConfigError(f"short side must be at least 2 pixels, got {short_side}")
    scale = short_side / min(width, height)
    return even(width * scale), even(height * scale)


def output_rate(fps: float | Fraction) -> Fraction:
    """The exact frame rate written for `fps` (NTSC rates such as 30000/1001 kept exact)."""
    if isinstance(fps, bool) or not isinstance(fps, int | float | Fraction) or not 0 < fps <= 240:
        raise ConfigError(f"frame rate must be in (0, 240] frames per second, got {fps!r}")
    return Fraction(fps).limit_denominator(1001)


@dataclass(frozen=True)
class SourceInfo:
    """Container facts about a video: display size (sample aspect ratio applied), native frame
    rate in frames/s, and duration in seconds (0 when the container does not say)."""

    width: int
    height: int
    rate: float
    duration: float


def source_info(path: str | Path) -> SourceInfo:
    """`SourceInfo` of `path`'s first video stream, without decoding pictures."""
    with VideoReader(path) as reader:
        width, height = reader.display_size
        return SourceInfo(width, height, reader.rate, reader.declared_duration())


class FrameReader:
    """Frames of one video as RGB uint8[h, w, 3] (read-only arrays), by time.

    `size` (w, h) is the output frame size, reached by `fit`; None keeps the display size
    (sample aspect ratio applied, sides rounded to even). Frames come in presentation order with
    strictly increasing times (the reader's policy: frames handed out of order, as in AVI
    files with packed B-frames, are put back in order; repeats are dropped).
    """

    def __init__(
        self, path: str | Path, size: tuple[int, int] | None = None, fit: Fit = Fit.LETTERBOX
    ) -> None:
        self.path = Path(path)
        self.fit = Fit(fit)
        self._requested = size
        self._reader: Any = None
        self._decoded = 0
        self._open()

    def _open(self) -> None:
        reader = self._reader = VideoReader(self.path)
        self.rate = reader.rate
        self.display_size = reader.display_size
        self.size = self._requested or frame_size(*self.display_size, None)
        self._frames = reader.frames()
        first = self._pull()
        if first is None:
            raise VideoError(self.path, "contains no decodable video frames")
        self._has_pts = first[1].time is not None
        self._cur: tuple[float, Any] = first
        self._next = self._pull()
        self._at_start = True
        self._image: np.ndarray | None = None

    def _pull(self) -> tuple[float, Any] | None:
        import av

        try:
            return next(self._frames, None)
        except av.error.FFmpegError as e:
            raise decoding_error(self.path, e) from e

    def frame_at(self, t: float) -> np.ndarray | None:
        """The frame on screen at time `t` s: the last one with timestamp <= t (the first frame
        for t before it); None once t is past the last frame's end (its time + 1 / rate)."""
        if t + _SLACK_S < self._cur[0] and not self._at_start:
            self.close()
            self._open()
        if self._next is not None and t - self._cur[0] > _SEEK_AHEAD_S and self._has_pts:
            self._seek(t)
        while self._next is not None and self._next[0] <= t + _SLACK_S:
            self._cur, self._next = self._next, self._pull()
            self._image, self._at_start = None, False
        if self._next is None and t >= self._cur[0] + 1.0 / self.rate - _SLACK_S:
            return None
        if self._image is None:
            self._image = self._convert(self._cur[1])
            self._image.flags.writeable = False
        return self._image

    @property
    def frames_decoded(self) -> int:
        """Frames decoded so far, over every open and seek (what reading has cost)."""
        return self._decoded + (self._reader.frames_decoded if self._reader else 0)

    @property
    def end_s(self) -> float | None:
        """The video's length (last frame time + 1 / rate) once decoding has reached the last
        frame, else None."""
        return self._cur[0] + 1.0 / self.rate if self._next is None else None

    def _seek(self, t: float) -> None:
        self._reader.seek(t - 1.0)
        self._frames = self._reader.frames()
        first = self._pull()
        if first is None or first[0] > t + _SLACK_S:  # landed past t: decode from the start
            self.close()
            self._open()
            return
        self._cur, self._next = first, self._pull()
        self._image, self._at_start = None, False

    def _convert(self, frame: Any) -> np.ndarray:
        out_w, out_h = self.size
        dw, dh = self.display_size
        if self.fit is Fit.STRETCH or dw * out_h == dh * out_w:
            return _to_rgb(frame, out_w, out_h)
        if self.fit is Fit.LETTERBOX:
            cw, ch = fit_inside(dw, dh, out_w, out_h)
            canvas = np.zeros((out_h, out_w, 3), np.uint8)
            x, y = (out_w - cw) // 2, (out_h - ch) // 2
            canvas[y : y + ch, x : x + cw] = _to_rgb(frame, cw, ch)
            return canvas
        scale = max(out_w / dw, out_h / dh)
        cw, ch = max(out_w, round(dw * scale)), max(out_h, round(dh * scale))
        x, y = (cw - out_w) // 2, (ch - out_h) // 2
        return np.ascontiguousarray(_to_rgb(frame, cw, ch)[y : y + out_h, x : x + out_w])

    def close(self) -> None:
        if self._reader is not None:
            self._decoded += self._reader.frames_decoded
            self._reader.close()
            self._reader = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_rgb(frame: Any, width: int, height: int) -> np.ndarray:
    shrink = width * height < frame.width * frame.height
    return frame.to_ndarray(
        width=width, height=height, format="rgb24",
        interpolation="AREA" if shrink else "BILINEAR",
    )


class VideoWriter:
    """Encodes RGB uint8[height, width, 3] frames to `path` with libx264 (yuv420p).

    Frame k is stamped k / rate. Quality: constant `crf` (0-51, lower is better), or a target
    `bitrate_kbps` when given. The file appears under its name only when closed without error.
    Renders are reproducible to the byte: libx264's macroblock tree (mbtree, on by default) made
    the same frames encode to different bytes from run to run (PyAV 19.0.2's libx264: 2 of 20
    encodes of one clip differed, on one thread too; 20 of 20 agree without it), so it is off;
    and libx264 runs on one thread, because its output depends on the thread count, which would
    otherwise follow the machine (docs/benchmark.md).
    """

    def __init__(
        self, path: str | Path, width: int, height: int, fps: float | Fraction, *,
        crf: int = 23, bitrate_kbps: int | None = None, preset: str = "veryfast",
    ) -> None:
        import av

        if width % 2 or height % 2 or width < 2 or height < 2:
            raise ConfigError(f"frame size {width}x{height}: yuv420p needs even sides")
        if not 0 <= crf <= 51:
            raise ConfigError(f"crf must be in [0, 51], got {crf}")
        self.path = Path(path)
        self.size = (width, height)
        self.rate = output_rate(fps)
        self.frames = 0
        self._tmp = self.path.with_name(f"{self.path.stem}.part{self.path.suffix}")
        self._container = av.open(str(self._tmp), "w")
        stream = self._container.add_stream("libx264", rate=self.rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        options: dict[str, object] = {"preset": preset, "threads": "1", "x264-params": "mbtree=0"}
        if bitrate_kbps is not None:
            stream.bit_rate = int(bitrate_kbps) * 1000
        else:
            options["crf"] = str(crf)
        stream.options = options
        self._stream = stream

    def write(self, image: np.ndarray) -> None:
        """Append one frame, uint8[height, width, 3] RGB."""
        import av

        if image.shape != (self.size[1], self.size[0], 3) or image.dtype != np.uint8:
            raise ConfigError(
                f"{self.path}: frame of shape {image.shape} {image.dtype}, the video is "
                f"{self.size[0]}x{self.size[1]} uint8 RGB"
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = self.frames
        frame.time_base = 1 / self.rate
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and move the finished file into place."""
        if self.frames == 0:
            self.abort()
            raise ConfigError(f"{self.path}: no frames were written; nothing to save")
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._tmp.replace(self.path)

    def abort(self) -> None:
        """Stop and delete the partial file."""
        self._container.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
