"""Per-family table of a `vidtrace bench` report (issue 19): recall, precision and F1 at 3 s,
top-1 and FPR per edit kind, and the whole-reference queries (qNNNN-whole.mp4) on their own,
with and without an unrelated opening. Usage:
    python benchmarks/issue19/per_family.py benchmarks/issue19/wide-baseline.json
"""

import json
import sys
from pathlib import Path

from vidtrace.evaluate.report import evaluate
from vidtrace.groundtruth import read_ground_truth, read_predictions


def _line(name: str, group: dict) -> str:
    c = group["competition"]["3"]
    fpr = "-" if group["fpr"] is None else f"{group['fpr']:.3f}"
    top1 = "-" if group["top1"] is None else f"{group['top1']:.3f}"
    return (f"{name:18s} {group['counts']['positives']:4d} {c['recall']:7.3f} "
            f"{c['precision']:7.3f} {c['f1']:7.3f} {top1:>7s} {fpr:>7s}")


def main(path: str) -> None:
    report = json.loads(Path(path).read_text())
    ev = report["evaluation"]
    print(f"{'group':18s} {'pos':>4s} {'R@3s':>7s} {'P@3s':>7s} {'F1@3s':>7s} {'top-1':>7s} "
          f"{'FPR':>7s}")
    print(_line("overall", ev["overall"]))
    for kind, group in ev["by_edit"].items():
        print(_line(f"edit: {kind}", group))
    _speed(report)
    root = Path(report["benchmark"]["folder"])
    if not (root / "groundtruth.json").is_file():
        print(f"({root} is gone: no whole-reference rows)")
        return
    truth = read_ground_truth(root / "groundtruth.json")
    predictions = read_predictions(Path(report["predictions"]))
    whole = [q for q in truth if q.query.endswith("-whole.mp4")]
    opening = [q for q in whole if q.segments and q.segments[0].query_start > 0.1]
    plain = [q for q in whole if q not in opening]
    for name, group in (("whole (trimmed)", whole), ("  with opening", opening),
                        ("  no opening", plain)):
        if group:
            print(_line(name, evaluate(group, predictions)["overall"]))
    extra = [len(predictions.get(Path(q.query).name) or []) - len(q.segments) for q in whole]
    print(f"whole queries with more segments than copies: {sum(e > 0 for e in extra)} "
          f"of {len(whole)}")


def _speed(report: dict) -> None:
    s = report["speed"]
    print(f"latency mean {s['query_latency_mean_s']:.2f} s, p95 {s['query_latency_p95_s']:.2f} s,"
          f" max {s['query_latency_max_s']:.2f} s; build {report['benchmark']['build_s']:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1])
