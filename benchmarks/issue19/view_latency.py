"""Query latency and accuracy of one query view of issue 19, measured in one run: each query
of a built benchmark runs with the part on and off, in alternating order, on one library of
the benchmark's references (built on first use); both runs are scored (F1@3s, top-1, FPR with
the library's default threshold). Parts:
    fill   the still and mirrored fill detector (vidtrace/video/fill.py)
    carry  insets carried to neighbouring windows (vidtrace/video/views.py inset_windows)
    coarse the inset detector's second look at half size (views.inset_windows, SOFT_SCALE)
    trim   the trim of each side of a found picture before it is described (views.INSET_TRIM)
    beside the picture beside a picture-in-picture inset (views.beside_box, BESIDE_MIN)
    lag    the inset detector's change measured between frames 1.5 s apart
           (pip.PipParams.change_lag = 3), against neighbouring frames (0.5 s) before
    gate   the picture beside an inset described only for frames that match no reference
           yet (views.BESIDE_MATCHED_SIM), against for every frame of a window with an inset
    regions the still-host detector's second test, each region of change on its own (a
           screen recording or another host that is mostly still; stillhost._regions)
    foundgate the found picture (inset, canvas, fill) described only for frames whose whole
           picture matches no reference yet (views.INSET_MATCHED_SIM), against for every
           frame of its window
    all    every part above at once, and turn_view as the library's default has it: the
           query views with and without issue 19's additions
    turn   the setting turn_view: the frames of windows whose picture is turned (a rotated
           copy) described turned back (vidtrace/video/turn.py)
Usage:
    python benchmarks/issue19/view_latency.py PART BENCHMARK_FOLDER LIBRARY_FOLDER [N]
e.g. BENCHMARK_FOLDER = .cache/bench/default-seed0-<key> (what `vidtrace bench` built), N the
number of queries (evenly spread; default all). Prints the summed seconds, their ratio, the
queries whose matches differ (with their matches both ways: reference, query start and end,
reference start and end, score) and each run's scores (on all queries only: a subset is not a
benchmark).
"""

import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import vidtrace.video.pip as pip
import vidtrace.video.stillhost as stillhost
import vidtrace.video.views as views
from vidtrace.api import Library
from vidtrace.evaluate.report import evaluate
from vidtrace.groundtruth import read_ground_truth
from vidtrace.types import Match, QueryTruth

_FILL = views.detect_fill
_WINDOWS = views.inset_windows
_SHRUNK = pip._shrunk
_TRIM = views.INSET_TRIM
_BESIDE_MIN = views.BESIDE_MIN
_MATCHED_SIM = views.BESIDE_MATCHED_SIM
_FOUND_SIM = views.INSET_MATCHED_SIM
_WINDOW_DEFAULTS = _WINDOWS.__defaults__
_REGIONS = stillhost._regions


def _no_fill(frames: object) -> None:
    return None


def _no_carry(*args: Any, **kwargs: Any) -> Iterator[Any]:
    """inset_windows with every carried inset dropped: what it gave before carrying."""
    for window, frames in _WINDOWS(*args, **kwargs):
        yield (dataclasses.replace(window, inset=None, carried=False) if window.carried
               else window), frames


