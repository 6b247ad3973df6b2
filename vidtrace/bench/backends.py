"""`vidtrace bench --backends`: the descriptor backends and sampling modes side by side
(docs/backends.md).

Each row is one (descriptor, reference sampling, query sampling) configuration on the same two
splits `vidtrace bench --ablation` uses: its references are indexed and its queries described
once per split (cached beside the split, as the ablation does), the threshold is calibrated on
the calibration split (`calibrate_threshold`; one flat threshold, as the short threshold of the
query defaults, 0.42, is on sscd's scale), together with the hit floor (`HIT_FLOORS`), and
the row is scored on the test split. Stage 1 and 2 are the defaults. Queries are described by
their whole frames only (no picture-in-picture or mirrored view), so backends are compared on
equal terms; the views are measured by `vidtrace bench --set pip_view=...`.

Reported per row: F1@3s and F1@5s, top-1, negative FPR, the calibrated threshold, indexing
speed (seconds of video per second, measured when the split's library was built), query latency
(describe plus match, mean and p95), and library bytes per reference hour.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidtrace.bench.ablation import (
    Progress,
    index_timing,
    prepare_split,
    run_combo,
    score_row,
)
from vidtrace.evaluate.calibrate import TIE_F1, Calibration, calibrate_threshold
from vidtrace.settings import RunSettings, Sampling


@dataclass(frozen=True)
class Config:
    """One row of the table: a descriptor (or fusion) and the sampling of both sides."""

    descriptor: str
    index_sampling: str = "fixed"
    query_sampling: str = "fixed"

    @property
    def name(self) -> str:
        return f"{self.descriptor} {self.index_sampling}/{self.query_sampling}"

    @classmethod
    def parse(cls, text: str) -> "Config":
        """"sscd", "sscd:keyframes" (both sides) or "sscd:keyframes/fixed"; the descriptor may
        itself hold a colon ("learned:/x/head.npz:scene"), so only a last part made of
        sampling modes is read as sampling."""
        descriptor, _, sampling = text.rpartition(":")
        if not descriptor or not all(m in tuple(Sampling) for m in sampling.split("/")):
            descriptor, sampling = text, ""
        index_s, _, query_s = sampling.partition("/")
        index_s = index_s or "fixed"
        return cls(descriptor, index_s, query_s or index_s)


# The similarity below which a hit is ignored (stage 1 and 2) depends on the backend's scale
# (sscd's copies score 0.5-0.9, sift-fv-bin's 0.2-0.4): each row takes the floor of these with
# the best F1 on the calibration split (the higher on a tie), then calibrates its threshold.
HIT_FLOORS = (0.3, 0.2, 0.1)

DEFAULT_CONFIGS: tuple[Config, ...] = (
    Config("sscd"),
    Config("sscd-fast"),
    Config("pdq"),
    Config("sift-fv"),
    Config("sift-fv-bin"),
    Config("sscd+sift-fv"),
    Config("sscd", "keyframes", "fixed"),
    Config("sscd", "keyframes", "keyframes"),
    Config("sscd", "scene", "scene"),
)


def run_backend_row(config: Config, test_gt: Path, calibration_gt: Path, base: RunSettings,
                    progress: Progress | None = None) -> dict[str, Any]:
    """One configuration calibrated on `calibration_gt`'s split and scored on `test_gt`'s."""
    settings = base.with_changes(descriptor=config.descriptor, fine_fps=0.0,
                                 index_sampling=config.index_sampling,
                                 query_sampling=config.query_sampling)
    test = prepare_split(f"{config.name} test", test_gt, settings, progress)
    cal = prepare_split(f"{config.name} calibration", calibration_gt, settings, progress)
    try:
        tried: list[tuple[float, Calibration]] = []
        for floor in HIT_FLOORS:
            cal_preds, _ = run_combo(cal, settings.with_changes(hit_floor=floor),
                                     progress=progress,
                                     stage=f"{config.name}: calibrate (floor {floor})")
            # one flat threshold per descriptor: the short threshold (0.42) is on sscd's scale
            tried.append((floor, calibrate_threshold(cal.truth, cal_preds)))
        top = max(c.f1 for _, c in tried)
        # the first floor (the highest) within TIE_F1 of the best calibration F1
        floor, c = next((f, c) for f, c in tried if c.f1 >= top - TIE_F1)
        settings = settings.with_changes(hit_floor=floor)
        preds, lat = run_combo(test, settings, progress=progress, stage=f"{config.name}: test")
        summary = test.library.summary()
        timing = index_timing(test.library)
        speed = None if not timing else round(timing["video_s"] / max(timing["index_s"], 1e-9),
                                               2)
        return {"descriptor": config.descriptor, "index_sampling": config.index_sampling,
                "query_sampling": config.query_sampling, "hit_floor": floor,
                "reference_frames": summary["frames"],
                "index_speed": speed,
                "bytes_per_reference_hour": round(summary["bytes_per_hour"]),
                **score_row(test, preds, lat, c.rule, c.to_json())}
    finally:
        test.library.close()
        cal.library.close()


def run_backends(test_gt: Path, calibration_gt: Path, base: RunSettings,
                 configs: Sequence[Config] = DEFAULT_CONFIGS,
                 progress: Progress | None = None) -> dict[str, Any]:
    """Every configuration's row (see the module docstring) as a JSON-serialisable dict."""
    rows = [run_backend_row(c, test_gt, calibration_gt, base, progress) for c in configs]
    return {"rows": rows, "views": "whole frames only",
            "splits": {"test": str(Path(test_gt).parent),
                       "calibration": str(Path(calibration_gt).parent)}}


def format_backends(doc: dict[str, Any]) -> str:
    """The rows as a fixed-width text table."""
    lines = [f"{'descriptor':<14} {'sampling':<19} {'floor':>5} {'thresh':>6} {'F1@3s':>6} "
             f"{'F1@5s':>6} "
             f"{'top-1':>6} {'negFPR':>6} {'index x':>7} {'lat s':>6} {'p95 s':>6} "
             f"{'MB/h':>6}"]

    def cell(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for r in doc["rows"]:
        sampling = f"{r['index_sampling']}/{r['query_sampling']}"
        speed = "-" if r["index_speed"] is None else f"{r['index_speed']:.1f}"
        lines.append(
            f"{r['descriptor']:<14} {sampling:<19} {r['hit_floor']:>5.2f} {r['threshold']:>6.2f} "
            f"{cell(r['f1_3s']):>6} "
            f"{cell(r['f1_5s']):>6} {cell(r['top1']):>6} {cell(r['negative_fpr']):>6} "
            f"{speed:>7} {r['latency_mean_s']:>6.2f} {r['latency_p95_s']:>6.2f} "
            f"{r['bytes_per_reference_hour'] / 1e6:>6.1f}")
    return "\n".join(lines) + "\n"
