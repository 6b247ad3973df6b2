"""The development benchmark behind `vidtrace bench` (the bench room, above the API; it touches
a library only through `vidtrace.api.Library`): build a copy-detection benchmark from real
footage with the transformation engine (or reuse a cached one), index its references into a
fresh library, query every query, and report accuracy (`evaluate`) and speed in one JSON
document with the machine it ran on.

Benchmark sizes are `BenchPlan`s: `BenchPlan.quick()` runs in a few minutes on 2 cores, the
default one in under half an hour (building included). A built benchmark is cached in a folder
named after the plan, the seed and a hash of the source files, so a second run only measures.
"""

import hashlib
import json
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidtrace.bench.provenance import bench_inputs, git_commit, provenance
from vidtrace.errors import ConfigError, VidtraceError
from vidtrace.evaluate.report import evaluate, format_table
from vidtrace.groundtruth import read_ground_truth, read_predictions
from vidtrace.settings import DEFAULT_RUN, RunSettings
from vidtrace.synth.benchmark import BenchmarkSpec, build_benchmark
from vidtrace.synth.related import related_groups, related_photos
from vidtrace.video.files import PHOTO_SUFFIXES, VIDEO_SUFFIXES, list_files

if TYPE_CHECKING:
    from vidtrace.api import Library
    from vidtrace.bench.backends import Config

