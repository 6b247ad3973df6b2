"""The command line on real footage: JSON lines, errors, exit codes."""

import json
import math
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import CLIPS, fresh_python
from vidtrace.api import Library
from vidtrace.cli.main import app
from vidtrace.groundtruth import write_ground_truth
from vidtrace.types import QueryTruth

runner = CliRunner()


def test_query_json_lines_with_error_and_exit_status(reference_library: Path,
                                                     reference_videos: dict[str, Path]) -> None:
    result = runner.invoke(app, ["query", str(reference_library), str(reference_videos["ref_b"]),
                                 "missing.mp4", str(CLIPS / "mdn_flower.mp4"), "--json"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [row["query"] for row in lines] == [str(reference_videos["ref_b"]), "missing.mp4",
                                               str(CLIPS / "mdn_flower.mp4")]
    first = lines[0]
    assert set(first) == {"query", "matches"}
    best = first["matches"][0]
    assert list(best) == ["reference", "query_start", "query_end", "reference_start",
                          "reference_end", "score", "evidence", "frames"]
    assert best["reference"] == "ref_b" and all(
        isinstance(best[k], float) for k in list(best)[1:6]) and best["evidence"] == ["video"]
    # a whole reference queried: every query frame it sampled matched along the segment
    assert best["frames"] >= 0.9 * 2 * (best["query_end"] - best["query_start"]) - 1
    scores = [m["score"] for m in first["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert lines[1] == {"query": "missing.mp4",
                        "error": "missing.mp4: no such file; check the path"}
    assert lines[2] == {"query": str(CLIPS / "mdn_flower.mp4"), "matches": []}


def test_errors_print_file_names_verbatim(reference_library: Path, tmp_path: Path) -> None:
    # messages go through rich: a "[...]" in a file name must stay text, not become markup
    odd = tmp_path / "clip [copy].mp4"
    result = runner.invoke(app, ["query", str(reference_library), str(odd)],
                           env={"COLUMNS": "400"})
    assert result.exit_code == 1
    assert f"error: {odd}: no such file; check the path" in result.output
    named = tmp_path / "flower [copy].mp4"
    shutil.copy(CLIPS / "mdn_flower.mp4", named)
    ok = runner.invoke(app, ["query", str(reference_library), str(named)], env={"COLUMNS": "400"})
    assert ok.exit_code == 0 and f"{named}: no copied segment found" in ok.output


def test_index_reports_bad_files_and_keeps_going(tmp_path: Path, text_file_as_video: Path) -> None:
    lib = tmp_path / "lib"
    result = runner.invoke(app, ["index", str(lib), str(CLIPS / "mdn_flower.mp4"),
                                 str(text_file_as_video)])
    assert result.exit_code == 1
    assert f"error: {text_file_as_video}: cannot be read as a video" in result.output
    assert "1 added" in result.output and "1 failed" in result.output
    info = runner.invoke(app, ["info", str(lib), "--json"])
    assert info.exit_code == 0
    doc = json.loads(info.stdout)
    assert [v["id"] for v in doc["references"]] == ["mdn_flower"]
    again = runner.invoke(app, ["index", str(lib), str(CLIPS / "mdn_flower.mp4")])
    assert again.exit_code == 0
    assert "nothing new to add" in again.output and "1 unchanged" in again.output
    gone = runner.invoke(app, ["remove", str(lib), "mdn_flower"])
    assert gone.exit_code == 0 and "removed mdn_flower" in gone.output
    missing = runner.invoke(app, ["remove", str(lib), "mdn_flower"])
    assert missing.exit_code == 1 and "no reference video with id 'mdn_flower'" in missing.output


def test_id_option_names_the_reference(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    result = runner.invoke(app, ["index", str(lib), str(CLIPS / "mdn_flower.mp4"),
                                 "--id", "flower-original"])
    assert result.exit_code == 0
    doc = json.loads(runner.invoke(app, ["info", str(lib), "--json"]).stdout)
    assert [v["id"] for v in doc["references"]] == ["flower-original"]


def test_not_a_library_is_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", str(tmp_path / "nope"), str(CLIPS / "mdn_flower.mp4")])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no such library folder" in result.output


def test_settings_of_an_existing_library_cannot_change(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    assert runner.invoke(app, ["index", str(lib), str(CLIPS / "mdn_flower.mp4")]).exit_code == 0
    result = runner.invoke(app, ["index", str(lib), str(CLIPS / "mdn_friday_1940.mp4"),
                                 "--fps", "2"])
    assert result.exit_code == 1
    assert "was built with index_fps = 1.0, not 2.0" in result.output


def test_calibrate_stores_a_threshold_between_copies_and_others(
    reference_library: Path, scaled_bordered_copy: QueryTruth, unrelated_query: Path,
    media_dir: Path, tmp_path: Path,
) -> None:
    lib = Path(shutil.copytree(reference_library, tmp_path / "lib"))
    gt = media_dir / "calibration.json"
    negative = QueryTruth(unrelated_query.name, 18.0, ())
    write_ground_truth(gt, [scaled_bordered_copy, negative])
    result = runner.invoke(app, ["calibrate", str(lib), str(gt)])
    assert result.exit_code == 0, result.output
    assert "F1@3s 1.000" in result.output and "negative FPR 0.000" in result.output
    with Library.open(lib) as opened:
        stored = opened.query_defaults.match_threshold
        rule = opened.query_defaults.threshold()
        copy = opened.query(media_dir / scaled_bordered_copy.query, threshold=-math.inf)
        other = opened.query(unrelated_query, threshold=-math.inf)
    # the stored threshold (by matched frames, up to the short one) keeps the copy's match
    # and drops every match of the unrelated query
    assert rule.long == stored and rule.short == 0.42 and copy[0].frames > 0
    assert rule.keeps(copy[0].score, copy[0].frames)
    assert not any(rule.keeps(m.score, m.frames) for m in other)
    assert json.loads((lib / "manifest.json").read_text())["query"]["match_threshold"] == stored


def test_query_strategy_options_are_checked(reference_library: Path,
                                            reference_videos: dict[str, Path]) -> None:
    bad = runner.invoke(app, ["query", str(reference_library), str(reference_videos["ref_c"]),
                              "--stage2", "dtw"], env={"COLUMNS": "200"})
    assert bad.exit_code != 0
    assert ("Invalid value for '--stage2': Value error, 'dtw' is not one of 'lis', 'interp', "
            "'hough'") in _unwrapped(bad.output)
    ok = runner.invoke(app, ["query", str(reference_library), str(reference_videos["ref_c"]),
                             "--json", "--stage1", "bipartite", "--stage2", "hough"])
    assert ok.exit_code == 0
    (row,) = [json.loads(line) for line in ok.stdout.splitlines() if line.startswith("{")]
    assert row["matches"][0]["reference"] == "ref_c"


def test_every_command_prints_its_help() -> None:
    # help text is rendered as rich markup: a stray "[...]" once made `bench --help` crash
    import typer.main

    commands = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert {"index", "query", "bench"} <= set(commands)
    for name in commands:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        assert "--help" in result.output
    bench = runner.invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})
    assert "DESCRIPTOR[:INDEX_SAMPLING[/QUERY_SAMPLING]]" in _unwrapped(bench.output)
    assert "needs the [train] extra" in _unwrapped(bench.output)
    index = _unwrapped(runner.invoke(app, ["index", "--help"], env={"COLUMNS": "200"}).output)
    assert "[default: fixed]" in index and "[default: auto]" in index


def _unwrapped(help_text: str) -> str:
    """Help text with rich's box borders and line wrapping folded into single spaces."""
    return re.sub(r"[\s│]+", " ", help_text)


def test_index_type_ivfpq_info_and_nprobe(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    bunny = CLIPS / "big_buck_bunny_0-30s.webm"
    made = runner.invoke(app, ["index", str(lib), str(bunny), "--fps", "10",
                               "--index-type", "ivfpq"])
    assert made.exit_code == 0, made.output
    info = runner.invoke(app, ["info", str(lib)], env={"COLUMNS": "200"})
    assert "index: ivfpq with 7 lists, 300 vectors (index_type ivfpq)" in info.output
    found = runner.invoke(app, ["query", str(lib), str(bunny), "--json", "--nprobe", "2"])
    (row,) = [json.loads(line) for line in found.stdout.splitlines() if line.startswith("{")]
    assert row["matches"][0]["reference"] == "big_buck_bunny_0-30s"
    bad = runner.invoke(app, ["index", str(tmp_path / "other"), str(bunny),
                              "--index-type", "annoy"], env={"COLUMNS": "200"})
    assert bad.exit_code == 2 and "'annoy' is not one of 'auto', 'flat', 'hnsw', 'ivfpq'" in (
        _unwrapped(bad.output))


def test_index_type_hnsw_info_and_ef_search(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    bunny = CLIPS / "big_buck_bunny_0-30s.webm"
    made = runner.invoke(app, ["index", str(lib), str(bunny), "--fps", "4",
                               "--index-type", "hnsw"])
    assert made.exit_code == 0, made.output
    info = runner.invoke(app, ["info", str(lib)], env={"COLUMNS": "200"})
    assert "index: hnsw, 120 vectors (index_type hnsw)" in info.output
    found = runner.invoke(app, ["query", str(lib), str(bunny), "--json", "--ef-search", "16"])
    (row,) = [json.loads(line) for line in found.stdout.splitlines() if line.startswith("{")]
    assert row["matches"][0]["reference"] == "big_buck_bunny_0-30s"
    bad = runner.invoke(app, ["query", str(lib), str(bunny), "--ef-search", "0"])
    assert bad.exit_code != 0 and "ef_search must lie in [1, 65536], got 0" in bad.output


def test_query_process_leaves_scipy_unimported(reference_library: Path,
                                               reference_videos: dict[str, Path]) -> None:
    """A default `vidtrace query` finds its copy without importing scipy (about 0.7 s of a cold
    call, needed only by the bipartite ranking)."""
    code = ("import sys\n"
            "from typer.testing import CliRunner\n"
            "from vidtrace.cli.main import app\n"
            "r = CliRunner().invoke(app, ['query', sys.argv[1], sys.argv[2], '--json'])\n"
            "print(r.stdout.splitlines()[-1])\n"
            "print('scipy' in sys.modules)\n")
    stdout = fresh_python(code, str(reference_library), str(reference_videos["ref_c"]))
    row, imported = stdout.strip().splitlines()[-2:]
    assert json.loads(row)["matches"][0]["reference"] == "ref_c"
    assert imported == "False"