def _switch(part: str) -> Callable[[bool], None]:
    def fill(on: bool) -> None:
        views.detect_fill = _FILL if on else _no_fill  # type: ignore[assignment]

    def carry(on: bool) -> None:
        views.inset_windows = _WINDOWS if on else _no_carry  # type: ignore[assignment]

    def coarse(on: bool) -> None:
        # an empty picture is too small for any rectangle: the second look finds nothing
        pip._shrunk = _SHRUNK if on else (lambda picture, factor: picture[:, :0, :0])  # type: ignore[assignment]

    def trim(on: bool) -> None:
        views.INSET_TRIM = _TRIM if on else 0.0

    def beside(on: bool) -> None:
        # no strip holds more than the whole frame: no picture beside an inset is described
        views.BESIDE_MIN = _BESIDE_MIN if on else 2.0

    def lag(on: bool) -> None:
        use_window_params(pip.DEFAULT_PARAMS if on
                          else dataclasses.replace(pip.DEFAULT_PARAMS, change_lag=1))

    def gate(on: bool) -> None:
        # no frame comes that close to a reference: every frame is described beside
        views.BESIDE_MATCHED_SIM = _MATCHED_SIM if on else float("inf")

    def regions(on: bool) -> None:
        stillhost._regions = _REGIONS if on else (lambda changed: [])  # type: ignore[assignment]

    def foundgate(on: bool) -> None:
        views.INSET_MATCHED_SIM = _FOUND_SIM if on else float("inf")

    def every(on: bool) -> None:
        for one in (fill, carry, coarse, trim, beside, lag, regions, foundgate):
            one(on)

    return {"fill": fill, "carry": carry, "coarse": coarse, "trim": trim,
            "beside": beside, "lag": lag, "gate": gate, "regions": regions, "foundgate": foundgate,
            "turn": lambda on: None, "all": every}[part]


def use_window_params(params: pip.PipParams) -> None:
    """The inset detector's settings for the query views from now on: they run the detectors
    with `inset_windows`' default (carry's wrapper calls the same function)."""
    assert _WINDOW_DEFAULTS is not None
    window_s, _, *rest = _WINDOW_DEFAULTS
    _WINDOWS.__defaults__ = (window_s, params, *rest)


def built_library(bench: Path, library: Path) -> None:
    """A library of the benchmark's references in `library`, built unless it was already."""
    if not (library / "complete").exists():
        with Library.create(library) as lib:
            lib.add(sorted((bench / "references").glob("*.mp4")))
        (library / "complete").touch()


def scores(truth: list[QueryTruth], found: dict[str, list[Match]]) -> dict[str, Any]:
    """F1@3s, top-1, FPR and recall at 3 s per edit of one run's matches (query file name ->
    matches) with the library's default threshold."""
    report = evaluate(truth, found)
    overall = report["overall"]
    return {"f1_3s": round(overall["competition"]["3"]["f1"], 3),
            "top1": overall["top1"], "fpr": overall["fpr"],
            "recall_3s_by_edit": {kind: round(group["competition"]["3"]["recall"], 3)
                                  for kind, group in report["by_edit"].items()}}


def main(part: str, bench: Path, library: Path, n: int | None) -> None:
    switch = _switch(part)
    built_library(bench, library)
    truth = read_ground_truth(bench / "groundtruth.json")
    queries = [q.query for q in truth]
    if n:
        queries = queries[:: max(1, len(queries) // n)][:n]
    total = {True: 0.0, False: 0.0}
    found: dict[bool, dict[str, list[Match]]] = {True: {}, False: {}}
    with Library.open(library) as lib:
        default = lib.query_defaults
        settings = {True: default.with_changes(turn_view=True) if part == "turn" else default,
                    False: default.with_changes(turn_view=False)
                    if part in ("turn", "all") else default}
        lib.query(bench / queries[0])  # load the model, warm the caches
        for i, q in enumerate(queries):
            for on in (True, False) if i % 2 == 0 else (False, True):
                switch(on)
                start = time.perf_counter()
                found[on][Path(q).name] = lib.query(bench / q, settings[on])
                total[on] += time.perf_counter() - start
    out: dict[str, Any] = {"part": part, "queries": len(queries),
                           "on_s": round(total[True], 2), "off_s": round(total[False], 2),
                           "ratio": round(total[True] / total[False], 3),
                           "changed": sorted(name for name in found[True]
                                             if found[True][name] != found[False][name])}
    out["matches"] = {name: {way: [[m.ref_id, round(m.query_start, 2), round(m.query_end, 2),
                                    round(m.ref_start, 2), round(m.ref_end, 2), round(m.score, 3)]
                                   for m in found[on][name]]
                             for way, on in (("on", True), ("off", False))}
                      for name in out["changed"]}
    if len(queries) == len(truth):
        out["on"], out["off"] = scores(truth, found[True]), scores(truth, found[False])
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]),
         int(sys.argv[4]) if len(sys.argv) > 4 else None)
