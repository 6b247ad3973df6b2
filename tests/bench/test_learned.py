"""`vidtrace bench --learned`: the goal of issue 20 read from the end-to-end rows."""

from typing import Any

from vidtrace.bench.learned import goal
from vidtrace.bench.learned_e2e import format_e2e


def _row(name: str, f1: float, cpu: float) -> dict[str, Any]:
    return {"name": name, "descriptor": name, "f1_3s": f1, "f1_5s": f1, "top1": 0.9,
            "negative_fpr": 0.0, "latency_mean_s": 1.0,
            "query_cpu": {"cpu_s": cpu, "cpu_per_query_s": cpu / 8}}


def test_goal_needs_both_the_f1_and_the_cpu_share() -> None:
    doc = {"rows": [_row("sscd", 0.80, 10.0), _row("sscd-fast", 0.78, 3.5),
                    _row("fast", 0.796, 4.5)]}
    g = goal(doc)
    assert g["reached"] and g["f1_3s_minus_sscd"] == -0.004 and g["cpu_share_of_sscd"] == 0.45
    slow = goal({"rows": [_row("sscd", 0.80, 10.0), _row("fast", 0.80, 4.6)]})
    assert not slow["reached"] and slow["cpu_share_of_sscd"] == 0.46
    worse = goal({"rows": [_row("sscd", 0.80, 10.0), _row("fast", 0.794, 3.0)]})
    assert not worse["reached"] and worse["f1_3s_minus_sscd"] == -0.006
    assert goal({"rows": [_row("sscd", 0.8, 1.0)]}) == {
        "reached": False, "why": "the preset or sscd row is missing"}
    text = format_e2e(doc)
    assert "fast" in text.splitlines()[3] and text.splitlines()[3].endswith("0.45")
