"""The arrows of docs/architecture.md, read from the source: a room imports only rooms before
it, and modules stay small."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vidtrace"

# What each room may import from vidtrace (besides the shared modules below).
ALLOWED: dict[str, set[str]] = {
    "video": set(),
    "audio": set(),
    "descriptors": {"video"},
    "library": {"descriptors", "video", "audio"},
    "retrieve": set(),
    "align": set(),
    "match": {"library", "retrieve", "align", "descriptors", "video", "audio"},
    "evaluate": set(),
    "synth": {"video", "audio"},
    "learn": {"descriptors", "synth", "video"},
    "formats": {"evaluate"},
    # above the API: the evidence page reads a trace (match) and the store's frames; the
    # service drives the API and the report (video: probing an upload's length for progress)
    "report": {"api", "match", "library", "video", "descriptors"},
    # dedup queries each reference's stored frames with the matcher against the store seen
    # without it (library's ReadStore), through the API's library
    "dedup": {"api", "match", "library", "video"},
    "service": {"api", "report", "video", "dedup"},
}
SHARED = {"types", "settings", "errors", "fsutil", "groundtruth", "linked"}
MAX_LINES = 450


def _imports(path: Path) -> set[str]:
    """The vidtrace rooms (first component after `vidtrace.`) a module imports."""
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        rooms |= {n.split(".")[1] for n in names if n.startswith("vidtrace.")}
    return rooms


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_a_room_imports_only_rooms_before_it(room: str) -> None:
    wrong = {}
    for path in sorted((PACKAGE / room).rglob("*.py")):
        bad = _imports(path) - ALLOWED[room] - SHARED - {room}
        if bad:
            wrong[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert wrong == {}


def test_the_metrics_import_nothing_but_records() -> None:
    for path in (PACKAGE / "evaluate").rglob("*.py"):
        assert _imports(path) <= {"evaluate", "types", "errors", "groundtruth"}, path


def test_the_api_is_a_thin_facade() -> None:
    assert len((PACKAGE / "api.py").read_text().splitlines()) <= 170


def test_no_module_is_a_house_of_its_own() -> None:
    big = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert big == {}
