"""The picture beside an inset only for frames that match no reference yet
(views.BESIDE_MATCHED_SIM; docs/pip.md, "Beside only where nothing matches yet"): each query of
a built benchmark described and matched with every strip (the view before the gate) and with
the gate at several similarities, in one run. Queries without a strip cannot differ and run
once. Prints, per rule: strips described, summed seconds of the queries with strips, tp / fp /
fn at 3 s on them, and the change of each true segment's score against every strip (mean,
worst).
Usage:
    python benchmarks/issue19/beside_gate.py BENCHMARK_FOLDER LIBRARY_FOLDER OUT.json [SIM ...]
e.g. BENCHMARK_FOLDER = .cache/bench/default-seed2-<key>; SIMs default 0.5 0.6 0.7.
"""

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import vidtrace.video.views as views
from vidtrace.api import Library
from vidtrace.evaluate.competition import match_query
from vidtrace.groundtruth import read_ground_truth


def main(bench: Path, library: Path, out: Path, sims: list[float]) -> None:
    truth = read_ground_truth(bench / "groundtruth.json")
    rules = [("every", float("inf"))] + [(f"sim {s}", s) for s in sims]
    res: dict[str, dict[str, Any]] = {
        name: {"strips": 0, "seconds": 0.0, "tp": 0, "fp": 0, "fn": 0, "found": {}}
        for name, _ in rules}
    with Library.open(library) as lib:
        lib.query(bench / truth[0].query)  # load the model, warm the caches
        n = 0
        for q in truth:
            views.BESIDE_MATCHED_SIM = float("inf")
            if not len(lib.describe_query(bench / q.query).beside or ()):
                continue
            order = rules if n % 2 == 0 else rules[::-1]
            n += 1
            for name, sim in order:
                views.BESIDE_MATCHED_SIM = sim
                start = time.perf_counter()
                described = lib.describe_query(bench / q.query)
                found = lib.match(described)
                r = res[name]
                r["seconds"] += time.perf_counter() - start
                r["strips"] += len(described.beside or ())
                c = match_query(q.segments, found, 3.0)
                r["tp"], r["fp"], r["fn"] = r["tp"] + c.tp, r["fp"] + c.fp, r["fn"] + c.fn
                r["found"][q.query] = [[m.ref_id, m.query_start, m.query_end, m.score]
                                       for m in found]
    for name, _ in rules:
        r = res[name]
        changes = []
        for query, found in r["found"].items():
            true_refs = {s.ref_id for q in truth if q.query == query for s in q.segments}
            before = {m[0]: m[3] for m in res["every"]["found"][query]}
            changes += [m[3] - before[m[0]] for m in found
                        if m[0] in before and m[0] in true_refs]
        r["queries"] = n
        r["seconds"] = round(r["seconds"], 2)
        r["score_change_mean"] = round(float(np.mean(changes)), 4) if changes else 0.0
        r["score_change_worst"] = round(float(np.min(changes)), 4) if changes else 0.0
        print(name, {k: v for k, v in r.items() if k != "found"})
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]),
         [float(s) for s in sys.argv[4:]] or [0.5, 0.6, 0.7])
