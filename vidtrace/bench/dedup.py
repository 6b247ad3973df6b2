"""`vidtrace bench --dedup`: what `vidtrace dedup` costs as a collection grows, and how right it
is on real footage (docs/dedup.md, benchmarks/dedup.json).

1. Synthetic collections of `SYNTHETIC_SIZES` videos: frame vectors shaped like SSCD's
   (`SyntheticFrames` of the speed benchmark) stored at 2 frames/s through the store's API, a
   tenth of the videos the originals of families of four (the original, a trim, an edited copy,
   the middle embedded in unrelated frames), the rest unrelated. Per collection: the seconds
   matching takes per video, the k-NN search's share of it (timed again alone), the videos
   aligned per query, and the pairs F1 and group purity against the planted families. One
   query per video aligns at most `max_candidates` others, so the work is N queries, not the
   N (N - 1) / 2 alignments of every pair; what still grows with N is the search of each
   query's frames over all stored frames. Wall and CPU time (all threads) are both given: on a
   shared machine the CPU time is the steadier of the two.
2. A real collection made by the transformation engine (bench/collection.py) from the source
   clips: pairs F1, boundaries, group purity, time per video to describe and to match.
"""

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.settings import DEFAULT_RUN

SYNTHETIC_SIZES = (100, 1000)
SYNTHETIC_FRAMES = 40  # frames per synthetic video: 20 s at 2 frames/s
FAMILY_SHARE = 0.1  # a tenth of the videos are originals with three copies each
COPY_NOISE = 0.75  # an edited copy = its source + isotropic noise of this relative norm
REAL_FAMILIES = 8
REAL_UNRELATED = 8
REAL_FAMILY_S = 10.0
MIN_DURATION_S = 3.0
Progress = Callable[[str, int, int], None]


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def synthetic_collection(
    n_videos: int, dim: int, seed: int = 0
) -> list[tuple[str, np.ndarray, Any]]:
    """(name, float32[T, dim] vectors at 2 frames/s, ground truth) of `n_videos` synthetic
    videos: families of an original (SYNTHETIC_FRAMES frames), its middle half (trim), a noisy
    copy (edited) and its middle half between two unrelated stretches (embedded); the rest
    unrelated. Ground truth as `QueryTruth` with each family's source as reference."""
    from vidtrace.bench.speed import SyntheticFrames
    from vidtrace.types import CopySegment, QueryTruth

    frames = SyntheticFrames(dim, seed)
    rng = np.random.default_rng([seed, n_videos])
    n, half, rate = SYNTHETIC_FRAMES, SYNTHETIC_FRAMES // 2, 2.0
    out: list[tuple[str, np.ndarray, Any]] = []
    families = round(n_videos * FAMILY_SHARE)
    row = 1
    for f in range(families):
        src = frames.video(row, n)
        row += 1
        noisy = _unit(src + COPY_NOISE * _unit(rng.standard_normal(src.shape)))
        filler = frames.video(row, n)
        row += 1
        embedded = np.concatenate(
            [filler[: half // 2], src[n // 4 : n // 4 + half], filler[half // 2 : half]]
        )
        source = f"family{f:04d}"

        def truth(
            name: str, q0: float, r0: float, length: float, total: float, source: str = source
        ) -> QueryTruth:
            seg = CopySegment(source, q0, q0 + length, r0, r0 + length)
            return QueryTruth(name, total, (seg,))

        whole, mid = n / rate, half / rate
        out += [
            (f"{source}_original", src, truth(f"{source}_original", 0, 0, whole, whole)),
            (
                f"{source}_trim",
                src[n // 4 : n // 4 + half],
                truth(f"{source}_trim", 0, n / 4 / rate, mid, mid),
            ),
            (f"{source}_edited", noisy, truth(f"{source}_edited", 0, 0, whole, whole)),
            (
                f"{source}_embedded",
                embedded,
                truth(f"{source}_embedded", half / 2 / rate, n / 4 / rate, mid, 2 * mid),
            ),
        ]
    while len(out) < n_videos:
        name = f"unrelated{row:05d}"
        out.append((name, frames.video(row, n), QueryTruth(name, n / rate, ())))
        row += 1
    return out[:n_videos]


def run_synthetic(n_videos: int, work: Path, seed: int = 0) -> dict[str, Any]:
    """Dedup of a synthetic collection of `n_videos` videos stored in a fresh library in
    `work` (see the module docstring)."""
    from vidtrace.api import Library
    from vidtrace.bench.collection import score_collection
    from vidtrace.bench.speed import cpu_seconds
    from vidtrace.dedup import DedupResult, VideoFacts
    from vidtrace.dedup.exclude import WithoutReferences
    from vidtrace.dedup.overlaps import group_videos
    from vidtrace.dedup.run import DEDUP_LIBRARY, dedup_settings, find_overlaps
    from vidtrace.types import FrameSet, Reference

    folder = work / f"synthetic-{n_videos}"
    shutil.rmtree(folder, ignore_errors=True)
    collection = synthetic_collection(n_videos, 512, seed)
    with Library.create(folder, DEDUP_LIBRARY) as lib:
        version = lib.manifest.descriptor_version
        with lib.store.writing():
            for name, vectors, _ in collection:
                t = len(vectors)
                times = np.arange(t, dtype=np.float64) / 2.0
                lib.store.add(
                    Reference(0, name, name, name, t / 2.0, 2.0, version, t),
                    FrameSet(name, times, vectors, t / 2.0),
                    None,
                )
    with Library.open(folder) as lib:
        index = lib.store.index  # type: ignore[attr-defined] # built before the timing
        refs = lib.videos()
        s = dedup_settings(lib)
        aligned: list[int] = []
        start, cpu = time.perf_counter(), cpu_seconds()
        overlaps = find_overlaps(lib, refs, s, MIN_DURATION_S, aligned=aligned)
        facts = {r.video_id: VideoFacts(r.video_id, r.duration) for r in refs}
        result = DedupResult(
            facts, overlaps, group_videos(overlaps, facts), MIN_DURATION_S, s.match_threshold
        )
        findings_s, findings_cpu = time.perf_counter() - start, cpu_seconds() - cpu
        start, cpu = time.perf_counter(), cpu_seconds()
        for ref in refs:
            WithoutReferences(lib.store, [ref]).search(
                lib.store.frames(ref.key)[1], s.knn_k, s.nprobe
            )
        search_s, search_cpu = time.perf_counter() - start, cpu_seconds() - cpu
        kind, frames = index.kind, index.ntotal
    score = score_collection(result, [t for _, _, t in collection], MIN_DURATION_S)
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "videos": n_videos,
        "frames": frames,
        "index": kind,
        "match_s": round(findings_s, 3),
        "match_ms_per_video": round(1000 * findings_s / n_videos, 2),
        "search_ms_per_video": round(1000 * search_s / n_videos, 2),
        "match_cpu_ms_per_video": round(1000 * findings_cpu / n_videos, 2),
        "search_cpu_ms_per_video": round(1000 * search_cpu / n_videos, 2),
        "aligned_per_video": round(float(np.mean(aligned)), 2),
        "aligned_in_all": int(np.sum(aligned)),
        "all_pairs": n_videos * (n_videos - 1) // 2,
        **score.to_json(),
    }


def real_spec(sources: Path) -> "Any":
    """The real collection's clips: sorted source clips shuffled with seed 0, the first
    REAL_FAMILIES at least REAL_FAMILY_S long as families, then two fillers a family, then
    REAL_UNRELATED unrelated clips."""
    from vidtrace.bench.collection import CollectionSpec
    from vidtrace.errors import ConfigError
    from vidtrace.video import probe
    from vidtrace.video.files import VIDEO_SUFFIXES, list_files

    clips = list_files(sources, VIDEO_SUFFIXES)
    order = np.random.default_rng(0).permutation(len(clips))
    clips = [clips[i] for i in order]
    families = [c for c in clips if probe(c).duration >= REAL_FAMILY_S][:REAL_FAMILIES]
    rest = [c for c in clips if c not in families and probe(c).duration >= 2.5]
    need = 2 * REAL_FAMILIES + REAL_UNRELATED
    if len(families) < REAL_FAMILIES or len(rest) < need:
        raise ConfigError(
            f"{sources}: the dedup benchmark needs {REAL_FAMILIES} clips of "
            f"{REAL_FAMILY_S:g} s and {need} others; give a folder of more clips"
        )
    return CollectionSpec(
        tuple(families),
        tuple(rest[: 2 * REAL_FAMILIES]),
        tuple(rest[2 * REAL_FAMILIES : need]),
        family_s=REAL_FAMILY_S,
    )


def run_real(sources: Path, cache: Path) -> dict[str, Any]:
    """`vidtrace dedup` of the real collection built (or reused) in `cache`/dedup-collection."""
    from vidtrace.bench.collection import build_collection, score_collection
    from vidtrace.bench.speed import cpu_seconds
    from vidtrace.dedup import dedup_paths

    folder = cache / "dedup-collection"
    truths = build_collection(real_spec(sources), folder)
    cpu = cpu_seconds()
    result = dedup_paths([folder], min_duration=MIN_DURATION_S)
    cpu = cpu_seconds() - cpu
    n = len(result.videos)
    score = score_collection(result, truths, MIN_DURATION_S)
    return {
        "videos": n,
        "families": REAL_FAMILIES,
        "unrelated": REAL_UNRELATED,
        "seconds_of_video": round(sum(f.duration for f in result.videos.values()), 1),
        "describe_s_per_video": round(result.describe_s / n, 3),
        "match_s_per_video": round(result.match_s / n, 3),
        "cpu_s_per_video": round(cpu / n, 3),
        "one_way_pairs": sum(not o.both_ways for o in result.overlaps),
        **score.to_json(),
    }


def run_dedup_bench(
    sources: Path,
    cache: Path,
    progress: Progress | None = None,
    sizes: tuple[int, ...] = SYNTHETIC_SIZES,
) -> dict[str, Any]:
    """The report: the synthetic collections of `sizes` videos, then the real one."""
    work = cache / "dedup-synthetic"
    work.mkdir(parents=True, exist_ok=True)
    synthetic = []
    for i, n in enumerate(sizes):
        if progress:
            progress("synthetic collections", i, len(sizes))
        synthetic.append(run_synthetic(n, work))
    if progress:
        progress("synthetic collections", len(sizes), len(sizes))
        progress("real collection", 0, 1)
    real = run_real(sources, cache)
    if progress:
        progress("real collection", 1, 1)
    return {
        "settings": DEFAULT_RUN.to_dict(),
        "min_duration": MIN_DURATION_S,
        "synthetic": synthetic,
        "real": real,
    }


def format_dedup(doc: dict[str, Any]) -> str:
    """The report as a table."""
    lines = [
        "synthetic videos  frames  index  match ms/video (cpu)  search ms/video (cpu)  "
        "aligned/video  aligned  all pairs  pairs F1  purity"
    ]
    for r in doc["synthetic"]:
        match = f"{r['match_ms_per_video']:.0f} ({r['match_cpu_ms_per_video']:.0f})"
        search = f"{r['search_ms_per_video']:.0f} ({r['search_cpu_ms_per_video']:.0f})"
        lines.append(
            f"{r['videos']:16d}  {r['frames']:6d}  {r['index']:>5}  {match:>20}  {search:>21}  "
            f"{r['aligned_per_video']:13.2f}  {r['aligned_in_all']:7d}  {r['all_pairs']:9d}  "
            f"{r['pairs_f1']:8.3f}  {r['group_purity']:6.3f}"
        )
    r = doc["real"]
    lines += [
        "",
        f"real collection: {r['videos']} videos ({r['families']} families of 5, "
        f"{r['unrelated']} unrelated, {r['seconds_of_video']} s of video)",
        f"  pairs F1 {r['pairs_f1']:.3f} (precision {r['precision']:.3f}, recall "
        f"{r['recall']:.3f}; {r['correct_pairs']} of {r['true_pairs']} true pairs, "
        f"{r['found_pairs']} found, {r['cross_family']} across families)",
        f"  boundaries within 1 s: {r['within_1s']}, within 3 s: {r['within_3s']} "
        f"of {r['correct_pairs']}; group purity {r['group_purity']:.3f}, groups exactly "
        f"the families: {r['groups_exact']}",
        f"  per video: describe {r['describe_s_per_video']:.2f} s, match "
        f"{r['match_s_per_video']:.3f} s (wall); describe and match "
        f"{r['cpu_s_per_video']:.2f} CPU s (all threads)",
    ]
    return "\n".join(lines)
