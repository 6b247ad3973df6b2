"""Schema fuzzing of the service (schemathesis) on a live server at 127.0.0.1: requests made
from its OpenAPI schema, fitting it and not, must never get a server error, and fitting ones
must get the responses the schema documents.

Bounded: MAX_EXAMPLES cases per operation and generation mode (7 operations x 2 modes),
derandomized so a run is repeatable. Marked slow (about a minute); `pytest -m "not slow"`
leaves it out. schemathesis's pytest plugin (`schema.parametrize`) does not run under pytest 9
(it sets `Function._nodeid`), so the cases are drawn with hypothesis directly.
"""

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clip_media import ClipMedia
from tests.service.helpers import AUTH, TOKEN

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (dev extra)")

MAX_EXAMPLES = 30
OPERATIONS = 8


@pytest.fixture(scope="module")
def served(media: ClipMedia, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service on a copy of the clip library, on 127.0.0.1 at a free port (uploads of
    up to 1 MB)."""
    from vidtrace.service.app import create_app
    from vidtrace.service.live import live_server

    library = Path(shutil.copytree(media.library, tmp_path_factory.mktemp("fuzz") / "library"))
    with live_server(create_app(library, TOKEN, max_upload=1_000_000)) as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_request_gets_a_server_error(served: str, mode: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation.modes import GenerationMode

    schema = schemathesis.openapi.from_url(f"{served}/openapi.json", headers=AUTH, timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == OPERATIONS
    statuses: Counter[int] = Counter()
    # fitting requests: every default check (status codes, content types and bodies as
    # documented); wrong ones: only "no server error", since a multipart field cannot carry a
    # type (schemathesis's `id: false` arrives as the valid id "false")
    checks = None if mode == "positive" else [not_a_server_error]
    for operation in operations:

        @given(case=operation.as_strategy(GenerationMode(mode)))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call_and_validate(base_url=served, headers=AUTH,
                                              checks=checks, timeout=60)
            statuses[response.status_code] += 1

        try:
            call()
        except Unsatisfiable:  # negative mode: an operation without inputs has no wrong ones
            assert mode == "negative", operation.label
    assert sum(statuses.values()) >= OPERATIONS * 5, statuses
    assert not any(code >= 500 for code in statuses), statuses
    codes = dict(sorted(statuses.items()))
    print(f"{mode}: {sum(statuses.values())} requests, status codes {codes}")
