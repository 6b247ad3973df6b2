"""`vidtrace bench --ablation`: every stage-1 x stage-2 combination on the same benchmark, each
with its threshold calibrated on a separate calibration split (docs/strategies.md).

Both splits are benchmarks of the same plan built with different seeds (other references,
copies, edits and queries drawn from the same footage). For each split the references are
indexed once, with fine-rate rows stored (`fine_fps`), and every query is described once; both
are cached in the split's folder, so a second run only matches. A combination then matches
every described query with no threshold; the calibration split's predictions choose the
threshold (`calibrate_threshold`), which is applied to the test split's. Query latency is the
query's describe time (measured once) plus the combination's matching time.

Stage 1 is also scored alone on the test split: the share of positive queries whose first
candidate is a copied reference, and the share of copied references among the candidates handed
to stage 2 (with `max_candidates` of them, stage 2 usually sees every copied reference whatever
the ranking, so end-to-end figures barely depend on stage 1 on a small library).

The fine-rate refinement is measured on the best combination: with the fine rows stored in the
library, and decoded from the reference file at query time (on the first `DECODE_SUBSET`
queries only, as it is slow); refinement does not change scores, so the threshold carries over.
"""

import hashlib
import json
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidtrace.errors import VidtraceError
from vidtrace.evaluate.calibrate import calibrate_threshold, filter_predictions
from vidtrace.evaluate.pairing import Predictions
from vidtrace.evaluate.report import evaluate
from vidtrace.groundtruth import read_ground_truth
from vidtrace.settings import FineMode, LibrarySettings, RunSettings, Stage1, Stage2
from vidtrace.types import FrameSet, Match, QueryTruth, Threshold

if TYPE_CHECKING:
    from vidtrace.api import Library

FINE_FPS = 5.0  # seed 001's fine rate
DECODE_SUBSET = 40
Progress = Callable[[str, int, int], None]


@dataclass
class Split:
    """One benchmark split ready for matching: its truth, library and described queries."""

    name: str
    root: Path
    truth: list[QueryTruth]
    library: "Library"
    queries: list[FrameSet]
    describe_s: list[float]


def _key(descriptor_version: str, values: dict[str, Any]) -> str:
    return hashlib.sha256(f"{descriptor_version}\0{values}".encode()).hexdigest()[:12]


def _library_key(settings: LibrarySettings, descriptor_version: str) -> str:
    """A hash of the descriptor version and the library settings (what a library stores)."""
    return _key(descriptor_version, settings.to_dict())