REPORT_FORMAT = "vidtrace-bench"
REPORT_VERSION = 1
_COMPLETE = "complete.json"  # written last into a cached benchmark folder
# Part of the cache key: bump it when the transformation engine changes what it writes.
# 2: libx264 without mbtree, on one thread: byte-reproducible builds; 3: wider edit ranges,
# new edits (inset, fills, frame lines), whole trimmed references, related clips kept as filler;
# 4: rounded and feathered insets (pip and inset edits without a frame line)
BUILD_VERSION = 4

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stages "build references", "build fillers", "build queries",
"index" and "query"."""


@dataclass(frozen=True)
class BenchPlan:
    """The size of a benchmark: `n_references` reference videos, `n_queries` queries of which
    the share `negative_share` are negatives, built with `spec`."""

    name: str
    n_references: int
    n_queries: int
    negative_share: float
    spec: BenchmarkSpec

    @classmethod
    def quick(cls) -> "BenchPlan":
        """5 references of 40-60 s and 24 queries: a few minutes on 2 cores, build included."""
        spec = BenchmarkSpec(max_reference_s=40.0, copy_s=(4.0, 15.0), filler_s=(2.0, 5.0),
                             query_short_side=240, reference_s=(40.0, 60.0),
                             panzoom_s=(4.0, 8.0), photo_fillers=4, whole_share=0.1)
        return cls("quick", 5, 24, 0.2, spec)

    @classmethod
    def default(cls) -> "BenchPlan":
        """20 references of 30-50 s and 150 queries, a tenth of the positives whole trimmed
        references: under half an hour on 2 cores."""
        spec = BenchmarkSpec(max_reference_s=40.0, copy_s=(4.0, 20.0), filler_s=(2.0, 6.0),
                             query_short_side=240, reference_s=(30.0, 50.0),
                             panzoom_s=(4.0, 8.0), photo_fillers=10, whole_share=0.1)
        return cls("default", 20, 150, 0.2, spec)


# ---- building (cached) ---------------------------------------------------------------------

def benchmark_key(plan: BenchPlan, seed: int, files: Sequence[Path],
                  related: Sequence[Sequence[str]] = ()) -> str:
    """Cache folder name: plan name, seed, and a hash of BUILD_VERSION, the plan, the related
    clip groups and the source files (paths and sizes), so other footage or another plan never
    reuses a stale build."""
    h = hashlib.sha256(f"{BUILD_VERSION}\0{plan!r}\n".encode())
    if related:
        h.update(f"related\0{json.dumps([list(g) for g in related])}\n".encode())
    for f in files:
        h.update(f"{f.resolve()}\0{f.stat().st_size}\n".encode())
    return f"{plan.name}-seed{seed}-{h.hexdigest()[:12]}"


def _related_photos(photos: Sequence[Path], cache: Path) -> list[list[str]]:
    """`related_photos` of `photos`, cached in `cache` under a hash of their paths and sizes
    (comparing every pair takes about a minute for 150 photos)."""
    if not photos:
        return []
    h = hashlib.sha256(b"related-photos 1\n")
    for f in photos:
        h.update(f"{f.resolve()}\0{f.stat().st_size}\n".encode())
    path = cache / f"related-photos-{h.hexdigest()[:12]}.json"
    if path.is_file():
        return [list(g) for g in json.loads(path.read_text())]
    groups = related_photos(photos)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    tmp.write_text(json.dumps(groups, indent=1))
    tmp.replace(path)
    return groups


def prepare_benchmark(
    sources: Path, photos: Path | None, plan: BenchPlan, *, seed: int = 0, cache: Path,
    progress: Progress | None = None,
) -> tuple[Path, float, bool]:
    """(ground-truth path, build seconds, built now) of the benchmark for `plan` and `seed`
    from `sources` (a folder of clips) and `photos` (a folder, or None), built into
    `cache`/<benchmark_key> unless a complete build is already there (then "built now" is
    False and the build seconds are those recorded when it was built). Clips that the
    footage's MANIFEST.md names as related (`vidtrace.synth.related`) are kept as filler, and
    photos that show one another (`related_photos`, cached in `cache`) out of references."""
    clips = list_files(sources, VIDEO_SUFFIXES)
    photo_files = [] if photos is None else list_files(photos, PHOTO_SUFFIXES)
    related = related_groups(sources) + _related_photos(photo_files, Path(cache))
    folder = Path(cache) / benchmark_key(plan, seed, [*clips, *photo_files], related)
    if (folder / _COMPLETE).is_file() and (folder / "groundtruth.json").is_file():
        recorded = json.loads((folder / _COMPLETE).read_text())
        return folder / "groundtruth.json", float(recorded.get("build_s", 0.0)), False
    if folder.exists():  # an interrupted build: start again
        shutil.rmtree(folder)
    start = time.perf_counter()
    gt = build_benchmark(
        clips, folder, seed=seed, n_references=plan.n_references, n_queries=plan.n_queries,
        negative_share=plan.negative_share, photos=photo_files or None, spec=plan.spec,
        progress=(lambda s, d, t: progress(f"build {s}", d, t)) if progress else None,
        related=related,
    )
    build_s = time.perf_counter() - start
    doc = {"plan": asdict(plan), "seed": seed, "build_s": round(build_s, 2)}
    (folder / _COMPLETE).write_text(json.dumps(doc, indent=1))
    return gt, build_s, True


# ---- measuring -----------------------------------------------------------------------------

def _index(lib: "Library", refs: Sequence[Path], progress: Progress | None) -> dict[str, float]:
    """Add `refs` to `lib` one by one; indexing seconds and seconds of video indexed."""
    video_s = 0.0
    start = time.perf_counter()
    for i, ref in enumerate(refs):
        video_s += sum(r.duration for r in lib.add([ref]))
        if progress:
            progress("index", i + 1, len(refs))
    return {"index_s": time.perf_counter() - start, "video_s": video_s}


def _query_all(lib: "Library", root: Path, queries: Sequence[str], predictions: Path,
               settings: RunSettings, progress: Progress | None) -> list[float]:
    """Query every query file (paths relative to `root`), writing one `vidtrace query --json`
    line each to `predictions`; returns the wall latency of each query in seconds."""
    latencies: list[float] = []
    with open(predictions, "w") as out:
        for i, name in enumerate(queries):
            start = time.perf_counter()
            try:
                row: dict[str, Any] = {"query": name, "matches": [
                    m.to_json() for m in lib.query(root / name, settings.query)]}
            except VidtraceError as e:  # a broken query is scored as "nothing found"
                row = {"query": name, "error": str(e)}
            latencies.append(time.perf_counter() - start)
            out.write(json.dumps(row) + "\n")
            if progress:
                progress("query", i + 1, len(queries))
    return latencies


def measure(gt_path: Path, predictions: Path, *, settings: RunSettings = DEFAULT_RUN,
            work_dir: Path | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Index the references of the benchmark `gt_path` into a fresh library (a temporary
    folder in `work_dir`), query every query into `predictions` (JSONL) and evaluate it.

    Returns {"evaluation": the `evaluate` report, "speed": {...}, "sizes": {...}}. Speed:
    model_load_s; index_s and index_speed (seconds of video indexed per second); query latency
    mean_s, p95_s, max_s over queries (wall time per query: decoding, describing, search and
    alignment); peak_rss_mb of this process so far; library_bytes and bytes_per_reference_hour.
    """
    from vidtrace.api import Library

    root = Path(gt_path).parent
    truth = read_ground_truth(gt_path)
    refs = sorted((root / "references").glob("*.mp4"))
    if not truth:
        raise ConfigError(f"{gt_path}: the ground truth lists no query")
    if not refs:
        raise ConfigError(f"{root}: no reference videos in references/; rebuild the benchmark")
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-library-", dir=work_dir) as tmp:
        start = time.perf_counter()
        lib = Library.create(Path(tmp) / "library", settings.library, settings.resources)
        model_load_s = time.perf_counter() - start
        try:
            indexed = _index(lib, refs, progress)
            summary: dict[str, Any] = lib.summary()
            latencies = _query_all(lib, root, [q.query for q in truth], predictions, settings,
                                   progress)
        finally:
            lib.close()
    report = evaluate(truth, read_predictions(predictions))
    lat = np.array(latencies, dtype=np.float64)
    speed = {
        "model_load_s": round(model_load_s, 3),
        "index_s": round(indexed["index_s"], 3),
        "index_speed": round(indexed["video_s"] / max(indexed["index_s"], 1e-9), 3),
        "query_latency_mean_s": round(float(lat.mean()), 3),
        "query_latency_p95_s": round(float(np.percentile(lat, 95)), 3),
        "query_latency_max_s": round(float(lat.max()), 3),
        "query_speed": round(sum(q.duration for q in truth) / max(float(lat.sum()), 1e-9), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "library_bytes": int(summary["bytes"]),
        "bytes_per_reference_hour": round(float(summary["bytes_per_hour"])),
    }
    sizes = {
        "references": len(refs),
        "reference_s": round(indexed["video_s"], 2),
        "reference_frames": int(summary["frames"]),
        "queries": len(truth),
        "positives": sum(not q.is_negative for q in truth),
        "negatives": sum(q.is_negative for q in truth),
        "query_s": round(sum(q.duration for q in truth), 2),
        "copied_segments": sum(len(q.segments) for q in truth),
        "copied_s": round(sum(s.query_end - s.query_start for q in truth for s in q.segments),
                          2),
    }
    return {"evaluation": report, "speed": speed, "sizes": sizes}


# ---- the report ----------------------------------------------------------------------------

def run_bench(
    plan: BenchPlan, *, seed: int = 0, sources: Path | None = None, photos: Path | None = None,
    no_photos: bool = False, cache: Path | None = None, predictions: Path,
    settings: RunSettings = DEFAULT_RUN, command: str = "", progress: Progress | None = None,
) -> dict[str, Any]:
    """Build or reuse the benchmark of `plan`, measure it (`measure`) and return the whole
    report: evaluation, speed and sizes, plus the benchmark's origin, the settings, `command`
    (the command line that ran it), the machine, vidtrace's version, git commit and the date.
    `sources`/`photos`/`cache` default to `default_sources()`, `default_photos()`,
    `default_cache()` (`no_photos`: use none); `predictions` is where the JSONL predictions
    are written."""
    commit = git_commit()  # the code that runs, before the run writes its own outputs
    sources, photos, cache = bench_inputs(sources, photos, no_photos, cache)
    gt, build_s, built_now = prepare_benchmark(sources, photos, plan, seed=seed, cache=cache,
                                               progress=progress)
    Path(predictions).parent.mkdir(parents=True, exist_ok=True)
    measured = measure(gt, Path(predictions), settings=settings, work_dir=cache,
                       progress=progress)
    return {
        **provenance(REPORT_FORMAT, REPORT_VERSION, plan.name, command, commit),
        "benchmark": {"folder": str(gt.parent), "seed": seed, "plan": asdict(plan),
                      "sources": str(sources), "photos": str(photos) if photos else None,
                      "built_now": built_now, "build_s": round(build_s, 2)},
        "predictions": str(predictions),
        "settings": settings.to_dict(),
        **measured,
    }


def run_ablation_bench(
    plan: BenchPlan, *, seed: int = 0, calibration_seed: int = 2, sources: Path | None = None,
    photos: Path | None = None, no_photos: bool = False, cache: Path | None = None,
    settings: RunSettings = DEFAULT_RUN, command: str = "", progress: Progress | None = None,
    backends: Sequence["Config"] | None = None,
) -> dict[str, Any]:
    """Build or reuse the benchmark of `plan` with `seed` (the test split) and with
    `calibration_seed` (the calibration split), and run the stage-1 x stage-2 ablation
    (`vidtrace.bench.ablation`), or with `backends` the table of those descriptor and
    sampling configurations (`vidtrace.bench.backends`); the report carries the same
    provenance as `run_bench`'s."""
    from vidtrace.bench.ablation import run_ablation
    from vidtrace.bench.backends import run_backends

    if seed == calibration_seed:
        raise ConfigError("the calibration split needs another seed than the test split; "
                          "change --calibration-seed")
    commit = git_commit()
    sources, photos, cache = bench_inputs(sources, photos, no_photos, cache)
    test_gt, _, _ = prepare_benchmark(sources, photos, plan, seed=seed, cache=cache,
                                      progress=progress)
    cal_gt, _, _ = prepare_benchmark(sources, photos, plan, seed=calibration_seed, cache=cache,
                                     progress=progress)
    if backends is not None:
        doc = run_backends(test_gt, cal_gt, settings, backends, progress)
    else:
        doc = run_ablation(test_gt, cal_gt, settings, progress)
    kind = "vidtrace-ablation" if backends is None else "vidtrace-backends"
    return {
        **provenance(kind, 1, plan.name, command, commit),
        "benchmark": {"plan": asdict(plan), "seed": seed, "calibration_seed": calibration_seed,
                      "sources": str(sources), "photos": str(photos) if photos else None},
        "settings": settings.to_dict(),
        **doc,
    }


def format_bench(report: dict[str, Any]) -> str:
    """A `run_bench` report as text: what ran where, the evaluation table (`format_table`)
    and a speed section."""
    m, z, s, b = report["machine"], report["sizes"], report["speed"], report["benchmark"]
    built = (f"built in {b['build_s']:.0f} s" if b["built_now"]
             else f"cached, built in {b['build_s']:.0f} s")
    lines = [
        f"vidtrace bench {report['name']} (seed {b['seed']}, {built}) {report['date']}",
        f"machine: {m['cpu']}, {m['usable_cores']} cores, {m['ram_gb']} GiB; "
        f"vidtrace {report['vidtrace_version']} @ {report['git_commit'] or 'unknown commit'}",
        f"sizes: {z['references']} references ({z['reference_s'] / 60:.1f} min), "
        f"{z['queries']} queries ({z['positives']} positive, {z['negatives']} negative, "
        f"{z['query_s'] / 60:.1f} min), {z['copied_segments']} copied segments",
        "",
        format_table(report["evaluation"]).rstrip("\n"),
        "",
        "speed",
        f"  model load        {s['model_load_s']:8.2f} s",
        f"  indexing          {s['index_speed']:8.1f} s of video per s ({s['index_s']:.1f} s)",
        f"  query latency     {s['query_latency_mean_s']:8.2f} s mean, "
        f"{s['query_latency_p95_s']:.2f} s p95, {s['query_latency_max_s']:.2f} s max "
        f"({s['query_speed']:.1f} s of video per s)",
        f"  peak RSS          {s['peak_rss_mb']:8.0f} MB",
        f"  library size      {s['bytes_per_reference_hour'] / 1e6:8.1f} MB per reference hour "
        f"({s['library_bytes']} bytes)",
    ]
    return "\n".join(lines) + "\n"
