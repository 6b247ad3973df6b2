"""The service's load benchmark (vidtrace/bench/service_load.py), at a small size."""

import pytest

from tests.clip_media import FRIDAY, ClipMedia, clip_media
from vidtrace.bench.service_load import run_load_benchmark


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> ClipMedia:
    """tests/clip_media.py's library and queries (built once per session)."""
    return clip_media(tmp_path_factory.getbasetemp() / "clip-media")


def test_load_benchmark_small(media: ClipMedia) -> None:
    pytest.importorskip("uvicorn", reason="the service load benchmark needs the [service] extra")
    report = run_load_benchmark(media.library, [media.two_segment, media.unrelated], [FRIDAY],
                                queries=3, additions=1, workers=2)
    assert report["errors"] == 0, report["error_messages"]
    assert report["consistent"], report["checks"]
    assert set(report["checks"]) == {
        "catalog_has_every_reference", "listed_equals_catalog", "index_holds_every_frame",
        "index_file_matches_catalog", "added_references_found",
        "queries_under_load_equal_queries_alone"}
    assert report["query_latency_s"]["n"] == 3 and report["addition_latency_s"]["n"] == 1
    assert report["query_alone_latency_s"]["n"] == 2
    assert report["query_latency_s"]["p50"] <= report["query_latency_s"]["p95"]
    assert report["library"]["references"] == 3
