"""The VSC 2022 descriptor-track .npz: layout, round trip, the older layouts it reads, errors."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import VidtraceError
from vidtrace.formats.descriptors import (
    frame_intervals,
    read_vsc_descriptors,
    vsc_limits,
    write_vsc_descriptors,
)
from vidtrace.types import FrameSet

RNG = np.random.default_rng(7)
QUERY = FrameSet("Q100001", np.array([0.0, 1.0, 2.0]),
                 RNG.standard_normal((3, 8)).astype(np.float32), 2.5)
REF = FrameSet("R200012", np.array([0.5, 1.0, 1.5, 2.0]),
               RNG.standard_normal((4, 8)).astype(np.float32), 9.0)


def test_layout_is_three_flat_arrays(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    assert write_vsc_descriptors(path, [QUERY, REF]) == 7
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["features", "timestamps", "video_ids"]
        assert data["video_ids"].tolist() == ["Q100001"] * 3 + ["R200012"] * 4
        assert data["video_ids"].dtype.kind == "U"
        assert data["features"].dtype == np.float32 and data["features"].shape == (7, 8)
        np.testing.assert_array_equal(data["features"], np.concatenate([QUERY.vectors,
                                                                        REF.vectors]))
        # each frame lasts to the next sample; the last one step (the median gap) more, cut at
        # the video's end: Q's 2.0 + 1.0 -> 2.5 (its end); R's 2.0 + 0.5 = 2.5 (ends at 9.0)
        np.testing.assert_array_equal(data["timestamps"], [
            [0, 1], [1, 2], [2, 2.5], [0.5, 1], [1, 1.5], [1.5, 2], [2, 2.5]])
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_round_trip_keeps_ids_times_and_vectors(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    write_vsc_descriptors(path, [QUERY, REF])
    q, r = read_vsc_descriptors(path)
    for got, want, duration in ((q, QUERY, 2.5), (r, REF, 2.5)):
        assert got.video_id == want.video_id
        np.testing.assert_array_equal(got.times, want.times)
        np.testing.assert_array_equal(got.vectors, want.vectors)
        assert got.duration == duration  # the file keeps the last frame's end, not the video's


def test_streamed_write_with_announced_size(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    assert write_vsc_descriptors(path, iter([QUERY, REF]), count=7, dim=8) == 7
    assert [fs.video_id for fs in read_vsc_descriptors(path)] == ["Q100001", "R200012"]
    with pytest.raises(VidtraceError, match="7 descriptor rows where 9 were announced"):
        write_vsc_descriptors(tmp_path / "e.npz", iter([QUERY, REF]), count=9, dim=8)
    assert not (tmp_path / "e.npz").exists() and not (tmp_path / ".e.npz.tmp").exists()


def test_single_frame_interval() -> None:
    one = FrameSet("v", np.array([3.0]), np.zeros((1, 2), np.float32), 10.0)
    np.testing.assert_array_equal(frame_intervals(one), [[3.0, 10.0]])  # the rest of the video
    late = FrameSet("v", np.array([3.0]), np.zeros((1, 2), np.float32), 3.0)
    np.testing.assert_array_equal(frame_intervals(late), [[3.0, 4.0]])  # 1 s when none is left


def test_reads_older_and_other_writers_layouts(tmp_path: Path) -> None:
    # 1-D start times (vsc2022 before start/end pairs), integer ids (DrivenData's random
    # example), float32 timestamps, and one video's rows split and out of order
    path = tmp_path / "old.npz"
    feats = np.arange(10, dtype=np.float32).reshape(5, 2)
    np.savez(path, video_ids=np.array([20001, 20000, 20001, 20000, 20001], dtype=np.int32),
             timestamps=np.array([2, 0, 0, 1, 1], dtype=np.float32), features=feats)
    a, b = read_vsc_descriptors(path)
    assert (a.video_id, b.video_id) == ("20001", "20000")  # in order of first appearance
    np.testing.assert_array_equal(a.times, [0, 1, 2])
    np.testing.assert_array_equal(a.vectors, feats[[2, 4, 0]])
    np.testing.assert_array_equal(b.vectors, feats[[1, 3]])
    assert a.duration == 2.0


@pytest.mark.parametrize(("arrays", "message"), [
    ({"video_ids": np.array(["a"]), "features": np.zeros((1, 2), np.float32)},
     "not a VSC 2022 descriptor file: no array timestamps"),
    ({"video_ids": np.array(["a", "a"]), "timestamps": np.array([0.0, 0.0]),
      "features": np.zeros((2, 2), np.float32)},
     "video 'a' has two descriptors starting at the same time"),
    ({"video_ids": np.array(["a"]), "timestamps": np.zeros((1, 3)),
      "features": np.zeros((1, 2), np.float32)},
     r"timestamps of shape \(1, 3\); need \(N,\) or \(N, 2\)"),
    ({"video_ids": np.array(["a"]), "timestamps": np.zeros(2),
      "features": np.zeros((1, 2), np.float32)}, "do not line up"),
    ({"video_ids": np.array(["a"]), "timestamps": np.zeros(1),
      "features": np.full((1, 2), np.nan, np.float32)}, "NaN or infinite"),
])
def test_bad_files_are_named(tmp_path: Path, arrays: dict, message: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(VidtraceError, match=f"bad.npz: .*{message}"):
        read_vsc_descriptors(path)


def test_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    path.write_text("hello")
    with pytest.raises(VidtraceError, match=r"x\.npz: not a readable \.npz descriptor file"):
        read_vsc_descriptors(path)
    with pytest.raises(VidtraceError, match=r"missing\.npz: no such descriptor file"):
        read_vsc_descriptors(tmp_path / "missing.npz")


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(VidtraceError, match="video id 'Q100001' twice"):
        write_vsc_descriptors(tmp_path / "d.npz", [QUERY, QUERY])


def test_archive_is_zip64_ready_and_uncompressed(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    write_vsc_descriptors(path, [QUERY])
    with zipfile.ZipFile(path) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}


def test_challenge_limits() -> None:
    assert vsc_limits(512, 10, [9.2]) == []  # ceil(9.2) = 10 descriptors allowed
    assert vsc_limits(513, 11, [9.2]) == [
        "513 dimensions; the challenge allowed at most 512",
        "11 descriptors for 10 s of video; the challenge allowed at most one per second "
        "(describe at --fps 1 or less)"]
