"""`vidtrace bench --speed`: where the time goes, as ratios measured in one run (docs/speed.md).

1. Decoding and indexing per resolution: the first `SPEED_SOURCE_S` seconds of source footage
   joined into one H.264 file per resolution (360p, 720p, 1080p at 30 frames/s, x264 defaults:
   a key frame every 250 frames and at scene cuts), cached. For each file and sampling mode
   ("fixed" at 1 frame/s, "keyframes"): the decode-only throughput (`iter_frames` alone, frames
   converted to the descriptor's input size as indexing does) and the indexing throughput (a
   fresh library's `add`), both in seconds of video per second, and their ratio; with the CPU
   time each took (all threads), and the ratio the CPU allows: indexing cannot take less wall
   time than its CPU time spread over every usable core.
2. The descriptor alone on batches of frames of its input size: frames per second, and CPU
   milliseconds per frame.
3. Search alone against libraries of 1, 50 and 500 reference hours of synthetic frames shaped
   like SSCD's (`SyntheticFrames`) at 1 frame/s, exact (flat), hnsw and ivfpq: the time for
   the k nearest neighbours of a 60 s query's 120 frames, each index's build time and memory,
   recall@10, and how often the copied frame is found; hnsw also at other efSearch values.
   `run_speed_search` runs this part alone (`vidtrace bench --speed --only search`).
4. A real decoded 60 s query end to end at 1 and 50 hours (`query_latency`), warm and cold,
   with its CPU time.
Peak resident memory of the process is reported at the end.
"""

import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidtrace.bench.search import (
    SEARCH_HOURS,
    SyntheticFrames,
    format_search,
    search_table,
)
from vidtrace.errors import ConfigError
from vidtrace.settings import DEFAULT_RUN, RunSettings, usable_cores

if TYPE_CHECKING:
    from vidtrace.descriptors import Descriptor

RESOLUTIONS: dict[str, tuple[int, int]] = {"360p": (640, 360), "720p": (1280, 720),
                                           "1080p": (1920, 1080)}
SPEED_SOURCE_S = 60.0
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


