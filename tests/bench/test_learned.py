"""`vidtrace bench --learned`: the goal of issue 20 read from the end-to-end rows."""

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_VIDEOS
from vidtrace.bench.learned import goal
from vidtrace.bench.learned_e2e import format_e2e, held_out_folder
from vidtrace.learn.pairs import split_footage
from vidtrace.synth.related import related_groups
from vidtrace.video.files import VIDEO_SUFFIXES, list_files


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


def test_the_held_out_folder_keeps_the_footage_manifest(tmp_path: Path) -> None:
    """The end-to-end plan reads related groups from the held-out folder's manifest; without
    the link, near-duplicates of a reference could land among the negatives."""
    if not SHARED_VIDEOS.is_dir():
        pytest.skip(f"needs {SHARED_VIDEOS} beside the checkout")
    folder = held_out_folder(SHARED_VIDEOS, tmp_path)
    held = sorted(p.name for p in folder.iterdir() if p.name != "MANIFEST.md")
    assert held == sorted(f.name for f in split_footage(list_files(SHARED_VIDEOS,
                                                                   VIDEO_SUFFIXES))[1])
    assert related_groups(folder) == related_groups(SHARED_VIDEOS) != []
