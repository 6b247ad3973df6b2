"""`vidtrace bench --learned`, end to end: the fast preset against sscd and plain sscd-fast on a
small benchmark built from held-out footage only (issue 20).

The held-out two thirds of the source clips (`split_footage`) are linked into a folder of their
own and a small plan (E2E_PLAN: the quick plan's spec, more references and queries, no photos)
is built from them twice, the test split (seed 0) and the calibration split (seed 2): no head
saw these references or queries. Each descriptor is one `vidtrace bench --backends` row
(`run_backend_row`: whole-frame queries, floor and threshold calibrated on the calibration
split): F1@3s, F1@5s, top-1, latency. Query CPU seconds are measured apart (`query_cpu`): the
first CPU_QUERIES test queries described and matched again with process CPU time, as a user's
query runs (the rows' latencies come from the cached describe times).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vidtrace.bench.default import BenchPlan, prepare_benchmark
from vidtrace.settings import DEFAULT_RUN, RunSettings

Progress = Callable[[str, int, int], None]

E2E_PLAN = BenchPlan("learned", 6, 36, 0.2, BenchPlan.quick().spec)
TEST_SEED = 0
CALIBRATION_SEED = 2
CPU_QUERIES = 8


def held_out_folder(sources: Path, cache: Path) -> Path:
    """`cache`/learned/held-out-videos: links to the held-out part of `sources`' videos, and to
    the footage's MANIFEST.md, so the plan keeps its related groups on the filler side as the
    dev benchmark does (without it, a near-duplicate of a reference could be a "negative")."""
    from vidtrace.learn.pairs import split_footage
    from vidtrace.synth.related import MANIFEST, manifest_near
    from vidtrace.video.files import VIDEO_SUFFIXES, list_files

    folder = Path(cache) / "learned" / "held-out-videos"
    folder.mkdir(parents=True, exist_ok=True)
    for f in split_footage(list_files(sources, VIDEO_SUFFIXES))[1]:
        link = folder / f.name
        if not link.exists():
            link.symlink_to(f.resolve())
    manifest = manifest_near(sources)
    link = folder / MANIFEST
    if manifest is not None and not link.exists():
        link.symlink_to(manifest.resolve())
    return folder


def _settings(descriptor: str, base: RunSettings) -> RunSettings:
    """The settings `run_backend_row` gives a fixed-sampling row of `descriptor`."""
    return base.with_changes(descriptor=descriptor, fine_fps=0.0)


def query_cpu(test_gt: Path, descriptor: str, base: RunSettings = DEFAULT_RUN,
              limit: int = CPU_QUERIES) -> dict[str, float]:
    """CPU and wall seconds of describing (whole frames) and matching the first `limit` queries
    of the split at `test_gt` with `descriptor` (its library is the row's cached one):
    {"queries", "query_s" (their seconds of video), "cpu_s", "wall_s", "cpu_per_query_s",
    "cpu_per_query_second"}."""
    from vidtrace.bench.ablation import prepare_split

    settings = _settings(descriptor, base)
    split = prepare_split(f"{descriptor} cpu", test_gt, settings)
    q = settings.query.without_views()
    cpu = wall = video_s = 0.0
    try:
        items = split.truth[:limit]
        for truth in items:
            path = split.root / truth.query
            c0, w0 = time.process_time(), time.perf_counter()
            fs = split.library.describe_query(path, q).full
            split.library.match(fs, q, query_path=path)
            cpu += time.process_time() - c0
            wall += time.perf_counter() - w0
            video_s += fs.duration
    finally:
        split.library.close()
    n = max(len(items), 1)
    return {"queries": len(items), "query_s": round(video_s, 1), "cpu_s": round(cpu, 2),
            "wall_s": round(wall, 2), "cpu_per_query_s": round(cpu / n, 3),
            "cpu_per_query_second": round(cpu / max(video_s, 1e-9), 4)}


def run_e2e(sources: Path, cache: Path, descriptors: Sequence[str],
            base: RunSettings = DEFAULT_RUN, progress: Progress | None = None
            ) -> dict[str, Any]:
    """One backends row and one CPU measure per descriptor on the held-out plan."""
    from vidtrace.bench.backends import Config, run_backend_row

    folder = held_out_folder(sources, cache)
    test_gt, _, _ = prepare_benchmark(folder, None, E2E_PLAN, seed=TEST_SEED, cache=cache,
                                      progress=progress)
    cal_gt, _, _ = prepare_benchmark(folder, None, E2E_PLAN, seed=CALIBRATION_SEED,
                                     cache=cache, progress=progress)
    rows = []
    for d in descriptors:
        row = {"name": d, **run_backend_row(Config(d), test_gt, cal_gt, base, progress)}
        row["query_cpu"] = query_cpu(test_gt, d, base)
        rows.append(row)
    return {"plan": asdict(E2E_PLAN), "seeds": {"test": TEST_SEED,
                                                "calibration": CALIBRATION_SEED},
            "sources": str(folder), "views": "whole frames only", "rows": rows}


def format_e2e(doc: dict[str, Any]) -> str:
    lines = [f"{'end to end (held-out plan)':<34} {'F1@3s':>6} {'F1@5s':>6} {'top-1':>6} "
             f"{'negFPR':>6} {'lat s':>6} {'CPU s/q':>8} {'CPU/sscd':>8}"]
    rows = doc["rows"]
    ref = next((r["query_cpu"]["cpu_per_query_s"] for r in rows if r["descriptor"] == "sscd"),
               None)

    def cell(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for r in rows:
        cpu = r["query_cpu"]["cpu_per_query_s"]
        share = f"{cpu / ref:.2f}" if ref else "-"
        lines.append(f"{r['name'][:34]:<34} {cell(r['f1_3s']):>6} {cell(r['f1_5s']):>6} "
                     f"{cell(r['top1']):>6} {cell(r['negative_fpr']):>6} "
                     f"{r['latency_mean_s']:>6.2f} {cpu:>8.3f} {share:>8}")
    return "\n".join(lines) + "\n"
