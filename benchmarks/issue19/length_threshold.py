"""A threshold that falls with a segment's evidence, studied offline before it was built as
`vidtrace.types.Threshold` (docs/align.md, "The threshold"): a segment of n matched frames is
kept when its score reaches
    t(n) = t_long + (0.42 - t_long) * sqrt(min_hits / n),
so a segment of `min_hits` (3) frames needs today's 0.42, which keeps chance lines through a
long reference's background out (tests/align/test_methods.py::test_pure_noise_gives_nothing:
3 frames at 0.381), and a long one needs about t_long. Prints F1@3s and FPR for each t_long on
the calibration split and the test split, from `segments_at_zero.py` outputs. Usage:
    python benchmarks/issue19/length_threshold.py SEED2_BENCH SEED2.jsonl SEED0_BENCH SEED0.jsonl
"""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.evaluate.report import evaluate
from vidtrace.groundtruth import read_ground_truth
from vidtrace.types import Match, QueryTruth

SHORT = 0.42
MIN_HITS = 3

Rule = Callable[[dict[str, Any]], bool]


def _load(bench: str, path: str) -> tuple[list[QueryTruth], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    return read_ground_truth(Path(bench) / "groundtruth.json"), rows


def _scores(truth: list[QueryTruth], rows: list[dict[str, Any]], keep: Rule
            ) -> tuple[float, float]:
    found = {Path(r["query"]).name: sorted(
        (Match(s["ref"], s["qs"], s["qe"], s["rs"], s["re"], s["score"])
         for s in r["segs"] if s["kept"] and keep(s)), key=lambda m: -m.score) for r in rows}
    overall = evaluate(truth, found)["overall"]
    return overall["competition"]["3"]["f1"], overall["fpr"] or 0.0


def _rule(t_long: float) -> Rule:
    return lambda s: s["score"] >= t_long + (SHORT - t_long) * np.sqrt(
        MIN_HITS / max(s["hits"], MIN_HITS))


def main(bench2: str, segs2: str, bench0: str, segs0: str) -> None:
    split2, split0 = _load(bench2, segs2), _load(bench0, segs0)
    for t_long in np.round(np.arange(0.28, SHORT + 1e-9, 0.01), 2):
        f2, r2 = _scores(*split2, _rule(float(t_long)))
        f0, r0 = _scores(*split0, _rule(float(t_long)))
        print(f"t_long {t_long:.2f}: seed 2 F1@3s {f2:.3f} FPR {r2:.3f}; "
              f"seed 0 F1@3s {f0:.3f} FPR {r0:.3f}; t(9) {_t(t_long, 9):.3f} "
              f"t(27) {_t(t_long, 27):.3f}")


def _t(t_long: float, n: int) -> float:
    return t_long + (SHORT - t_long) * float(np.sqrt(MIN_HITS / n))


if __name__ == "__main__":
    main(*sys.argv[1:5])
