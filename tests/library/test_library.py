"""The reference library on real clips: round trip, idempotence, atomicity, version checks."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS
from vidtrace.api import Library
from vidtrace.errors import LibraryError, VideoError
from vidtrace.library.index import FrameIndex
from vidtrace.settings import DEFAULT_LIBRARY
from vidtrace.types import QueryTruth

REFS = [CLIPS / "big_buck_bunny_0-30s.webm", CLIPS / "mdn_flower.mp4",
        CLIPS / "mdn_friday_1940.mp4"]


@pytest.fixture(scope="session")
def clip_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of three shipped clips (bunny 30 s, flower 5 s, friday 6 s) at 1 frame/s."""
    folder = tmp_path_factory.mktemp("libs") / "clips"
    with Library.create(folder) as lib:
        lib.add(REFS)
    return folder


@pytest.fixture
def library_copy(clip_library: Path, tmp_path: Path) -> Path:
    """A private copy of clip_library that a test may change."""
    return Path(shutil.copytree(clip_library, tmp_path / "lib"))


def state(folder: Path) -> tuple[list[tuple[str, str, int]], int]:
    with Library.open(folder) as lib:
        videos = [(v.video_id, v.content_hash, v.n_frames) for v in lib.videos()]
        return videos, lib.store.index.ntotal


def test_round_trip_add_reopen_query_remove(library_copy: Path) -> None:
    videos, ntotal = state(library_copy)
    assert [v[0] for v in videos] == ["big_buck_bunny_0-30s", "mdn_flower", "mdn_friday_1940"]
    assert ntotal == sum(v[2] for v in videos) == 30 + 5 + 7
    with Library.open(library_copy) as lib:
        (m,) = lib.query(CLIPS / "mdn_friday_1940.mp4")
        assert m.ref_id == "mdn_friday_1940" and m.score > 0.8
        assert m.query_start < 0.5 and abs(m.query_end - 6.2) < 0.6
        assert abs(m.ref_start - m.query_start) < 0.6 and abs(m.ref_end - m.query_end) < 0.6
        lib.remove("mdn_friday_1940")
    with Library.open(library_copy) as lib:
        assert [v.video_id for v in lib.videos()] == ["big_buck_bunny_0-30s", "mdn_flower"]
        assert lib.store.index.ntotal == 35
        assert lib.query(CLIPS / "mdn_friday_1940.mp4") == []


def test_same_content_is_a_no_op_and_a_taken_id_is_refused(library_copy: Path) -> None:
    before = state(library_copy)
    with Library.open(library_copy) as lib:
        (r,) = lib.add([CLIPS / "mdn_flower.mp4"], ["another-name"])
        assert r.status == "unchanged" and r.video_id == "mdn_flower"
        with pytest.raises(LibraryError, match="already used"):
            lib.add([CLIPS / "udacity_highway_lanes.mp4"], ["mdn_flower"])
    assert state(library_copy) == before


@pytest.mark.parametrize(
    "fixture", ["truncated_mp4", "text_file_as_video", "empty_file", "zero_length_mkv",
                "audio_only_webm"])
def test_bad_input_leaves_library_unchanged(fixture: str, library_copy: Path,
                                            request: pytest.FixtureRequest) -> None:
    before = state(library_copy)
    path = request.getfixturevalue(fixture)
    with Library.open(library_copy) as lib:
        with pytest.raises(VideoError, match=str(path)):
            lib.add([path])
        with pytest.raises(VideoError, match=str(path)):
            lib.query(path)
    assert state(library_copy) == before


