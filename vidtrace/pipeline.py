"""Describing whole videos (stages 1-2 joined): decode, prepare and describe every sampled frame
of a file, with a query's extra views; and the reference frames a trainable descriptor learns
from. Used by `Library` (api.py)."""

import hashlib
from collections.abc import Callable, Generator, Iterable, Sequence
from pathlib import Path

import numpy as np

from vidtrace.descriptors import Descriptor
from vidtrace.errors import VideoError, VidtraceError
from vidtrace.settings import Settings
from vidtrace.types import FrameSet
from vidtrace.video import iter_frames, probe
from vidtrace.video.borders import prepare_frame
from vidtrace.video.decode import sample_mask
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


def describe_reference(path: str | Path, descriptor: Descriptor, settings: Settings,
                       video_id: str, progress: Progress | None = None
                       ) -> tuple[FrameSet, FrameSet | None]:
    """(frames at index_fps, frames at fine_fps or None) of reference `path`, as a library
    stores them: with fine_fps > 0 and fine_source "library", one decode at the fine rate, the
    index rate a subset of its samples. Raises VideoError."""
    s = settings
    if s.fine_fps > 0 and s.fine_source == "library":
        fine = describe_video(path, descriptor, s.fine_fps, s, video_id, progress,
                              s.index_sampling)
        keep = sample_mask(fine.times, s.index_fps)
        return FrameSet(video_id, fine.times[keep], fine.vectors[keep], fine.duration), fine
    return describe_video(path, descriptor, s.index_fps, s, video_id, progress,
                          s.index_sampling), None


# ---- several references at once (`Library.add(..., jobs=N)`) -------------------------------

_worker_descriptor: Descriptor | None = None


def _start_worker(spec: str, state: dict[str, np.ndarray], threads: int) -> None:
    global _worker_descriptor
    from vidtrace.descriptors import create_descriptor

    d = create_descriptor(spec, threads)
    if state:
        d.load_state(state)
    _worker_descriptor = d


def _describe_in_worker(path: Path, video_id: str, settings: Settings
                        ) -> tuple[FrameSet, FrameSet | None]:
    assert _worker_descriptor is not None, "worker started without its descriptor"
    return describe_reference(path, _worker_descriptor, settings, video_id)


def describe_references(
    jobs: Sequence[tuple[Path, str]], descriptor: Descriptor, spec: str, settings: Settings,
    workers: int,
) -> Generator[tuple[int, tuple[FrameSet, FrameSet | None] | Exception], None, None]:
    """Describe the (path, video id) `jobs` in `workers` processes, each with its own copy of
    `descriptor` (made from `spec` and the state it learned) on an equal share of the threads;
    yields (position in `jobs`, result or the VidtraceError it raised) as each finishes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, settings.thread_count // workers)
    context = multiprocessing.get_context("spawn")  # no fork of onnxruntime's thread pools
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_start_worker,
                               initargs=(spec, descriptor.state(), threads))
    try:
        futures = {pool.submit(_describe_in_worker, path, vid, settings): i
                   for i, (path, vid) in enumerate(jobs)}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except VidtraceError as e:
                yield futures[future], e
    finally:  # a caller that stops early (an error, ^C) does not wait for the files left
        pool.shutdown(wait=True, cancel_futures=True)


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
