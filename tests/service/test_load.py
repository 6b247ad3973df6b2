"""The service's load benchmark (vidtrace/service/load.py), at a small size."""

from tests.clip_media import FRIDAY, ClipMedia
from vidtrace.service.load import run_load_benchmark


def test_load_benchmark_small(media: ClipMedia) -> None:
    report = run_load_benchmark(media.library, [media.two_segment, media.unrelated], [FRIDAY],
                                queries=3, additions=1, workers=2)
    assert report["errors"] == 0, report["error_messages"]
    assert report["consistent"], report["checks"]
    assert report["query_latency_s"]["n"] == 3 and report["addition_latency_s"]["n"] == 1
    assert report["query_alone_latency_s"]["n"] == 2
    assert report["query_latency_s"]["p50"] <= report["query_latency_s"]["p95"]
    assert report["library"]["references"] == 3
