"""Recall at 3 s by the footage a copy comes from, over one or more `vidtrace bench` reports of
the dev benchmark (issue 19): each ground-truth segment is credited to the source clip or photo
of its reference that covers most of it (the benchmark's sources.json), and counts as found
when a prediction takes it as the competition metric does
(`vidtrace.evaluate.competition.matched_segments`, 3 s). Lists the sources with a miss,
weakest first, with the missed queries. Usage:
    python benchmarks/issue19/by_source.py benchmarks/issue19/seed{0,1,2,3,4}-turned.json
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

from vidtrace.evaluate.competition import matched_segments
from vidtrace.groundtruth import read_ground_truth, read_predictions

TOLERANCE_S = 3.0


def main(paths: list[str]) -> None:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        report = json.loads(Path(path).read_text())
        root = Path(report["benchmark"]["folder"])
        sources = json.loads((root / "sources.json").read_text())["references"]
        predictions = read_predictions(Path(report["predictions"]))
        seed = report["command"].split("--seed ")[1].split()[0] if "--seed" in report["command"] \
            else "0"
        for q in read_ground_truth(root / "groundtruth.json"):
            hits = matched_segments(q.segments, predictions.get(Path(q.query).name) or [],
                                    TOLERANCE_S)
            for seg, hit in zip(q.segments, hits, strict=True):
                piece = max(sources[seg.ref_id], key=lambda s: min(s["end"], seg.ref_end)
                            - max(s["start"], seg.ref_start))
                name = Path(piece["source"]).name
                counts[name][0] += 1
                counts[name][1] += hit
                if not hit:
                    missed[name].append(f"seed{seed}:{Path(q.query).stem}")
    print(f"{'source':45s} {'found':>9s}  missed")
    for name, (n, hit) in sorted(counts.items(), key=lambda kv: (kv[1][1] / kv[1][0], kv[0])):
        if hit < n:
            print(f"{name:45s} {hit:4d}/{n:<4d}  {' '.join(missed[name])}")
    total = sum(n for n, _ in counts.values())
    print(f"{len(counts)} sources, {total} copied segments, "
          f"{total - sum(h for _, h in counts.values())} missed")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
