"""`vidtrace bench --speed`: where the time goes, as ratios measured in one run (docs/speed.md).

1. Decoding and indexing per resolution: the first `SPEED_SOURCE_S` seconds of source footage
   joined into one H.264 file per resolution (360p, 720p, 1080p at 30 frames/s, x264 defaults:
   a key frame every 250 frames and at scene cuts), cached. For each file and sampling mode
   ("fixed" at 1 frame/s, "keyframes"): the decode-only throughput (`iter_frames` alone, frames
   converted to the descriptor's input size as indexing does) and the indexing throughput (a
   fresh library's `add`), both in seconds of video per second, and their ratio.
2. Search alone against libraries of 1, 50 and 500 reference hours of synthetic vectors (random
   unit vectors at 1 frame/s, the descriptor's dimension; exact inner-product search, what the
   library uses): the time for the k nearest neighbours of a 60 s query's 120 frames, and the
   index's memory.
Peak resident memory of the process is reported at the end.
"""

import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.settings import DEFAULT_SETTINGS, Settings

RESOLUTIONS: dict[str, tuple[int, int]] = {"360p": (640, 360), "720p": (1280, 720),
                                           "1080p": (1920, 1080)}
SPEED_SOURCE_S = 60.0
SEARCH_HOURS = (1.0, 50.0, 500.0)
QUERY_FRAMES = 120  # a 60 s query at 2 frames/s
Progress = Callable[[str, int, int], None]


def speed_videos(sources: Path, cache: Path, resolutions: Sequence[str] = tuple(RESOLUTIONS),
                 seconds: float = SPEED_SOURCE_S) -> dict[str, Path]:
    """One H.264 file per resolution joining source clips (sorted by name) until `seconds`,
    cached in `cache`/speed-<seconds>s/; returns {resolution: path}."""
    from vidtrace.synth import concat_videos
    from vidtrace.video import probe

    clips: list[Path] = []
    total = 0.0
    for clip in sorted(p for p in Path(sources).iterdir() if p.is_file()):
        if total >= seconds:
            break
        clips.append(clip)
        total += probe(clip).duration
    if not clips:
        raise ConfigError(f"{sources}: no source clips for the speed benchmark")
    folder = Path(cache) / f"speed-{seconds:.0f}s"
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in resolutions:
        path = folder / f"{name}.mp4"
        if not path.is_file():
            tmp = folder / f".{name}.partial.mp4"
            concat_videos(clips, tmp, fps=30.0, size=RESOLUTIONS[name], crf=20)
            tmp.replace(path)
        out[name] = path
    return out


def decode_throughput(path: Path, settings: Settings, sampling: str) -> dict[str, float]:
    """Decode-only: every sampled frame decoded and converted to the input size; seconds of
    video per second, and the number of frames."""
    from vidtrace.video import iter_frames, probe

    start = time.perf_counter()
    n = sum(1 for _ in iter_frames(path, settings.index_fps, settings.short_side,
                                   settings.max_long_side, sampling=sampling))
    elapsed = time.perf_counter() - start
    return {"speed": probe(path).duration / elapsed, "frames": n, "seconds": elapsed}


def index_throughput(path: Path, settings: Settings, work: Path) -> dict[str, float]:
    """A fresh library in `work` indexing `path` (model loaded first, not timed)."""
    from vidtrace.api import Library

    with tempfile.TemporaryDirectory(dir=work) as tmp, \
            Library.create(Path(tmp) / "lib", settings) as lib:
        _ = lib.descriptor
        start = time.perf_counter()
        (result,) = lib.add([path])
        elapsed = time.perf_counter() - start
    return {"speed": result.duration / elapsed, "frames": result.n_frames, "seconds": elapsed}


def search_latency(hours: float, dim: int, k: int, repeats: int = 3, seed: int = 0
                   ) -> dict[str, float]:
    """The library's exact index holding `hours` of synthetic reference frames at 1 frame/s:
    the best of `repeats` searches of QUERY_FRAMES query vectors, and the index's bytes."""
    from vidtrace.library.index import FrameIndex

    rng = np.random.default_rng(seed)
    index = FrameIndex(dim)
    frames = int(hours * 3600)
    per_video = 3600
    for rowid, start in enumerate(range(0, frames, per_video), start=1):
        block = rng.standard_normal((min(per_video, frames - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        index.add(rowid, block)
    queries = rng.standard_normal((QUERY_FRAMES, dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        index.search(queries, k)
        best = min(best, time.perf_counter() - start)
    return {"hours": hours, "frames": frames, "search_s": best,
            "index_bytes": frames * dim * 4 + frames * 8}


def run_speed(sources: Path, cache: Path, settings: Settings = DEFAULT_SETTINGS,
              resolutions: Sequence[str] = tuple(RESOLUTIONS),
              search_hours: Sequence[float] = SEARCH_HOURS, seconds: float = SPEED_SOURCE_S,
              progress: Progress | None = None) -> dict[str, Any]:
    """The speed report (see the module docstring) as a JSON-serialisable dict."""
    from vidtrace.descriptors import create_descriptor

    videos = speed_videos(sources, cache, resolutions, seconds)
    rows = []
    steps = len(videos) * 2
    for i, (name, path) in enumerate(videos.items()):
        for j, sampling in enumerate(("fixed", "keyframes")):
            s = settings.with_changes(index_sampling=sampling)
            decode = decode_throughput(path, s, sampling)
            index = index_throughput(path, s, Path(cache))
            rows.append({"resolution": name, "sampling": sampling,
                         "decode_speed": round(decode["speed"], 2),
                         "index_speed": round(index["speed"], 2),
                         "index_vs_decode": round(index["speed"] / decode["speed"], 3),
                         "frames": index["frames"]})
            if progress:
                progress("decode and index", 2 * i + j + 1, steps)
    dim = create_descriptor(settings.descriptor, settings.thread_count).dim
    search = []
    for i, hours in enumerate(search_hours):
        row = search_latency(hours, dim, settings.knn_k)
        search.append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        if progress:
            progress("search", i + 1, len(search_hours))
    return {"videos": {k: str(v) for k, v in videos.items()}, "source_s": seconds,
            "indexing": rows, "search": search,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def format_speed(doc: dict[str, Any]) -> str:
    """The speed report as text tables."""
    lines = [f"{'resolution':<10} {'sampling':<9} {'decode x':>8} {'index x':>8} "
             f"{'index/decode':>12} {'frames':>6}"]
    for r in doc["indexing"]:
        lines.append(f"{r['resolution']:<10} {r['sampling']:<9} {r['decode_speed']:>8.1f} "
                     f"{r['index_speed']:>8.1f} {r['index_vs_decode']:>12.2f} {r['frames']:>6}")
    lines += ["", f"{'ref hours':>9} {'frames':>9} {'search ms':>9} {'index MB':>9}"]
    for r in doc["search"]:
        lines.append(f"{r['hours']:>9.0f} {r['frames']:>9} {r['search_s'] * 1000:>9.1f} "
                     f"{r['index_bytes'] / 1e6:>9.0f}")
    lines.append(f"\npeak RSS {doc['peak_rss_mb']:.0f} MB")
    return "\n".join(lines) + "\n"
