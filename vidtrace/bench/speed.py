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
   like SSCD's (`SyntheticFrames`) at 1 frame/s, exact (flat) and ivfpq: the time for the k
   nearest neighbours of a 60 s query's 120 frames, each index's memory, recall@10.
4. A real decoded 60 s query end to end at 1 and 50 hours (`query_latency`), warm and cold,
   with its CPU time.
Peak resident memory of the process is reported at the end.
"""

import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.settings import DEFAULT_RUN, RunSettings, usable_cores

if TYPE_CHECKING:
    from vidtrace.descriptors import Descriptor

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


# Synthetic reference frames shaped like SSCD's (measured on the development footage's 1,760
# reference frames: 15 / 50 / 74 % of the variance in the first 10 / 50 / 100 directions, a
# mean of norm 0.14): eigenvalue i of the covariance is proportional to exp(-i / 70), in a
# random basis. Frames come in scenes of 2-10 s, a scene's frames close to its anchor.
SPECTRUM_DECAY = 70.0
MEAN_NORM = 0.14
SCENE_NOISE = 0.35  # a frame = its scene's anchor + this much noise (similarity ~0.9)
COPY_SHARE = 0.6  # share of the query's frames that are edited copies of library frames
EDIT_NOISE = (0.6, 1.2)  # an edited copy = its source + this much noise (similarity 0.64-0.86)


class SyntheticFrames:
    """Deterministic synthetic reference frames and queries (see the constants above)."""

    def __init__(self, dim: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.dim, self.seed = dim, seed
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        scale = np.sqrt(np.exp(-np.arange(dim) / SPECTRUM_DECAY))
        self._basis = (q * (scale / np.linalg.norm(scale))).T.astype(np.float32)
        mean = rng.standard_normal(dim)
        self._mean = (MEAN_NORM * mean / np.linalg.norm(mean)).astype(np.float32)

    def _noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.standard_normal((n, self.dim), dtype=np.float32) @ self._basis

    def video(self, rowid: int, n: int) -> np.ndarray:
        """float32[n, dim] unit frames of synthetic video `rowid` at 1 frame/s."""
        rng = np.random.default_rng([self.seed, rowid])
        lengths = rng.integers(2, 11, size=n // 2 + 1)
        scene = np.repeat(np.arange(len(lengths)), lengths)[:n]
        anchors = self._mean + self._noise(rng, len(lengths))
        x = anchors[scene] + SCENE_NOISE * self._noise(rng, n)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def videos(self, frames: int, per_video: int = 3600
               ) -> Callable[[], Iterator[tuple[int, np.ndarray]]]:
        """A callable yielding (rowid, frames) of `frames` synthetic frames in videos of
        `per_video` frames, the same each call."""
        def gen() -> Iterator[tuple[int, np.ndarray]]:
            for rowid, first in enumerate(range(0, frames, per_video), start=1):
                yield rowid, self.video(rowid, min(per_video, frames - first))
        return gen

    def queries(self, frames: int, n: int, per_video: int = 3600
                ) -> tuple[np.ndarray, np.ndarray]:
        """(float32[n, dim] query frames, int64[n] the packed id of each copy's source frame,
        -1 for an unrelated frame): a COPY_SHARE of them edited copies of library frames."""
        from vidtrace.library.index import pack_ids

        rng = np.random.default_rng([self.seed, 1 << 20])
        out = np.empty((n, self.dim), np.float32)
        truth = np.full(n, -1, np.int64)
        n_videos = -(-frames // per_video)
        for i in range(n):
            if rng.random() < COPY_SHARE:
                rowid = int(rng.integers(1, n_videos + 1))
                length = min(per_video, frames - (rowid - 1) * per_video)
                frame = int(rng.integers(length))
                x = self.video(rowid, length)[frame] + rng.uniform(*EDIT_NOISE) * self._noise(
                    rng, 1)[0]
                truth[i] = pack_ids(rowid, length)[frame]
            else:
                x = self._mean + self._noise(rng, 1)[0]
            out[i] = x / np.linalg.norm(x)
        return out, truth


def _best_time(fn: Callable[[], object], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return float(best)


def search_latency(hours: float, dim: int, k: int, nprobe: int = 32, repeats: int = 3,
                   seed: int = 0) -> dict[str, Any]:
    """Exact (flat) and ivfpq indexes over `hours` of synthetic reference frames at 1 frame/s
    (SyntheticFrames): the best of `repeats` searches of QUERY_FRAMES query frames in each,
    the ivfpq index's build seconds and bytes, and its recall@10: the share of the exact top
    10 it returns (over the query frames that copy a library frame), and how often each finds
    the copied frame itself in its top 10."""
    from vidtrace.library.index import IVF_MIN_TRAIN, FrameIndex, build_index

    synth = SyntheticFrames(dim, seed)
    frames = int(hours * 3600)
    videos = synth.videos(frames)
    queries, truth = synth.queries(frames, QUERY_FRAMES)
    flat = FrameIndex(dim)
    for rowid, vectors in videos():
        flat.add(rowid, vectors)
    exact_s = _best_time(lambda: flat.search(queries, k), repeats)
    _, I_exact = flat.search(queries, k)
    copies = truth >= 0
    found_exact = (I_exact[copies] == truth[copies, None]).any(axis=1)
    row: dict[str, Any] = {
        "hours": hours, "frames": frames, "exact_search_s": exact_s,
        "exact_bytes": frames * (dim * 4 + 8), "copy_found_exact": float(found_exact.mean()),
        "ivfpq_search_s": None, "ivfpq_bytes": None, "ivfpq_build_s": None, "nlist": None,
        "nprobe": nprobe, "recall_at_10": None, "copy_found_ivfpq": None}
    if frames < IVF_MIN_TRAIN:  # too few frames to train an ivfpq index on
        return row
    start = time.perf_counter()
    ivf = build_index(dim, False, "ivfpq", frames, videos, seed)
    row["ivfpq_build_s"] = time.perf_counter() - start
    ivf.nprobe = nprobe
    row["ivfpq_search_s"] = _best_time(lambda: ivf.search(queries, k), repeats)
    _, I_ivf = ivf.search(queries, k)
    overlap = [len(set(a) & set(b)) / k for a, b in zip(I_exact[copies], I_ivf[copies],
                                                         strict=True)]
    found_ivf = (I_ivf[copies] == truth[copies, None]).any(axis=1)
    row |= {"ivfpq_bytes": ivf.memory_bytes(), "nlist": ivf.nlist,
            "recall_at_10": float(np.mean(overlap)), "copy_found_ivfpq": float(found_ivf.mean())}
    return row


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
    search = []
    for i, hours in enumerate(search_hours):
        row = search_latency(hours, dim, settings.query.knn_k, settings.query.nprobe)
        search.append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        if progress:
            progress("search", i + 1, len(search_hours))
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
    """The speed report as text tables."""
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
    lines += ["", f"{'ref hours':>9} {'frames':>9} {'exact ms':>9} {'exact MB':>9} "
              f"{'ivfpq ms':>9} {'ivfpq MB':>9} {'build s':>8} {'recall@10':>9} "
              f"{'copy@10 exact/ivfpq':>19}"]
    for r in doc["search"]:
        head = (f"{r['hours']:>9g} {r['frames']:>9} {r['exact_search_s'] * 1000:>9.1f} "
                f"{r['exact_bytes'] / 1e6:>9.1f}")
        if r["ivfpq_search_s"] is None:
            lines.append(f"{head} {'(too few frames for ivfpq)':>38} "
                         f"{r['copy_found_exact']:>9.3f}")
            continue
        lines.append(
            f"{head} {r['ivfpq_search_s'] * 1000:>9.1f} {r['ivfpq_bytes'] / 1e6:>9.1f} "
            f"{r['ivfpq_build_s']:>8.1f} {r['recall_at_10']:>9.3f} "
            f"{r['copy_found_exact']:>9.3f}/{r['copy_found_ivfpq']:.3f}")
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