def cpu_seconds() -> float:
    """CPU time this process has used so far, user and system, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def decode_throughput(path: Path, settings: RunSettings, sampling: str) -> dict[str, float]:
    """Decode-only: every sampled frame decoded and converted to the input size; seconds of
    video per second, the number of frames, the wall and CPU seconds."""
    from vidtrace.video import iter_frames, probe

    cpu, start = cpu_seconds(), time.perf_counter()
    lib = settings.library
    n = sum(1 for _ in iter_frames(path, lib.index_fps, lib.short_side, lib.max_long_side,
                                   sampling=sampling))
    elapsed = time.perf_counter() - start
    return {"speed": probe(path).duration / elapsed, "frames": n, "seconds": elapsed,
            "cpu_s": cpu_seconds() - cpu}


def index_throughput(path: Path, settings: RunSettings, work: Path) -> dict[str, float]:
    """A fresh library in `work` indexing `path` (model loaded first, not timed): as
    `decode_throughput`."""
    from vidtrace.api import Library

    with tempfile.TemporaryDirectory(dir=work) as tmp, \
            Library.create(Path(tmp) / "lib", settings.library, settings.resources) as lib:
        _ = lib.descriptor
        cpu, start = cpu_seconds(), time.perf_counter()
        (result,) = lib.add([path])
        elapsed = time.perf_counter() - start
        used = cpu_seconds() - cpu
    return {"speed": result.duration / elapsed, "frames": result.n_frames, "seconds": elapsed,
            "cpu_s": used}


DESCRIBE_BATCHES = 4


def descriptor_speed(d: "Descriptor", settings: RunSettings, batches: int = DESCRIBE_BATCHES,
                     seed: int = 0) -> dict[str, float]:
    """Descriptor `d` alone (made from `settings`) on `batches` batches of random frames of its
    input size (after one untimed batch): frames per second, and CPU milliseconds per frame
    (all threads)."""
    size, b = settings.library.input_size, settings.resources.batch_size
    frames = np.random.default_rng(seed).integers(0, 256, (b, size, size, 3), dtype=np.uint8)
    d.describe(frames)
    cpu, start = cpu_seconds(), time.perf_counter()
    for _ in range(batches):
        d.describe(frames)
    elapsed = time.perf_counter() - start
    n = batches * b
    return {"fps": n / elapsed, "cpu_ms_per_frame": 1000 * (cpu_seconds() - cpu) / n,
            "threads": settings.resources.thread_count}


QUERY_HOURS = (1.0, 50.0)
QUERY_REPEATS = 5


def _rss_kb(field: str) -> int:
    """VmRSS or VmHWM (peak) of this process in kB, from /proc (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: clear_refs 5); False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def query_latency(hours: float, reference: Path, query: Path, settings: RunSettings, work: Path,
                  repeats: int = QUERY_REPEATS) -> dict[str, Any]:
    """End to end on real decoded video: a library holding `reference` (indexed for real) and
    synthetic reference videos (SyntheticFrames, added through the store's API) up to `hours`
    of reference frames, its index built as `vidtrace` builds it (ivfpq from IVF_MIN_FRAMES
    under the default "auto"; `index_build_s` is the time to load it when the library is
    opened). `query` is searched `repeats` times warm (library
    open, model loaded, after one untimed query): the describe and match seconds of each and
    the CPU seconds (all threads) of the whole query, the peak memory the queries added over
    the open library, then once by a cold `vidtrace query` process."""
    import statistics
    import subprocess
    import sys

    from vidtrace.api import Library
    from vidtrace.types import FrameSet, Reference

    folder = work / f"query-{hours:g}h"
    with Library.create(folder, settings.library, settings.resources) as lib:
        lib.add([reference])
        have = sum(r.n_frames for r in lib.videos())
        synth = SyntheticFrames(lib.manifest.dim)
        version = lib.manifest.descriptor_version
        with lib.store.writing():  # through the store's API, as any writer
            for key, vectors in synth.videos(max(0, int(hours * 3600) - have))():
                n, name = len(vectors), f"synthetic-{key}"
                times = np.arange(n, dtype=np.float64)
                lib.store.add(Reference(0, name, name, name, float(n), 1.0, version, n),
                              FrameSet(name, times, vectors, float(n)), None)
    with Library.open(folder, settings.resources) as lib:
        start = time.perf_counter()
        index = lib.store.index  # type: ignore[attr-defined]
        build_s = time.perf_counter() - start
        lib.query(query, settings.query)  # warm-up: model loaded, caches filled
        base_kb = _rss_kb("VmRSS")
        peak_ok = _reset_peak_rss()
        describe, match, found, cpu = [], [], [], []
        for _ in range(repeats):
            cpu_start, start = cpu_seconds(), time.perf_counter()
            views = lib.describe_query(query, settings.query)
            mid = time.perf_counter()
            matches = lib.match(views, settings.query, query_path=query)
            describe.append(mid - start)
            match.append(time.perf_counter() - mid)
            cpu.append(cpu_seconds() - cpu_start)
            found.append(bool(matches) and matches[0].ref_id == reference.stem)
        added_kb = _rss_kb("VmHWM") - base_kb if peak_ok else None
        frames, kind = index.ntotal, index.kind
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vidtrace", "query", str(folder), str(query), "--json"],
                   check=True, capture_output=True)
    cold_s = time.perf_counter() - start
    total = sorted(d + m for d, m in zip(describe, match, strict=True))
    return {"hours": hours, "frames": frames, "index": kind, "index_build_s": build_s,
            "describe_s": statistics.mean(describe), "match_s": statistics.mean(match),
            "warm_mean_s": statistics.mean(total), "warm_max_s": total[-1],
            "warm_cpu_s": statistics.mean(cpu),
            "cold_cli_s": cold_s, "found": all(found),
            "query_peak_added_mb": None if added_kb is None else added_kb / 1024,
            "library_mb": sum(f.stat().st_size for f in folder.iterdir()) / 1e6}


def query_video(source: Path, work: Path, seconds: float = 60.0) -> Path:
    """A `seconds`-long edited copy (crop, colour) of the start of `source`, cached in `work`."""
    from vidtrace.synth import Color, Crop, render_copy

    out = work / f"query-{seconds:.0f}s.mp4"
    if not out.is_file():
        tmp = work / f".query-{seconds:.0f}s.partial.mp4"
        render_copy(source, tmp, start=0.0, end=seconds,
                    edits=[Crop(0.05, 0.08, 0.92, 0.95), Color(brightness=0.05, saturation=1.2)])
        tmp.replace(out)
    return out