def _library(root: Path, settings: RunSettings, progress: Progress | None, stage: str
             ) -> "Library":
    """The split's library with fine rows, built once into root/ablation-library-<key>."""
    from vidtrace.api import Library
    from vidtrace.descriptors import create_descriptor

    lib_settings, resources = settings.library, settings.resources
    version = create_descriptor(lib_settings.descriptor, resources.thread_count).version
    folder = root / f"ablation-library-{_library_key(lib_settings, version)}"
    refs = sorted((root / "references").glob("*.mp4"))
    if (folder / "complete").is_file():
        return Library.open(folder, resources)
    tmp = folder.with_name(folder.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    lib = Library.create(tmp, lib_settings, resources)
    start, video_s = time.perf_counter(), 0.0
    try:
        for i, ref in enumerate(refs):
            video_s += sum(r.duration for r in lib.add([ref]))
            if progress:
                progress(f"{stage}: index", i + 1, len(refs))
    finally:
        lib.close()
    # how long indexing took, for tables that report its speed (the file marks a full build)
    timing = {"index_s": time.perf_counter() - start, "video_s": video_s}
    (tmp / "complete").write_text(json.dumps(timing))
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return Library.open(folder, resources)


def _described(split_root: Path, lib: "Library", truth: Sequence[QueryTruth],
               settings: RunSettings, progress: Progress | None, stage: str
               ) -> tuple[list[FrameSet], list[float]]:
    """Every query's whole frames described with `settings` (no extra view), cached in an
    .npz beside the split."""
    q = settings.query.without_views()
    values: dict[str, Any] = {k: v for k, v in (settings.library.to_dict()
                                                 | q.to_dict()).items()
                              if k in ("descriptor", "query_fps", "short_side", "max_long_side",
                                       "input_size", "crop_borders")}
    if q.query_sampling != "fixed":  # left out when fixed: older caches keep their key
        values["query_sampling"] = q.query_sampling.value
    key = _key(lib.manifest.descriptor_version, values)
    cache = split_root / f"ablation-queries-{key}.npz"
    if cache.is_file():
        with np.load(cache) as z:
            n = int(z["n"])
            queries = [FrameSet(str(z[f"id{i}"]), z[f"t{i}"], z[f"v{i}"], float(z[f"d{i}"]))
                       for i in range(n)]
            return queries, [float(x) for x in z["describe_s"]]
    queries, seconds = [], []
    for i, query in enumerate(truth):
        start = time.perf_counter()
        try:
            fs = lib.describe_query(split_root / query.query, q).full
        except VidtraceError:
            fs = FrameSet(query.query, np.zeros(0), np.zeros((0, lib.manifest.dim), np.float32),
                          0.0)
        seconds.append(time.perf_counter() - start)
        queries.append(fs)
        if progress:
            progress(f"{stage}: describe queries", i + 1, len(truth))
    arrays: dict[str, Any] = {"n": len(queries), "describe_s": np.array(seconds)}
    for i, fs in enumerate(queries):
        arrays.update({f"id{i}": fs.video_id, f"t{i}": fs.times, f"v{i}": fs.vectors,
                       f"d{i}": fs.duration})
    tmp = cache.with_name(cache.stem + ".partial.npz")
    np.savez(tmp, **arrays)
    tmp.replace(cache)
    return queries, seconds


def index_timing(lib: "Library") -> dict[str, float] | None:
    """{"index_s", "video_s"} of a library `_library` built, None when not recorded."""
    try:
        doc = json.loads((lib.folder / "complete").read_text() or "null")
    except (OSError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def prepare_split(name: str, gt_path: Path, settings: RunSettings,
                  progress: Progress | None = None) -> Split:
    """Index the split's references (cached) and describe its queries (cached)."""
    root = Path(gt_path).parent
    truth = read_ground_truth(gt_path)
    lib = _library(root, settings, progress, name)
    queries, seconds = _described(root, lib, truth, settings, progress, name)
    return Split(name, root, truth, lib, queries, seconds)


def run_combo(split: Split, settings: RunSettings, limit: int | None = None,
              progress: Progress | None = None, stage: str = ""
              ) -> tuple[Predictions, list[float]]:
    """Predictions (no threshold) of every query (the first `limit`) and the latency of each:
    describe time plus matching time."""
    predictions: dict[str, list[Match] | None] = {}
    latencies: list[float] = []
    items = list(zip(split.truth, split.queries, split.describe_s, strict=True))[:limit]
    for i, (q, fs, describe_s) in enumerate(items):
        start = time.perf_counter()
        predictions[Path(q.query).name] = split.library.match(
            fs, settings.query, query_path=split.root / q.query, threshold=-math.inf)
        latencies.append(describe_s + time.perf_counter() - start)
        if progress:
            progress(stage, i + 1, len(items))
    return predictions, latencies


def stage1_accuracy(split: Split, settings: RunSettings) -> dict[str, float | None]:
    """Stage 1 alone on the positive queries: `top1`, the share whose first candidate is a
    copied reference; `recall`, the share of (query, copied reference) pairs whose reference
    is among the `max_candidates` handed to stage 2."""
    first = found = pairs = positives = 0
    for q, fs in zip(split.truth, split.queries, strict=True):
        if q.is_negative:
            continue
        ranked = [c.ref_id for c in split.library.candidates(fs, settings.query,
                                                              split.root / q.query)]
        refs = {seg.ref_id for seg in q.segments}
        positives += 1
        first += bool(ranked) and ranked[0] in refs
        pairs += len(refs)
        found += len(refs & set(ranked))
    return {"top1": first / positives if positives else None,
            "recall": found / pairs if pairs else None}


def score_row(test: Split, preds: Predictions, latencies: Sequence[float],
              threshold: Threshold, calibration: dict[str, Any] | None,
              limit: int | None = None) -> dict[str, Any]:
    truth = test.truth[:limit] if limit else test.truth
    report = evaluate(truth, filter_predictions(preds, threshold))
    o = report["overall"]
    lat = np.asarray(latencies)
    return {
        "threshold": threshold.long,
        "f1_3s": o["competition"]["3"]["f1"],
        "f1_5s": o["competition"]["5"]["f1"],
        "top1": o["top1"],
        "negative_fpr": o["fpr"],
        "latency_mean_s": round(float(lat.mean()), 3),
        "latency_p95_s": round(float(np.percentile(lat, 95)), 3),
        "queries": len(truth),
        "calibration": calibration,
        "by_edit_f1_3s": {k: v["competition"]["3"]["f1"] for k, v in report["by_edit"].items()},
    }


def fine_bytes_per_hour(lib: "Library") -> float:
    """Bytes the library's fine-rate rows take per reference hour (vectors and times)."""
    videos = lib.videos()
    hours = sum(v.duration for v in videos) / 3600
    total = 0
    for v in videos:
        fine = lib.store.fine_frames(v.key)
        if fine is not None:
            total += fine[0].nbytes + fine[1].size * 2  # float64 times, float16 vectors
    return total / hours if hours else 0.0


def run_ablation(test_gt: Path, calibration_gt: Path, base: RunSettings,
                 progress: Progress | None = None) -> dict[str, Any]:
    """The ablation table (see the module docstring) as a JSON-serialisable dict."""
    lib_settings = base.with_changes(fine_fps=FINE_FPS, fine_decode_fps=FINE_FPS)
    test = prepare_split("test", test_gt, lib_settings, progress)
    cal = prepare_split("calibration", calibration_gt, lib_settings, progress)
    q = lib_settings.query
    try:
        rows: list[dict[str, Any]] = []
        for stage1 in Stage1:
            ranking = stage1_accuracy(test, lib_settings.with_changes(stage1=stage1))
            for stage2 in Stage2:
                s = lib_settings.with_changes(stage1=stage1, stage2=stage2, fine=FineMode.OFF)
                name = f"{stage1} + {stage2}"
                cal_preds, _ = run_combo(cal, s, progress=progress, stage=f"calibrate {name}")
                c = calibrate_threshold(cal.truth, cal_preds, short=q.short_threshold,
                                        min_frames=q.min_hits)
                preds, lat = run_combo(test, s, progress=progress, stage=f"test {name}")
                rows.append({"stage1": stage1.value, "stage2": stage2.value, "fine": "off",
                             "stage1_top1": ranking["top1"], "stage1_recall": ranking["recall"],
                             **score_row(test, preds, lat, q.threshold(c.threshold),
                                         c.to_json())})
        best = max(rows, key=lambda r: (r["f1_3s"] or 0.0, -(r["negative_fpr"] or 0.0)))
        s_best = lib_settings.with_changes(stage1=best["stage1"], stage2=best["stage2"],
                                           fine=FineMode.LIBRARY)
        t = q.threshold(best["threshold"])
        preds, lat = run_combo(test, s_best, progress=progress, stage="test fine (library)")
        rows.append({"stage1": best["stage1"], "stage2": best["stage2"], "fine": "library",
                     **score_row(test, preds, lat, t, None)})
        sub = min(DECODE_SUBSET, len(test.truth))
        s_decode = s_best.with_changes(fine=FineMode.DECODE)
        preds, lat = run_combo(test, s_decode, limit=sub, progress=progress,
                               stage="test fine (decode)")
        rows.append({"stage1": best["stage1"], "stage2": best["stage2"], "fine": "decode",
                     **score_row(test, preds, lat, t, None, limit=sub)})
        # the same subset without fine refinement and with library rows, for comparison
        for fine, s_sub in (("off", s_best.with_changes(fine=FineMode.OFF)),
                            ("library", s_best)):
            preds, lat = run_combo(test, s_sub, limit=sub, progress=progress,
                                   stage=f"test subset fine ({fine})")
            rows.append({"stage1": best["stage1"], "stage2": best["stage2"], "fine": fine,
                         **score_row(test, preds, lat, t, None, limit=sub)})
        return {
            "rows": rows,
            "best": {"stage1": best["stage1"], "stage2": best["stage2"],
                     "threshold": best["threshold"]},
            "fine_fps": FINE_FPS,
            "fine_bytes_per_reference_hour": round(fine_bytes_per_hour(test.library)),
            "splits": {"test": str(test.root), "calibration": str(cal.root),
                       "test_queries": len(test.truth), "calibration_queries": len(cal.truth)},
        }
    finally:
        test.library.close()
        cal.library.close()


def format_ablation(doc: dict[str, Any]) -> str:
    """The ablation rows as a fixed-width text table."""
    head = (f"{'stage 1':<11} {'stage 2':<7} {'fine':<8} {'queries':>7} {'s1top1':>6} "
            f"{'s1rec':>6} {'thresh':>6} {'F1@3s':>6} {'F1@5s':>6} {'top-1':>6} {'negFPR':>6} "
            f"{'lat s':>6} {'p95 s':>6}")
    lines = [head]

    def cell(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for r in doc["rows"]:
        lines.append(
            f"{r['stage1']:<11} {r['stage2']:<7} {r['fine']:<8} {r['queries']:>7} "
            f"{cell(r.get('stage1_top1')):>6} {cell(r.get('stage1_recall')):>6} "
            f"{r['threshold']:>6.2f} {cell(r['f1_3s']):>6} {cell(r['f1_5s']):>6} "
            f"{cell(r['top1']):>6} {cell(r['negative_fpr']):>6} {r['latency_mean_s']:>6.2f} "
            f"{r['latency_p95_s']:>6.2f}")
    return "\n".join(lines) + "\n"

