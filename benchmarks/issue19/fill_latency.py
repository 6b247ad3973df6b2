"""Query latency of the still and mirrored fill detector (vidtrace/video/fill.py), measured in
one run: each query of a built benchmark runs with the detector on and off, in alternating
order, on one library of the benchmark's references (built on first use). Usage:
    python benchmarks/issue19/fill_latency.py BENCHMARK_FOLDER LIBRARY_FOLDER [N]
e.g. BENCHMARK_FOLDER = .cache/bench/default-seed0-<key> (what `vidtrace bench` built), N the
number of queries (evenly spread; default all). Prints the summed seconds and their ratio.
"""

import json
import sys
import time
from pathlib import Path

import vidtrace.video.views as views
from vidtrace.api import Library
from vidtrace.video.fill import detect_fill


def _no_fill(frames: object) -> None:
    return None


def main(bench: Path, library: Path, n: int | None) -> None:
    if not (library / "complete").exists():
        with Library.create(library) as lib:
            lib.add(sorted((bench / "references").glob("*.mp4")))
        (library / "complete").touch()
    truth = json.loads((bench / "groundtruth.json").read_text())["queries"]
    queries = [q["query"] for q in truth]
    if n:
        queries = queries[:: max(1, len(queries) // n)][:n]
    total = {"on": 0.0, "off": 0.0}
    with Library.open(library) as lib:
        lib.query(bench / queries[0])  # load the model, warm the caches
        for i, q in enumerate(queries):
            for mode in ("on", "off") if i % 2 == 0 else ("off", "on"):
                views.detect_fill = detect_fill if mode == "on" else _no_fill  # type: ignore
                start = time.perf_counter()
                lib.query(bench / q)
                total[mode] += time.perf_counter() - start
    print(json.dumps({"queries": len(queries), "on_s": round(total["on"], 2),
                      "off_s": round(total["off"], 2),
                      "ratio": round(total["on"] / total["off"], 3)}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
