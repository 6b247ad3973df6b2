"""Random access into real clips: frames at chosen times and time windows give the frames and
times of a full decode by `iter_frames`, while decoding only a little of the file."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import CLIPS, remux_with_offset
from tests.media import decode_frames
from vidtrace.errors import VideoError
from vidtrace.video import seek
from vidtrace.video.seek import frames_at, iter_window

BUNNY = CLIPS / "big_buck_bunny_0-30s.webm"
HIGHWAY = CLIPS / "udacity_highway_lanes.mp4"
# Small frames keep full decodes fast; the resize path is the same at every size.
SMALL = {"short_side": 96, "max_long_side": 192}


@pytest.fixture(scope="module")
def offset_ts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped udacity_highway_lanes.mp4 (H.264, 8.8 s, 25 fps, a key frame every 1.2 s)
    remuxed without re-encoding into MPEG-TS with every timestamp shifted by +10 s, so its first
    frame is at 10 s of the container's clock."""
    return remux_with_offset(HIGHWAY, tmp_path_factory.mktemp("seek") / "highway_offset.ts",
                             10.0)


@pytest.fixture(scope="module")
def every_frame(offset_ts: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every frame of Big Buck Bunny (VP8 webm, 30 s, 24 fps, start time 3 ms, key frames up to
    5 s apart) and of offset_ts, decoded by iter_frames at SMALL size: name -> (times, frames)."""
    return {"bunny": decode_frames(BUNNY, None, **SMALL),
            "offset_ts": decode_frames(offset_ts, None, **SMALL)}


def _path(name: str, offset_ts: Path) -> Path:
    return BUNNY if name == "bunny" else offset_ts


def _expected(times: np.ndarray, frames: np.ndarray, t: float) -> np.ndarray:
    """The first frame at or after t (times from iter_frames), or the last frame past the end."""
    i = min(int(np.searchsorted(times, t - 1e-3)), len(times) - 1)
    return frames[i]


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("name", ["bunny", "offset_ts"])
def test_frames_at_gives_the_frames_of_a_full_decode(
    name: str, offset_ts: Path, every_frame: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    times, frames = every_frame[name]
    last = float(times[-1])
    # Unsorted, repeated, before the start, between frames, near the end, within the last frame.
    wanted = [last * 0.55, 0.0, last - 0.3, 0.9, -2.0, last * 0.55, last * 0.2 + 0.013,
              last * 0.8, last + 0.01, 0.02]
    got = frames_at(_path(name, offset_ts), wanted, **SMALL)
    assert len(got) == len(wanted)
    for t, frame in zip(wanted, got, strict=True):
        assert frame is not None and frame.shape == frames[0].shape and frame.dtype == np.uint8
        expected = _expected(times, frames, t)
        assert _diff(frame, expected) < 2.0, f"t={t}"
        # the check can fail: the frame one second later differs clearly
        assert _diff(frame, _expected(times, frames, max(t, 0.0) + 1.0)) > 2.0 or t > last - 1
    repeated, again = got[0], got[5]  # the same time twice: two equal copies
    assert repeated is not None and again is not None
    assert repeated is not again and np.array_equal(repeated, again)


def test_frames_at_past_the_end_and_nothing_asked() -> None:
    got = frames_at(HIGHWAY, [8.83, 8.841, 9.5, 100.0])  # last frame at 8.80 s, 25 fps
    assert got[0] is not None and got[0].shape == (288, 512, 3)
    assert got[1:] == [None, None, None]
    assert frames_at(HIGHWAY, []) == []


def test_frames_at_seeks_instead_of_decoding_everything(
    monkeypatch: pytest.MonkeyPatch, offset_ts: Path
) -> None:
    decoded = _count_decoded(monkeypatch)
    (frame,) = frames_at(BUNNY, [27.0], **SMALL)
    assert frame is not None
    # a key frame at 22.96 s: about 100 frames from there, not the 650 from the start
    assert 20 < decoded[0] < 150
    decoded[0] = 0
    (frame,) = frames_at(offset_ts, [8.0], **SMALL)
    # the key frame at 7.2 s (17.2 s on the container's clock): 20 frames, not 200
    assert frame is not None and decoded[0] < 40


@pytest.mark.parametrize(
    ("name", "fps", "start", "end"),
    [("bunny", 2.0, 12.3, 20.0), ("bunny", None, 25.0, 40.0), ("offset_ts", 7.0, 3.3, 6.1),
     ("offset_ts", 5.0, 0.0, 2.0)],
)
def test_iter_window_matches_iter_frames_inside_the_window(
    name: str, fps: float | None, start: float, end: float, offset_ts: Path,
    every_frame: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    path = _path(name, offset_ts)
    times, frames = (decode_frames(path, fps, **SMALL) if fps is not None
                     else every_frame[name])
    inside = (times >= start) & (times <= end)
    window = list(iter_window(path, fps, start, end, **SMALL))
    assert len(window) == inside.sum() > 0
    assert np.allclose([t for t, _ in window], times[inside], atol=1e-6)
    for (_, frame), expected in zip(window, frames[inside], strict=True):
        assert _diff(frame, expected) < 2.0


def test_iter_window_starts_near_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded = _count_decoded(monkeypatch)
    window = list(iter_window(BUNNY, 2.0, 24.0, 25.0, **SMALL))
    assert [round(t, 3) for t, _ in window] == [24.0, 24.5, 25.0]
    # from the key frame at 22.96 s; frames before it are never decoded
    assert decoded[0] < 80


def test_bad_files_and_arguments_raise_clear_errors(truncated_mp4: Path) -> None:
    with pytest.raises(VideoError, match="no such file"):
        frames_at(CLIPS / "missing.mp4", [1.0])
    with pytest.raises(VideoError, match="no such file"):
        next(iter_window(CLIPS / "missing.mp4", 1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="finite"):
        frames_at(HIGHWAY, [float("nan")])
    with pytest.raises(ValueError, match="start <= end"):
        next(iter_window(HIGHWAY, 1.0, 5.0, 4.0))
    with pytest.raises(ValueError, match="fps must be positive"):
        next(iter_window(HIGHWAY, 0.0, 0.0, 4.0))
    # A file cut short has no frames past its decodable end; the earlier ones still come back.
    early, late = frames_at(truncated_mp4, [1.0, 8.5])
    assert early is not None and late is None


def _count_decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the frames the seek module decodes, in a one-item list updated as they are."""
    count = [0]
    pull = seek._Cursor.pull

    def counting(cursor: seek._Cursor) -> tuple[float, Any] | None:
        count[0] += 1
        return pull(cursor)

    monkeypatch.setattr(seek._Cursor, "pull", counting)
    return count
