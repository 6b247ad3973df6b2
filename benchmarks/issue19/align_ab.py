"""An alignment rule of issue 19 on and off, measured in one run: each query of a built
benchmark is described once (default views) and matched both ways on one library of the
benchmark's references (built on first use); both runs are scored (F1@3s, top-1, FPR, recall
at 3 s by edit, with the library's default threshold). Rules:
    explained  rule 6 joins a weaker segment that the stronger's line explains as well as its
               own (vidtrace/align/evidence.py `_explained`), besides one whose ends lie on it
    between    rule 6 joins two segments with only weaker segments between them (`_pairs`),
               not only neighbours
    support    rule 6's join takes whichever of its two lines holds more evidence
               (`_best_join`), not the first that passes rules 1-4
    mutual     rule 6 also joins two pieces when the weaker's line explains the stronger's
               rows as well as its own (`_MUTUAL`), not only the other way round
    split      rule 7: a segment whose rows two lines explain better becomes the two pieces
               (`_SPLIT`, vidtrace/align/split.py)
Usage:
    python benchmarks/issue19/align_ab.py RULE BENCHMARK_FOLDER LIBRARY_FOLDER
Prints the matching seconds of each way, the queries whose matches differ (with their
matches both ways: reference, query start and end, reference start and end, score) and each
run's scores.
"""

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from view_latency import built_library, scores  # this script's folder, run as a script

import vidtrace.align.evidence as evidence
from vidtrace.api import Library
from vidtrace.groundtruth import read_ground_truth
from vidtrace.types import Match

_EXPLAINED = evidence._explained
_PAIRS = evidence._pairs
_BEST_JOIN = evidence._best_join


def _neighbours(segs: list[Any], p: Any) -> list[tuple[int, int]]:
    """`_pairs` as it was before `between`: neighbours only."""
    return [(i, j) for i, j in _PAIRS(segs, p) if j == i + 1]


def _switch(rule: str) -> Callable[[bool], None]:
    def explained(on: bool) -> None:
        evidence._explained = _EXPLAINED if on else (lambda *args, **kwargs: False)  # type: ignore[assignment]

    def between(on: bool) -> None:
        evidence._pairs = _PAIRS if on else _neighbours  # type: ignore[assignment]

    def support(on: bool) -> None:
        evidence._best_join = _BEST_JOIN if on else (lambda held: held[0])  # type: ignore[assignment]

    def mutual(on: bool) -> None:
        evidence._MUTUAL = on

    def split(on: bool) -> None:
        evidence._SPLIT = on

    return {"explained": explained, "between": between, "support": support,
            "mutual": mutual, "split": split}[rule]


def main(rule: str, bench: Path, library: Path) -> None:
    switch = _switch(rule)
    built_library(bench, library)
    truth = read_ground_truth(bench / "groundtruth.json")
    total = {True: 0.0, False: 0.0}
    found: dict[bool, dict[str, list[Match]]] = {True: {}, False: {}}
    with Library.open(library) as lib:
        s = lib.query_defaults
        for i, q in enumerate(truth):
            path = bench / q.query
            views = lib.describe_query(path, s)
            for on in (True, False) if i % 2 == 0 else (False, True):
                switch(on)
                start = time.perf_counter()
                found[on][Path(q.query).name] = lib.match(views, s, path)
                total[on] += time.perf_counter() - start
    out: dict[str, Any] = {"rule": rule, "queries": len(truth),
                           "on_s": round(total[True], 2), "off_s": round(total[False], 2),
                           "changed": sorted(name for name in found[True]
                                             if found[True][name] != found[False][name])}
    out["matches"] = {name: {way: [[m.ref_id, round(m.query_start, 2), round(m.query_end, 2),
                                    round(m.ref_start, 2), round(m.ref_end, 2), round(m.score, 3)]
                                   for m in found[on][name]]
                             for way, on in (("on", True), ("off", False))}
                      for name in out["changed"]}
    out["on"], out["off"] = scores(truth, found[True]), scores(truth, found[False])
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
