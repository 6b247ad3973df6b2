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


def _all_commands() -> list[list[str]]:
    """Every command and sub-command, as the words that name it."""
    import typer.main

    def walk(group: object, prefix: list[str]) -> list[list[str]]:
        found: list[list[str]] = []
        for name, command in sorted(getattr(group, "commands", {}).items()):
            found += walk(command, [*prefix, name]) if hasattr(command, "commands") else [
                [*prefix, name]]
        return found

    return walk(typer.main.get_command(app), [])


def test_help_reads_as_conventional_usage() -> None:
    commands = _all_commands()
    assert ["query"] in commands and ["synth", "query"] in commands
    for words in commands:
        result = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (words, result.output)
        usage = next(line for line in result.output.splitlines() if "Usage:" in line)
        assert "{" not in usage, usage
        for tag in ("<bool>", "<str>", "<int>", "<float>", "<path>", "<list["):
            assert tag not in result.output, (words, tag)
    query = runner.invoke(app, ["query", "--help"], env={"COLUMNS": "200"}).output
    assert "query [OPTIONS] LIB PATHS..." in query
    flag = next(line for line in query.splitlines() if "--json" in line)
    assert flag.split("--json")[1].split()[0] == "One"  # a flag: no type beside it
    threshold = next(line for line in query.splitlines() if "--threshold" in line)
    assert threshold.split("--threshold")[1].split()[0] == "FLOAT"
    stage2 = next(line for line in query.splitlines() if "--stage2" in line)
    assert "lis|interp|hough" in stage2
    missing = runner.invoke(app, ["query"])
    assert missing.exit_code == 2 and "Missing argument 'LIB'" in missing.output
    # the command list gives each command's summary as one sentence, not the docstring's rows
    top = runner.invoke(app, ["--help"], env={"COLUMNS": "300"}).output
    check = next(line for line in top.splitlines() if line.startswith("│ check "))
    assert check.rstrip(" │").endswith("Exit status 1 when something is wrong."), check


def test_info_counts_in_words(reference_library: Path, tmp_path: Path) -> None:
    three = runner.invoke(app, ["info", str(reference_library)])
    assert three.exit_code == 0, three.output
    assert three.stdout.splitlines()[1].startswith("3 reference videos, ")
    lib = tmp_path / "one"
    assert runner.invoke(app, ["index", str(lib), str(FLOWER)]).exit_code == 0
    one = runner.invoke(app, ["info", str(lib)])
    assert one.stdout.splitlines()[1].startswith("1 reference video, ")
    checked = runner.invoke(app, ["check", str(lib)])
    assert checked.exit_code == 0 and ": 1 reference, " in checked.stdout
