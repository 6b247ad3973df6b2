"""Describing whole videos (stages 1-2 joined): decode, prepare and describe every sampled frame
of a file, with a query's extra views; and the reference frames a trainable descriptor learns
from. Used by `Library` (api.py)."""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from vidtrace.descriptors import Descriptor
from vidtrace.errors import VideoError
from vidtrace.settings import Settings
from vidtrace.types import FrameSet
from vidtrace.video import iter_frames, probe
from vidtrace.video.borders import prepare_frame
from vidtrace.video.prefetch import prefetch
from vidtrace.video.views import InsetCollector, InsetView, MirrorCollector, QueryViews

# Called with the seconds of video described so far for the current file.
Progress = Callable[[float], None]

# Frames are decoded (and, for references, prepared) in a background thread up to this many
# batches ahead of the descriptor (video/prefetch.py).
PREFETCH_BATCHES = 2

# A trainable descriptor learns from at most this many reference frames, sampled at most
# TRAIN_FPS frames per second from the first references added.
TRAIN_FRAMES = 1000
TRAIN_FPS = 0.5


def file_hash(path: Path) -> str:
    """sha256 of the file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe_video(path: str | Path, descriptor: Descriptor, fps: float, settings: Settings,
                   video_id: str | None = None, progress: Progress | None = None,
                   sampling: str = "fixed") -> FrameSet:
    """Decode `path` at `fps` with `sampling` (SAMPLING_MODES) and describe every sampled
    frame; raises VideoError."""
    info = probe(path)
    frames = prefetch((
        (t, prepare_frame(image, settings.input_size, settings.crop_borders))
        for t, image in iter_frames(path, fps, settings.short_side, settings.max_long_side,
                                    sampling=sampling)
    ), PREFETCH_BATCHES * settings.batch_size)
    return _described(frames, descriptor, settings.batch_size, video_id or Path(path).stem,
                      info.duration, fps, progress)


def _described(frames: Iterable[tuple[float, np.ndarray]], descriptor: Descriptor,
               batch_size: int, video_id: str, duration: float, fps: float,
               progress: Progress | None) -> FrameSet:
    """The FrameSet of prepared (time, frame) pairs; `duration` is the container's."""
    times: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    for t, v in descriptor.describe_stream(frames, batch_size):
        times.append(t)
        vectors.append(v)
        if progress is not None:
            progress(float(t[-1]))
    all_times = np.concatenate(times)  # strictly increasing: iter_frames drops repeats
    duration = max(duration, float(all_times[-1]) + 1.0 / fps)
    return FrameSet(video_id, all_times, np.concatenate(vectors), duration)


def describe_query_views(path: str | Path, descriptor: Descriptor, settings: Settings,
                         progress: Progress | None = None) -> QueryViews:
    """The query's whole frames described as `describe_video` does (the same vectors, batches
    and times), and in the same decode its extra views: with `pip_view`, the
    picture-in-picture inset found window by window, cropped and described too
    (`InsetCollector`, docs/pip.md); with `canvas_view`, where no inset is found, the picture
    inside a blurred canvas the same way (docs/views.md); with `mirror_view`, every frame
    flipped left to right (`MirrorCollector`). Raises VideoError."""
    s = settings
    info = probe(path)
    decoded = prefetch(iter_frames(path, s.query_fps, s.short_side, s.max_long_side,
                                   sampling=s.query_sampling), PREFETCH_BATCHES * s.batch_size)
    insets = None
    if s.pip_view or s.canvas_view:
        insets = InsetCollector(descriptor.describe, s.input_size, s.crop_borders, s.batch_size,
                                pip=s.pip_view, canvas=s.canvas_view)
        frames = insets.whole_frames(decoded)
    else:
        frames = ((t, prepare_frame(image, s.input_size, s.crop_borders)) for t, image in decoded)
    mirror = None
    if s.mirror_view:
        mirror = MirrorCollector(descriptor.describe, s.batch_size)
        frames = mirror.frames(frames)
    full = _described(frames, descriptor, s.batch_size, Path(path).stem, info.duration,
                      s.query_fps, progress)
    return QueryViews(full, insets.view(full.dim) if insets else InsetView.empty(full.dim),
                      mirror.view(full.dim) if mirror else None)


def training_frames(files: Sequence[Path], settings: Settings) -> np.ndarray:
    """uint8[N, size, size, 3] prepared frames for a trainable descriptor to learn from: at most
    TRAIN_FRAMES, sampled at min(index_fps, TRAIN_FPS) and spread evenly over `files`. Files
    that cannot be decoded are skipped (they are reported when added); N may be 0."""
    s = settings
    per_file = max(1, -(-TRAIN_FRAMES // max(1, len(files))))
    frames: list[np.ndarray] = []
    rate = min(s.index_fps, TRAIN_FPS)
    for path in files:
        try:
            # keep every step-th sample as it is decoded: a long film is never held whole
            step = max(1, -(-int(probe(path).duration * rate + 1) // per_file))
            for i, (_, image) in enumerate(iter_frames(path, rate, s.short_side,
                                                       s.max_long_side)):
                if i % step == 0:
                    frames.append(prepare_frame(image, s.input_size, s.crop_borders))
        except VideoError:
            continue
    if not frames:
        return np.zeros((0, s.input_size, s.input_size, 3), np.uint8)
    return np.stack(frames)