def test_crash_while_describing_keeps_previous_library(library_copy: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    before = state(library_copy)
    index_files = sorted(p.name for p in library_copy.glob("index-*.faiss"))

    def crash(self: object, frames: np.ndarray) -> np.ndarray:
        raise KeyboardInterrupt  # like Ctrl-C in the middle of a file

    with Library.open(library_copy) as lib:
        monkeypatch.setattr(type(lib.descriptor), "describe", crash)
        with pytest.raises(KeyboardInterrupt):
            lib.add([CLIPS / "udacity_highway_lanes.mp4"])
    monkeypatch.undo()
    assert state(library_copy) == before
    assert sorted(p.name for p in library_copy.glob("index-*.faiss")) == index_files


def test_crash_before_index_write_is_repaired_on_open(library_copy: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: object, folder: Path, generation: int) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(FrameIndex, "save", crash)
    with Library.open(library_copy) as lib, pytest.raises(KeyboardInterrupt):
        lib.add([CLIPS / "mdn_stream_of_water.webm"])
    monkeypatch.undo()
    # the catalog committed the video; the stale index file is detected and rebuilt
    with Library.open(library_copy) as lib:
        assert lib.store.index.ntotal == 42 + 3
        (m,) = lib.query(CLIPS / "mdn_stream_of_water.webm")
        assert m.ref_id == "mdn_stream_of_water"


def test_other_format_version_is_refused(library_copy: Path) -> None:
    manifest = library_copy / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["version"] = 99
    manifest.write_text(json.dumps(doc))
    with pytest.raises(LibraryError, match="format version 99 is not supported"):
        Library.open(library_copy)


def test_other_descriptor_version_is_refused(library_copy: Path) -> None:
    manifest = library_copy / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["descriptor_version"] = "sscd/some-other-model"
    manifest.write_text(json.dumps(doc))
    with Library.open(library_copy) as lib, pytest.raises(LibraryError, match="rebuild"):
        lib.query(CLIPS / "mdn_flower.mp4")


def test_not_a_library() -> None:
    with pytest.raises(LibraryError, match="no such library folder"):
        Library.open("/nonexistent/lib")
    with pytest.raises(LibraryError, match="not a vidtrace library"):
        Library.open(CLIPS)


def test_create_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "holiday.mp4").write_bytes(b"not ours")
    with pytest.raises(LibraryError, match="folder with other files"):
        Library.create(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holiday.mp4"]


def test_create_clears_what_a_killed_creator_left(tmp_path: Path) -> None:
    """A `.lib.creating-PID` folder of a process that is gone is removed by the next create;
    one of a live process (this test's parent) is left to it."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f".lib.creating-{int(gone.stdout)}"
    live = tmp_path / f".lib.creating-{os.getppid()}"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "manifest.json").write_text("{}")
    Library.create(tmp_path / "lib").close()
    assert not dead.exists() and live.exists()


def test_library_goes_flat_hnsw_ivfpq_as_it_grows(reference_videos: dict[str, Path],
                                                  scaled_bordered_copy: QueryTruth,
                                                  media_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # the thresholds scaled down so three short references at 4 frames/s cross them: flat
    # below 200 frames, hnsw up to 400, ivfpq beyond (ref_c 115, ref_a 212, ref_b 166 frames)
    from vidtrace.library import index as index_module

    monkeypatch.setattr(index_module, "FLAT_MAX_FRAMES", 200)
    monkeypatch.setattr(index_module, "HNSW_MAX_BYTES", index_module.hnsw_bytes(400, 512) + 1)
    monkeypatch.setattr(index_module, "IVF_MIN_TRAIN", 256)
    folder = tmp_path / "lib"
    with Library.create(folder, DEFAULT_LIBRARY.with_changes(index_fps=4.0)) as lib:
        lib.add([reference_videos["ref_c"]])
        assert lib.store.index.kind == "flat" and lib.store.index.ntotal < 200
        lib.add([reference_videos["ref_a"]])
        assert lib.store.index.kind == "hnsw" and 200 <= lib.store.index.ntotal <= 400
        assert lib.query(media_dir / scaled_bordered_copy.query)[0].ref_id == "ref_a"
        lib.add([reference_videos["ref_b"]])
        assert lib.store.index.kind == "ivfpq" and lib.store.index.ntotal == sum(
            v.n_frames for v in lib.videos()) > 400
    with Library.open(folder) as lib:
        assert lib.store.index.kind == "ivfpq"  # the saved file, not a rebuild
        matches = lib.query(media_dir / scaled_bordered_copy.query)
        assert matches and matches[0].ref_id == "ref_a"
        m = matches[0]
        assert abs(m.query_start - 4.0) < 2.5 and abs(m.ref_start - 20.0) < 2.5
        assert abs(m.ref_end - 40.0) < 2.5
        lib.remove("ref_b")  # back to 327 frames: the hnsw range
    with Library.open(folder) as lib:
        assert lib.store.index.kind == "hnsw" and lib.store.index.ntotal == sum(
            v.n_frames for v in lib.videos())
        assert lib.query(media_dir / scaled_bordered_copy.query)[0].ref_id == "ref_a"


def test_hnsw_library_finds_the_copy_and_adds_without_rebuilding(
        reference_videos: dict[str, Path], scaled_bordered_copy: QueryTruth, media_dir: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vidtrace.library import folder as folder_module

    folder = tmp_path / "lib"
    with Library.create(folder, DEFAULT_LIBRARY.with_changes(index_type="hnsw")) as lib:
        lib.add([reference_videos["ref_a"], reference_videos["ref_b"]])
        assert lib.store.index.kind == "hnsw"
    builds: list[str] = []
    real_build = folder_module.build_index

    def counted(*args: object, **kwargs: object) -> FrameIndex:
        builds.append(str(args[2]))
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(folder_module, "build_index", counted)
    with Library.open(folder) as lib:
        assert lib.store.index.kind == "hnsw"  # the saved graph
        (m,) = lib.query(media_dir / scaled_bordered_copy.query)
        assert m.ref_id == "ref_a" and abs(m.query_start - 4.0) < 2.5
        assert abs(m.ref_start - 20.0) < 2.5 and abs(m.ref_end - 40.0) < 2.5
        lib.add([reference_videos["ref_c"]])  # inserted into the saved graph
        assert builds == [] and lib.store.index.ntotal == sum(v.n_frames for v in lib.videos())
        found = lib.query(reference_videos["ref_c"])
        assert found and found[0].ref_id == "ref_c" and found[0].score > 0.8
        lib.remove("ref_b")  # a graph cannot drop frames: rebuilt from the catalog
        assert builds == ["hnsw"]
    with Library.open(folder) as lib:
        assert lib.store.index.kind == "hnsw" and lib.store.index.ntotal == sum(
            v.n_frames for v in lib.videos())
        assert [v.video_id for v in lib.videos()] == ["ref_a", "ref_c"]
        assert lib.query(media_dir / scaled_bordered_copy.query)[0].ref_id == "ref_a"
        assert lib.query(reference_videos["ref_c"])[0].ref_id == "ref_c"
    assert builds == ["hnsw"]  # reopened from the saved file


def test_parallel_add_matches_serial_add(clip_library: Path, tmp_path: Path,
                                         text_file_as_video: Path) -> None:
    # two worker processes describe the files; this process writes the library
    twin = tmp_path / "flower-again.mp4"
    shutil.copy(REFS[1], twin)  # same content under another name: a no-op, like serial add
    errors: list[Path] = []
    folder = tmp_path / "lib"
    with Library.create(folder) as lib:
        results = lib.add([*REFS, text_file_as_video, twin], jobs=2,
                          on_error=lambda p, e: errors.append(p))
        assert errors == [text_file_as_video]
        statuses = sorted((r.video_id, r.status.value) for r in results)
        assert statuses == sorted([("big_buck_bunny_0-30s", "added"), ("mdn_flower", "added"),
                                   ("mdn_friday_1940", "added"), ("mdn_flower", "unchanged")])
    with Library.open(folder) as par, Library.open(clip_library) as ser:
        # committed in the order the workers finish
        pv = sorted(par.videos(), key=lambda v: v.video_id)
        sv = sorted(ser.videos(), key=lambda v: v.video_id)
        assert [(v.video_id, v.content_hash, v.n_frames) for v in pv] == [
            (v.video_id, v.content_hash, v.n_frames) for v in sv]
        for a, b in zip(pv, sv, strict=True):
            ta, va = par.store.frames(a.key)
            tb, vb = ser.store.frames(b.key)
            assert np.array_equal(ta, tb) and np.abs(va - vb).max() < 2e-2
        assert par.store.index.ntotal == ser.store.index.ntotal
        (m,) = par.query(CLIPS / "mdn_friday_1940.mp4")
        assert m.ref_id == "mdn_friday_1940"
