"""Describing whole videos (stages 1-2 joined): decode, prepare and describe every sampled frame
of a file; a query with its extra views; the frames a trainable descriptor learns from.

References and queries are prepared alike (`LibrarySettings`: frame size, border crop, input
size); a query adds `QuerySettings`' rate, sampling and views. This is the one place a query is
described (`describe_query`): with every view off it gives exactly the whole-frame vectors.
"""

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import VideoError
from vidtrace.settings import LibrarySettings, QuerySettings
from vidtrace.types import FrameSet
from vidtrace.video import iter_frames, probe
from vidtrace.video.borders import prepare_frame
from vidtrace.video.decode import SampledFrames, sample_mask
from vidtrace.video.described import InsetView, MirrorCollector, QueryViews
from vidtrace.video.prefetch import prefetch
from vidtrace.video.views import InsetCollector, Nearest

# Called with the seconds of video described so far for the current file.
Progress = Callable[[float], None]

# Frames are decoded (and, for references, prepared) in a background thread up to this many
# batches ahead of the descriptor (video/prefetch.py).
PREFETCH_BATCHES = 2

# A trainable descriptor learns from at most this many reference frames, sampled at most
# TRAIN_FPS frames per second from the first references added.
TRAIN_FRAMES = 1000
TRAIN_FPS = 0.5


def describe_video(path: str | Path, descriptor: Descriptor, fps: float, sampling: str,
                   lib: LibrarySettings, batch_size: int, video_id: str | None = None,
                   progress: Progress | None = None) -> FrameSet:
    """Decode `path` at `fps` with `sampling` (vidtrace.settings.Sampling), prepare frames as
    `lib` says and describe every sampled frame; the duration is the decoded one. Raises
    VideoError."""
    sampled = iter_frames(path, fps, lib.short_side, lib.max_long_side, sampling=sampling)
    frames = prefetch(((t, prepare_frame(image, lib.input_size, lib.crop_borders))
                       for t, image in sampled), PREFETCH_BATCHES * batch_size)
    return _described(frames, descriptor, batch_size, video_id or Path(path).stem, sampled,
                      progress)


def describe_reference(path: str | Path, descriptor: Descriptor, lib: LibrarySettings,
                       batch_size: int, video_id: str, progress: Progress | None = None
                       ) -> tuple[FrameSet, FrameSet | None]:
    """(frames at index_fps, frames at fine_fps or None) of reference `path`, as a library
    stores them: with fine_fps > 0, one decode at the fine rate, the index rate a subset of its
    samples. Raises VideoError."""
    if lib.fine_fps > 0:
        fine = describe_video(path, descriptor, lib.fine_fps, lib.index_sampling, lib,
                              batch_size, video_id, progress)
        keep = sample_mask(fine.times, lib.index_fps)
        return FrameSet(video_id, fine.times[keep], fine.vectors[keep], fine.duration), fine
    return describe_video(path, descriptor, lib.index_fps, lib.index_sampling, lib, batch_size,
                          video_id, progress), None


def _described(frames: Iterable[tuple[float, np.ndarray]], descriptor: Descriptor,
               batch_size: int, video_id: str, sampled: SampledFrames,
               progress: Progress | None,
               on_batch: Callable[[np.ndarray], None] | None = None) -> FrameSet:
    """The FrameSet of prepared (time, frame) pairs taken from `sampled`, whose decoded
    duration it takes once they are all read; `on_batch` sees each batch of vectors."""
    times: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    for t, v in descriptor.describe_stream(frames, batch_size):
        times.append(t)
        vectors.append(v)
        if on_batch is not None:
            on_batch(v)
        if progress is not None:
            progress(float(t[-1]))
    all_times = np.concatenate(times)  # strictly increasing: iter_frames drops repeats
    duration = sampled.duration if sampled.duration is not None else float(all_times[-1])
    return FrameSet(video_id, all_times, np.concatenate(vectors), duration)


def describe_query(path: str | Path, descriptor: Descriptor, lib: LibrarySettings,
                   query: QuerySettings, batch_size: int, progress: Progress | None = None,
                   nearest: Nearest | None = None) -> QueryViews:
    """The query's whole frames described as `describe_video` does (the same vectors, batches
    and times), and in the same decode its extra views: with `pip_view`, the
    picture-in-picture inset found window by window, cropped and described too, and the
    picture beside it (`InsetCollector`, docs/pip.md; given `nearest`, the library's nearest
    similarities, only for frames that match no reference yet); with `canvas_view`,
    where no inset is found, the picture inside a blurred canvas the same way
    (docs/views.md); with `turn_view`, the frames of windows whose picture is turned, turned
    back, and the inset or canvas's picture found in them (as the picture beside, only for
    frames that match no reference yet); with
    `mirror_view`, every frame flipped left to right (`MirrorCollector`). Raises VideoError."""
    q = query
    sampled = iter_frames(path, q.query_fps, lib.short_side, lib.max_long_side,
                          sampling=q.query_sampling)
    decoded = prefetch(sampled, PREFETCH_BATCHES * batch_size)
    insets = None
    if q.pip_view or q.canvas_view or q.turn_view:
        insets = InsetCollector(descriptor.describe, lib.input_size, lib.crop_borders,
                                batch_size, pip=q.pip_view, canvas=q.canvas_view,
                                beside=q.pip_view, nearest=nearest, turn=q.turn_view)
        frames = insets.whole_frames(decoded)
    else:
        frames = ((t, prepare_frame(image, lib.input_size, lib.crop_borders))
                  for t, image in decoded)
    mirror = None
    if q.mirror_view:
        mirror = MirrorCollector(descriptor.describe, batch_size)
        frames = mirror.frames(frames)
    full = _described(frames, descriptor, batch_size, Path(path).stem, sampled, progress,
                      insets.whole_described if insets else None)
    return QueryViews(full, insets.view(full.dim) if insets else InsetView.empty(full.dim),
                      mirror.view(full.dim) if mirror else None,
                      insets.beside_view(full.dim) if insets else None,
                      insets.turned_view(full.dim) if insets else None,
                      insets.turned_inset_view(full.dim) if insets else None)


def training_frames(files: Sequence[Path], lib: LibrarySettings) -> np.ndarray:
    """uint8[N, size, size, 3] prepared frames for a trainable descriptor to learn from: at most
    TRAIN_FRAMES, sampled at min(index_fps, TRAIN_FPS) and spread evenly over `files`. Files
    that cannot be decoded are skipped (they are reported when added); N may be 0."""
    per_file = max(1, -(-TRAIN_FRAMES // max(1, len(files))))
    frames: list[np.ndarray] = []
    rate = min(lib.index_fps, TRAIN_FPS)
    for path in files:
        try:
            # keep every step-th sample as it is decoded: a long film is never held whole
            step = max(1, -(-int(probe(path).duration * rate + 1) // per_file))
            for i, (_, image) in enumerate(iter_frames(path, rate, lib.short_side,
                                                       lib.max_long_side)):
                if i % step == 0:
                    frames.append(prepare_frame(image, lib.input_size, lib.crop_borders))
        except VideoError:
            continue
    if not frames:
        return np.zeros((0, lib.input_size, lib.input_size, 3), np.uint8)
    return np.stack(frames)
