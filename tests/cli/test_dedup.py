"""`vidtrace dedup` on a small folder made from the shipped clips: human output, --json, a
kept library, a file that is not a video."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import CLIPS
from vidtrace.cli.main import app
from vidtrace.dedup import DEFAULT_MIN_DURATION_S, ORIGINAL_RULE
from vidtrace.synth import CopyPiece, Crop, FillerPiece, compose_query

runner = CliRunner()
BUNNY = CLIPS / "big_buck_bunny_0-30s.webm"


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """original.mp4: big_buck_bunny 10-18 s; crop.mp4: bunny 12-17 s cropped to its middle
    80 %; same.mp4: the bytes of original.mp4 (written after it); sub/highway.mp4: 6 s of
    udacity_highway_lanes (shares nothing). All at 8 frames/s, short side 240 px."""
    folder = tmp_path_factory.mktemp("dedup-cli") / "videos"
    (folder / "sub").mkdir(parents=True)
    kw = {"fps": 8.0, "short_side": 240}
    compose_query([CopyPiece(BUNNY, 10.0, 18.0)], folder / "original.mp4", **kw)
    compose_query([CopyPiece(BUNNY, 12.0, 17.0)], folder / "crop.mp4",
                  edits=[Crop(0.1, 0.1, 0.9, 0.9)], **kw)
    shutil.copy(folder / "original.mp4", folder / "same.mp4")
    compose_query([FillerPiece(CLIPS / "udacity_highway_lanes.mp4", 0.0, 6.0)],
                  folder / "sub" / "highway.mp4", **kw)
    return folder


def test_json_pairs_groups_and_a_kept_library(small_folder: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    first = runner.invoke(app, ["dedup", str(small_folder), "--lib", str(lib), "--json"])
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert doc["videos"] == 4 and doc["described"] == 3  # same.mp4 is original.mp4's bytes
    assert doc["min_duration"] == DEFAULT_MIN_DURATION_S and doc["failed"] == []
    pairs = {(Path(p["a"]).name, Path(p["b"]).name): p for p in doc["pairs"]}
    assert set(pairs) == {("crop.mp4", "original.mp4"), ("crop.mp4", "same.mp4"),
                          ("original.mp4", "same.mp4")}
    same = pairs["original.mp4", "same.mp4"]
    assert same["identical"] and same["a_start"] == 0.0 and same["score"] == 1.0
    crop = pairs["crop.mp4", "original.mp4"]
    truth = (0.0, 5.0, 2.0, 7.0)  # crop 0-5 s is original 2-7 s
    got = (crop["a_start"], crop["a_end"], crop["b_start"], crop["b_end"])
    assert max(abs(g - t) for g, t in zip(got, truth, strict=True)) <= 1.0, got
    assert 0.9 <= crop["speed"] <= 1.1 and not crop["identical"]
    (group,) = doc["groups"]
    assert Path(group["original"]).name == "original.mp4"  # same.mp4 is newer
    assert group["rule"] == doc["original_rule"] == ORIGINAL_RULE
    assert sorted(Path(m["video"]).name for m in group["members"]) == [
        "crop.mp4", "original.mp4", "same.mp4"]
    again = runner.invoke(app, ["dedup", str(small_folder), "--lib", str(lib), "--json"])
    assert again.exit_code == 0, again.output
    redo = json.loads(again.stdout)
    assert redo["described"] == 0 and redo["pairs"] == doc["pairs"]


def test_human_output_and_a_file_that_is_not_a_video(small_folder: Path, tmp_path: Path
                                                     ) -> None:
    folder = Path(shutil.copytree(small_folder, tmp_path / "videos"))
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    result = runner.invoke(app, ["dedup", str(folder), "--min-duration", "4"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("4 videos: 3 overlaps of at least 4 s in 1 group, 1 sharing "
                               "nothing (described 3 new videos in ")
    crop_line = next(line for line in lines if "crop.mp4" in line and "<->" in line
                     and "original.mp4" in line)
    assert "score " in crop_line and ("speed 1.0" in crop_line or "speed 0.9" in crop_line)
    assert any("identical files" in line for line in lines)
    assert lines[-5] == f"group 1: 3 videos, suggested original {folder / 'original.mp4'}"
    assert lines[-1] == f"original: {ORIGINAL_RULE}"
    assert "broken.mp4" in result.stderr and "error:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_video_in_the_paths(tmp_path: Path) -> None:
    result = runner.invoke(app, ["dedup", str(tmp_path)])
    assert result.exit_code == 1
    assert "no video files found" in result.stderr
