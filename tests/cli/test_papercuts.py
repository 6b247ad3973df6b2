"""What a new user trips over (issue 23): messages, summaries and help that say what happened."""

import os
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import CLIPS
from vidtrace.cli.main import app

runner = CliRunner()
FLOWER = CLIPS / "mdn_flower.mp4"


def test_index_with_nothing_new_says_so(reference_library: Path,
                                        reference_videos: dict[str, Path]) -> None:
    result = runner.invoke(app, ["index", str(reference_library), str(reference_videos["ref_c"])])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("nothing new to add, 1 unchanged, 0 failed -> ")
    assert "0 added" not in result.stdout and "0.0x real time" not in result.stdout


def test_wrong_paths_say_what_they_are(reference_library: Path, tmp_path: Path) -> None:
    loop_a, loop_b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    os.symlink(loop_b, loop_a)
    os.symlink(loop_a, loop_b)
    query = runner.invoke(app, ["query", str(reference_library), str(loop_a)])
    assert query.exit_code == 1
    assert "a.mp4: is a symbolic link that leads nowhere (a loop, or its target is gone)" in (
        query.stderr)
    as_lib = runner.invoke(app, ["info", str(FLOWER)])
    assert as_lib.exit_code == 1
    assert "mdn_flower.mp4: is a file, not a library folder" in as_lib.stderr
    dangling = runner.invoke(app, ["info", str(loop_a)])
    assert "is a symbolic link that leads nowhere" in dangling.stderr


def test_query_over_several_files_ends_with_a_summary(reference_library: Path,
                                                      reference_videos: dict[str, Path],
                                                      tmp_path: Path) -> None:
    files = [reference_videos["ref_c"], CLIPS / "mdn_stream_of_water.webm",
             tmp_path / "missing.mp4"]
    text = runner.invoke(app, ["query", str(reference_library), *map(str, files)])
    assert text.exit_code == 1
    last = text.stdout.strip().splitlines()[-1]
    assert last.startswith("3 queries: 1 with copied segments (")
    assert last.split(", ")[1:3] == ["1 without", "1 failed"] and last.endswith(" s")
    as_json = runner.invoke(app, ["query", str(reference_library), *map(str, files), "--json"])
    assert all(line.startswith("{") for line in as_json.stdout.splitlines())
    assert "3 queries: 1 with copied segments" in as_json.stderr
