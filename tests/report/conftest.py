"""Fixtures of the report tests: the clip media of tests/clip_media.py, and reports of it."""

from pathlib import Path

import pytest

from tests.clip_media import ClipMedia, clip_media
from vidtrace.report import EvidenceReport


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> ClipMedia:
    """tests/clip_media.py's library and queries (built once per session)."""
    return clip_media(tmp_path_factory.getbasetemp() / "clip-media")


@pytest.fixture(scope="session")
def two_segment_report(media: ClipMedia) -> EvidenceReport:
    """The report of `media.two_segment` against `media.library`, thumbnails decoded."""
    from vidtrace.api import Library
    from vidtrace.report import build_report

    with Library.open(media.library) as lib:
        return build_report(lib, media.two_segment)


@pytest.fixture(scope="session")
def unrelated_report(media: ClipMedia) -> EvidenceReport:
    """The report of `media.unrelated` (no copy) against `media.library`."""
    from vidtrace.api import Library
    from vidtrace.report import build_report

    with Library.open(media.library) as lib:
        return build_report(lib, media.unrelated)


@pytest.fixture(scope="session")
def report_files(two_segment_report: EvidenceReport, unrelated_report: EvidenceReport,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both reports rendered to HTML files: {"two_segment": path, "unrelated": path}."""
    from vidtrace.report import render_html

    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for name, report in (("two_segment", two_segment_report), ("unrelated", unrelated_report)):
        out[name] = folder / f"{name}.html"
        out[name].write_text(render_html(report), encoding="utf-8")
    return out
