"""Recall at 3 s by the footage a copy comes from, over one or more `vidtrace bench` reports of
the dev benchmark (issue 19): each ground-truth segment is credited to the source clip or photo
of its reference that covers most of it (the benchmark's sources.json), and counts as found
when a prediction takes it as the competition metric does (vidtrace.evaluate.competition:
predictions by score, each to the unused segment of its reference within 3 s at every end
with the smallest summed offset). Lists the sources with a miss, weakest first, with the
missed queries. Usage:
    python benchmarks/issue19/by_source.py benchmarks/issue19/seed{0,1,2,3,4}-turned.json
"""

import json
import math
import sys
from collections import defaultdict
from pathlib import Path

from vidtrace.groundtruth import read_ground_truth, read_predictions
from vidtrace.types import CopySegment, Match

TOLERANCE_S = 3.0


def found(segments: tuple[CopySegment, ...], matches: list[Match]) -> list[bool]:
    """For each of `segments`, whether a prediction takes it (as `match_query` counts)."""
    taken = [False] * len(segments)
    for m in sorted(matches, key=lambda m: -m.score):
        best, best_error = -1, math.inf
        for j, seg in enumerate(segments):
            if taken[j] or seg.ref_id != m.ref_id:
                continue
            offsets = (abs(m.query_start - seg.query_start), abs(m.query_end - seg.query_end),
                       abs(m.ref_start - seg.ref_start), abs(m.ref_end - seg.ref_end))
            if max(offsets) <= TOLERANCE_S + 1e-6 and sum(offsets) < best_error:
                best, best_error = j, sum(offsets)
        if best >= 0:
            taken[best] = True
    return taken


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
            hits = found(q.segments, predictions.get(Path(q.query).name) or [])
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