def run_speed(sources: Path, cache: Path, settings: RunSettings = DEFAULT_RUN,
              resolutions: Sequence[str] = tuple(RESOLUTIONS),
              search_hours: Sequence[float] = SEARCH_HOURS, seconds: float = SPEED_SOURCE_S,
              query_hours: Sequence[float] = QUERY_HOURS, progress: Progress | None = None
              ) -> dict[str, Any]:
    """The speed report (see the module docstring) as a JSON-serialisable dict."""
    from vidtrace.descriptors import create_descriptor

    videos = speed_videos(sources, cache, resolutions, seconds)
    cores = usable_cores()
    rows = []
    steps = len(videos) * 2
    for i, (name, path) in enumerate(videos.items()):
        for j, sampling in enumerate(("fixed", "keyframes")):
            s = settings.with_changes(index_sampling=sampling)
            decode = decode_throughput(path, s, sampling)
            index = index_throughput(path, s, Path(cache))
            # indexing needs at least its CPU time spread over every core
            limit = decode["seconds"] * cores / index["cpu_s"]
            rows.append({"resolution": name, "sampling": sampling,
                         "decode_speed": round(decode["speed"], 2),
                         "index_speed": round(index["speed"], 2),
                         "index_vs_decode": round(index["speed"] / decode["speed"], 3),
                         "frames": index["frames"],
                         "decode_cpu_s": round(decode["cpu_s"], 3),
                         "decode_wall_s": round(decode["seconds"], 3),
                         "index_cpu_s": round(index["cpu_s"], 3),
                         "index_wall_s": round(index["seconds"], 3),
                         "index_vs_decode_cpu_limit": round(limit, 3)})
            if progress:
                progress("decode and index", 2 * i + j + 1, steps)
    d = create_descriptor(settings.library.descriptor, settings.resources.thread_count)
    descriptor = {k: round(v, 3) if isinstance(v, float) else v
                  for k, v in descriptor_speed(d, settings).items()}
    dim = d.dim
    del d  # the search and query sections load their own
    search = search_table(dim, settings, search_hours, progress)
    # the query section resets the peak (to measure what a query adds): read it first
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queries = []
    reference = videos[next(iter(videos))]  # the smallest resolution: a typical upload
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        query = query_video(reference, Path(cache) / f"speed-{seconds:.0f}s", seconds)
        for i, hours in enumerate(query_hours):
            row = query_latency(hours, reference, query, settings, Path(tmp))
            queries.append({k: round(v, 4) if isinstance(v, float) else v
                            for k, v in row.items()})
            if progress:
                progress("query", i + 1, len(query_hours))
    return {"videos": {k: str(v) for k, v in videos.items()}, "source_s": seconds,
            "cores": cores, "indexing": rows, "descriptor": descriptor, "search": search,
            "query": queries,
            "peak_rss_mb": round(max(peak_kb, resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss) / 1024, 1)}


def format_speed(doc: dict[str, Any]) -> str:
    """The speed report as text tables (a search-only report: its search table)."""
    if "indexing" not in doc:
        return "\n".join([*format_search(doc["search"]),
                          f"\npeak RSS {doc['peak_rss_mb']:.0f} MB"]) + "\n"
    lines = [f"{'resolution':<10} {'sampling':<9} {'decode x':>8} {'index x':>8} "
             f"{'index/decode':>12} {'frames':>6} {'decode cpu s':>12} {'index cpu s':>11} "
             f"{'CPU limit':>9}"]
    for r in doc["indexing"]:
        lines.append(f"{r['resolution']:<10} {r['sampling']:<9} {r['decode_speed']:>8.1f} "
                     f"{r['index_speed']:>8.1f} {r['index_vs_decode']:>12.2f} {r['frames']:>6} "
                     f"{r['decode_cpu_s']:>12.2f} {r['index_cpu_s']:>11.2f} "
                     f"{r['index_vs_decode_cpu_limit']:>9.2f}")
    d = doc["descriptor"]
    lines += ["", f"descriptor alone: {d['fps']:.0f} frames/s on {d['threads']} threads, "
              f"{d['cpu_ms_per_frame']:.1f} CPU ms a frame; {doc['cores']} usable cores"]
    lines += ["", *format_search(doc["search"])]
    lines += ["", f"{'ref hours':>9} {'index':>6} {'describe s':>10} {'match s':>8} "
              f"{'warm s':>7} {'max s':>6} {'warm cpu s':>10} {'cold CLI s':>10} "
              f"{'query +MB':>9} {'found':>5}"]
    for r in doc.get("query", []):
        added = r["query_peak_added_mb"]
        lines.append(f"{r['hours']:>9g} {r['index']:>6} {r['describe_s']:>10.2f} "
                     f"{r['match_s']:>8.3f} {r['warm_mean_s']:>7.2f} {r['warm_max_s']:>6.2f} "
                     f"{r['warm_cpu_s']:>10.2f} {r['cold_cli_s']:>10.2f} "
                     f"{'-' if added is None else f'{added:.0f}':>9} {r['found']!s:>5}")
    lines.append(f"\npeak RSS {doc['peak_rss_mb']:.0f} MB")
    return "\n".join(lines) + "\n"
