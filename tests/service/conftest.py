"""Fixtures of the service tests: the clip media, a copy of its library per test, a client."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clip_media import ClipMedia, clip_media
from tests.service.helpers import TOKEN

LIMIT = 5_000_000  # bytes: --max-upload of the test apps (the clips are all under 1 MB)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> ClipMedia:
    """tests/clip_media.py's library and queries (built once per session)."""
    return clip_media(tmp_path_factory.getbasetemp() / "clip-media")


@pytest.fixture
def service_library(media: ClipMedia, tmp_path: Path) -> Path:
    """A copy of `media.library` that the test may change."""
    return Path(shutil.copytree(media.library, tmp_path / "library"))


@pytest.fixture
def client(service_library: Path) -> Iterator["object"]:
    """FastAPI's test client of the service on `service_library` (token TOKEN, uploads up to
    LIMIT bytes), started and stopped around the test."""
    pytest.importorskip("fastapi", reason="the service tests need the [service] extra")
    from fastapi.testclient import TestClient

    from vidtrace.service.app import create_app

    with TestClient(create_app(service_library, TOKEN, max_upload=LIMIT)) as c:
        yield c
