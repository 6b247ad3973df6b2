"""The scale benchmark's parts on tiny sizes: real builds, searches and recall of planted
copies, no speed targets (those live in `vidtrace bench --scale`, benchmarks/scale.json)."""

from pathlib import Path

import numpy as np
import pytest

from vidtrace.bench.scale import (
    DIM,
    PER_VIDEO,
    extrapolate,
    format_scale,
    parse_plan,
    planted_queries,
    run_scale,
)
from vidtrace.bench.search import SyntheticFrames
from vidtrace.errors import ConfigError


def test_planted_copies_are_edited_library_frames() -> None:
    synth = SyntheticFrames(DIM, 0)
    frames = 2 * PER_VIDEO + 100  # two whole hours and a short third reference
    xq, truth = planted_queries(synth, frames, 400)
    assert xq.shape == (400, DIM) and np.allclose(np.linalg.norm(xq, axis=1), 1.0, atol=1e-5)
    copies = truth >= 0
    assert 0.5 < copies.mean() < 0.7  # COPY_SHARE 0.6
    rowids, at = truth[copies] >> 24, truth[copies] & ((1 << 24) - 1)
    assert set(rowids.tolist()) <= {1, 2, 3} and np.all(at[rowids == 3] < 100)
    sims = [float(xq[i] @ synth.video(int(r), PER_VIDEO if r < 3 else 100)[int(f)])
            for i, r, f in zip(np.flatnonzero(copies)[:20], rowids[:20], at[:20], strict=True)]
    assert min(sims) > 0.45  # an edited copy stays close to its source frame
    unrelated = xq[~copies][:20] @ synth.video(1, PER_VIDEO).T
    assert unrelated.max() < min(sims) + 0.3


def test_plans_and_extrapolations() -> None:
    assert parse_plan(["faiss:10,100", "milvus-lite:1"]) == [
        ("faiss", 10.0), ("faiss", 100.0), ("milvus-lite", 1.0)]
    for bad in ("faiss", "pinecone:10", "faiss:ten", "faiss:0"):
        with pytest.raises(ConfigError, match="BACKEND:HOURS"):
            parse_plan([bad])
    rows = [{"backend": "faiss", "hours": 10.0, "index": "ivfpq", "build_s": 10.0,
             "memory_mb": 150.0, "latency_p50_s": 0.1, "latency_p95_s": 0.2},
            {"backend": "faiss", "hours": 100.0, "index": "ivfpq", "build_s": 100.0,
             "memory_mb": 600.0, "latency_p50_s": 0.4, "latency_p95_s": 0.8}]
    est = extrapolate(rows, 1000.0)
    assert est["measured"] is False and est["frame_recall"] is None
    assert est["memory_mb"] == pytest.approx(600 + 5 * 900)  # 5 MB per added hour
    assert est["build_s"] == pytest.approx(1000.0)
    assert est["latency_exponent"] == pytest.approx(np.log(4) / np.log(10), abs=1e-3)
    assert est["latency_p50_s"] == pytest.approx(1.6, rel=1e-3)  # 4x per 10x hours
    # the smaller run used another index kind: the largest alone, with its kind's growth
    mixed = extrapolate([{**rows[0], "index": "flat"}, rows[1]], 1000.0)
    assert mixed["extrapolated_from_hours"] == [100.0] and mixed["latency_exponent"] == 0.5
    assert mixed["memory_mb"] == pytest.approx(6000.0)
    assert mixed["latency_p50_s"] == pytest.approx(0.4 * 10 ** 0.5, rel=1e-3)


def test_a_tiny_scale_run_finds_its_planted_copies(tmp_path: Path) -> None:
    plan = [("faiss", 0.05), ("faiss", 0.1)]
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401

        plan.append(("milvus-lite", 0.05))
    except ImportError:
        pass
    doc = run_scale(tmp_path, plan, queries=3, extrapolate_to=[1.0])
    runs = doc["runs"]
    assert [(r["backend"], r["hours"]) for r in runs] == plan
    for r in runs:
        assert r["measured"], r
        assert r["frames"] == round(r["hours"] * 3600)
        assert r["build_s"] > 0 and r["latency_p95_s"] >= r["latency_p50_s"] > 0
        assert r["copied_frames"] > 100 and r["frame_recall"] >= 0.95
        assert r["reference_recall"] >= r["frame_recall"]
    assert [r["index"] for r in runs[:2]] == ["flat", "flat"]
    assert {(e["backend"], e["hours"], e["measured"]) for e in doc["extrapolated"]} == {
        (b, 1.0, False) for b, _ in plan}
    text = format_scale(doc)
    assert "extrapolated" in text and text.count("\n") == len(runs) + len(doc["extrapolated"])
    assert list(tmp_path.iterdir()) == []  # the libraries are built in a temporary folder
