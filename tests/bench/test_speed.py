"""The speed benchmark's parts on tiny inputs: real throughputs and search times, no targets
(speed targets live in `vidtrace bench --speed`, never in tests)."""

from pathlib import Path

import pytest

from tests.conftest import CLIPS
from vidtrace.bench.search import search_latency
from vidtrace.bench.speed import format_speed, run_speed, speed_videos


@pytest.fixture(scope="module")
def clips_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speed-sources")
    for name in ("mdn_flower.mp4", "mdn_friday_1940.mp4"):
        (folder / name).symlink_to(CLIPS / name)
    return folder


def test_speed_report_on_a_tiny_run(clips_folder: Path, tmp_path: Path) -> None:
    doc = run_speed(clips_folder, tmp_path, resolutions=["360p"], search_hours=[0.01, 0.1],
                    seconds=4.0, query_hours=[0.1])
    video = Path(doc["videos"]["360p"])
    assert video.is_file() and video.parent.name == "speed-4s"
    fixed, keyframes = doc["indexing"]
    assert (fixed["sampling"], keyframes["sampling"]) == ("fixed", "keyframes")
    for r in (fixed, keyframes):
        assert r["decode_speed"] > 0 and r["index_speed"] > 0
        assert r["index_vs_decode"] == pytest.approx(r["index_speed"] / r["decode_speed"],
                                                     rel=0.01)
        # CPU time over all threads: indexing decodes and describes, so it costs more than
        # decoding alone, and its wall time cannot beat its CPU time spread over every core
        assert 0 < r["decode_cpu_s"] < r["index_cpu_s"]
        assert r["index_wall_s"] >= r["index_cpu_s"] / doc["cores"] * 0.95
        assert r["index_vs_decode"] <= r["index_vs_decode_cpu_limit"] * 1.05
    # flower (5.1 s) joined to the target: about 5 s at 1 frame/s, key frames fewer
    assert 4 <= fixed["frames"] <= 7 and 1 <= keyframes["frames"] < fixed["frames"]
    assert doc["descriptor"]["fps"] > 0 and doc["descriptor"]["cpu_ms_per_frame"] > 0
    small, search = doc["search"]
    assert small["frames"] == 36 and small["ivfpq_search_s"] is None  # too few to train on
    assert small["hnsw_search_s"] > 0 and small["copy_found_hnsw"] == small["copy_found_exact"]
    assert search["frames"] == 360 and search["exact_search_s"] > 0
    assert search["ivfpq_search_s"] > 0 and search["ivfpq_bytes"] < search["exact_bytes"]
    assert 0 < search["recall_at_10"] <= 1 and search["copy_found_exact"] >= 0.9
    # end to end: the 4 s file indexed, padded with synthetic references to 360 frames, and
    # its edited copy found, warm and by a cold `vidtrace query` process
    (query,) = doc["query"]
    assert query["frames"] == 360 and query["index"] == "flat" and query["found"]
    assert query["describe_s"] > 0 and query["match_s"] > 0 and query["cold_cli_s"] > 0
    assert query["warm_cpu_s"] > 0
    text = format_speed(doc)
    assert "index/decode" in text and "too few frames for ivfpq" in text
    assert "hnsw (M 32, efSearch 128)" in text and "hnsw efSearch:" in text
    assert "CPU limit" in text and "descriptor alone" in text
    # the joined videos are cached: asking again writes nothing new
    before = video.stat().st_mtime_ns
    assert speed_videos(clips_folder, tmp_path, ["360p"], 4.0)["360p"].stat().st_mtime_ns == before


def test_search_latency_holds_the_frames_asked_for() -> None:
    row = search_latency(0.5, 32, 5, repeats=1)
    assert row["frames"] == 1800 and row["exact_bytes"] == 1800 * (32 * 4 + 8)
    assert row["nlist"] == 32 and row["ivfpq_bytes"] < row["exact_bytes"]
    assert row["copy_found_exact"] >= row["copy_found_ivfpq"] >= 0.8
    # hnsw: the full vectors plus the graph, more than flat; its copies found as exact finds them
    assert row["hnsw_bytes"] > row["exact_bytes"] and row["hnsw_build_s"] > 0
    assert row["copy_found_hnsw"] >= 0.95 * row["copy_found_exact"]
    assert (row["hnsw_m"], row["hnsw_ef_construction"], row["ef_search"]) == (32, 64, 128)
    sweep = {e["ef_search"]: e for e in row["hnsw_ef_sweep"]}
    assert sorted(sweep) == [32, 64, 128, 256]  # the default is one of them
    assert sweep[128]["recall_at_10"] == row["hnsw_recall_at_10"]
    assert sweep[256]["recall_at_10"] >= sweep[32]["recall_at_10"] - 0.02


def test_search_only_report_and_its_text() -> None:
    from vidtrace.bench.search import run_speed_search
    from vidtrace.settings import DEFAULT_RUN

    doc = run_speed_search(DEFAULT_RUN.with_changes(descriptor="pdq", ef_search=40), [0.1])
    (row,) = doc["search"]
    assert doc["dim"] == 256 and row["frames"] == 360 and row["ef_search"] == 40
    assert [e["ef_search"] for e in row["hnsw_ef_sweep"]] == [32, 40, 64, 128, 256]
    assert len(doc["load_average_1min"]) == 2 and doc["peak_rss_mb"] > 0
    text = format_speed(doc)
    assert "hnsw (M 32, efSearch 40)" in text and "ivfpq (too few frames" not in text
    assert "descriptor alone" not in text  # the search part only
