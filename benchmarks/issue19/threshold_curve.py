"""The match threshold the calibration rule picks (vidtrace/evaluate/calibrate.py) for a
`vidtrace bench` report made with no threshold, and its F1@3s / FPR curve. The threshold
swept is a long segment's; a short one needs up to the report's `short_threshold` setting
(`vidtrace.types.Threshold`; none in reports from before it existed). Usage (on the
calibration split, seed 2):
    vidtrace bench --seed 2 --set match_threshold=0 --out benchmarks/issue19/calibration-seed2.json
    python benchmarks/issue19/threshold_curve.py benchmarks/issue19/calibration-seed2.json
"""

import json
import math
import sys
from pathlib import Path

from vidtrace.evaluate.calibrate import calibrate_threshold
from vidtrace.groundtruth import read_ground_truth, read_predictions


def main(path: str) -> None:
    report = json.loads(Path(path).read_text())
    truth = read_ground_truth(Path(report["benchmark"]["folder"]) / "groundtruth.json")
    settings = report.get("settings", {})
    chosen = calibrate_threshold(truth, read_predictions(Path(report["predictions"])),
                                 short=float(settings.get("short_threshold", -math.inf)),
                                 min_frames=int(settings.get("min_hits", 3)))
    print(f"chosen threshold {chosen.threshold:.2f}: F1@3s {chosen.f1:.3f}, FPR {chosen.fpr:.3f}")
    for t, f1, fpr in chosen.curve:
        print(f"{t:.2f}  F1@3s {f1:.3f}  FPR {fpr:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
