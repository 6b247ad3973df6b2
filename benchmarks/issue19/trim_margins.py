"""How close the query views' found pictures come to their reference when a share of each side
is trimmed before describing (`vidtrace.video.views.INSET_TRIM`). Issue 19.

For every copied segment of every query of a built benchmark with a pip or canvas edit: the
windows `inset_windows` finds (pip and canvas views, carrying included, as the pipeline runs
them), each frame of the segment with a found picture cropped with each trim, described with
SSCD, and its best similarity to any frame of the true reference (1 frame/s). Prints each
segment's median per trim, then the mean over segments and, per trim, how many segments gain
and lose more than 0.01 against no trim.

Usage:
    python benchmarks/issue19/trim_margins.py BENCHMARK_FOLDER [TRIMS]
e.g. BENCHMARK_FOLDER = .cache/bench/default-seed2-<key> (the calibration split), TRIMS
0,0.02,0.04,0.06,0.08,0.1 (the default). A few minutes on 2 cores.
"""

import json
import sys
from pathlib import Path

import numpy as np

from vidtrace.descriptors.sscd import SSCDDescriptor
from vidtrace.video.borders import prepare_frame
from vidtrace.video.decode import iter_frames
from vidtrace.video.inset import crop_inset
from vidtrace.video.views import inset_windows

KINDS = {"pip", "canvas"}


def main(root: Path, trims: tuple[float, ...]) -> None:
    describer = SSCDDescriptor(2)
    references: dict[str, np.ndarray] = {}
    rows: list[list[float]] = []
    for q in json.loads((root / "groundtruth.json").read_text())["queries"]:
        kinds = {e["kind"] for e in q["edits"]}
        if not kinds & KINDS or not q["segments"]:
            continue
        frames = list(iter_frames(root / q["query"], 2.0, 288, 512))
        windows = list(inset_windows(frames, pip=True, canvas=True))
        for seg in q["segments"]:
            ref = seg["reference"]
            if ref not in references:
                decoded = iter_frames(root / "references" / f"{ref}.mp4", 1.0, 288, 512)
                references[ref] = describer.describe(
                    np.stack([prepare_frame(f, 224) for _, f in decoded]))
            found = [(w.inset, f) for w, decoded in windows if w.inset is not None
                     for t, f in decoded
                     if seg["query_start"] + 0.3 <= t <= seg["query_end"] - 0.3]
            if not found:
                continue
            medians = []
            for trim in trims:
                crops = np.stack([prepare_frame(crop_inset(f, box, trim), 224)
                                  for box, f in found])
                best = (describer.describe(crops) @ references[ref].T).max(axis=1)
                medians.append(float(np.median(best)))
            rows.append(medians)
            print(q["query"], sorted(kinds), ref, len(found), np.round(medians, 3), flush=True)
    m = np.array(rows)
    print(json.dumps({
        "segments": len(rows), "trims": list(trims),
        "mean_median": [round(float(v), 4) for v in m.mean(axis=0)],
        "gain_loss_vs_0": [[int((m[:, i] > m[:, 0] + 0.01).sum()),
                            int((m[:, i] < m[:, 0] - 0.01).sum())] for i in range(len(trims))]}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), tuple(float(v) for v in sys.argv[2].split(","))
         if len(sys.argv) > 2 else (0.0, 0.02, 0.04, 0.06, 0.08, 0.1))
