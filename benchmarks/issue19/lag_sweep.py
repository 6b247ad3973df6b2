"""The inset detector's `change_lag` (and optionally its `min_score`) swept on a built
benchmark in one process: each query runs once per setting, the settings in rotating order, on
one library of the benchmark's references; each setting's run is scored (F1@3s, top-1, FPR,
recall at 3 s per edit, with the library's default threshold) and timed. Issue 19, docs/pip.md
"Slow footage".
Usage:
    python benchmarks/issue19/lag_sweep.py BENCHMARK_FOLDER LIBRARY_FOLDER LAG[:DELTA],...
e.g. `1,2,3,4` (DELTA: added to the detector's min_score and confident_score, default 0). The
lag is the first look's: the query views' soft look at half size keeps `pip.SOFT_LAG` (it took
the lag too when the sweeps in benchmarks/issue19/lag-sweep-seed2*.json ran).
Prints one JSON object: seconds per setting, their ratio to the first, the queries whose
matches differ from the first setting's, and the scores.
"""

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from view_latency import (  # this script's folder, run as a script
    built_library,
    scores,
    use_window_params,
)

import vidtrace.video.pip as pip
from vidtrace.api import Library
from vidtrace.groundtruth import read_ground_truth
from vidtrace.types import Match


def _use(setting: str) -> None:
    """The query views' detector settings for `setting`."""
    lag, _, delta = setting.partition(":")
    d = float(delta or 0)
    base = pip.DEFAULT_PARAMS
    use_window_params(dataclasses.replace(base, change_lag=int(lag), min_score=base.min_score + d,
                                          confident_score=base.confident_score + d))


def main(bench: Path, library: Path, settings: list[str]) -> None:
    built_library(bench, library)
    truth = read_ground_truth(bench / "groundtruth.json")
    total = dict.fromkeys(settings, 0.0)
    found: dict[str, dict[str, list[Match]]] = {s: {} for s in settings}
    with Library.open(library) as lib:
        lib.query(bench / truth[0].query)  # load the model, warm the caches
        for i, q in enumerate(truth):
            k = i % len(settings)
            for setting in settings[k:] + settings[:k]:
                _use(setting)
                start = time.perf_counter()
                found[setting][Path(q.query).name] = lib.query(bench / q.query)
                total[setting] += time.perf_counter() - start
    first = settings[0]
    out: dict[str, Any] = {
        "seconds": {s: round(v, 1) for s, v in total.items()},
        "ratio_to_first": {s: round(total[s] / total[first], 3) for s in settings},
        "changed": {s: sorted(n for n in found[s] if found[s][n] != found[first][n])
                    for s in settings[1:]},
        "scores": {s: scores(truth, found[s]) for s in settings}}
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(","))
