"""A picture turned in its frame (vidtrace/video/turn.py) on real footage turned by the
transformation engine: its angle is found whatever fills the corners, footage as shot is not
taken as turned, turning back undoes the turn, and the query views describe a turned window's
frames turned back (docs/views-generalise.md, "Turned pictures"); a turn is carried on to the
next window (docs/views.md, "A turn carried on")."""

from functools import cache

import numpy as np
import pytest

from tests.conftest import shared_video
from tests.media import decode_frames
from vidtrace.synth import Rotate, RotateFill
from vidtrace.video.turn import turn_back, turned_angle
from vidtrace.video.views import InsetCollector

# archival street footage and a city river: level and upright edges, as much footage has
CLIPS = ["mdn_friday_1940.mp4", "videollama_boat_city_river.mp4"]
WINDOW = 20  # frames: 10 s at 2 frames/s, as the query views' windows


@cache
def _frames(name: str) -> np.ndarray:
    return decode_frames(shared_video(name), 2.0)[1]


@pytest.mark.parametrize("fill", list(RotateFill))
@pytest.mark.parametrize("angle", [8.0, -15.0])
@pytest.mark.parametrize("clip", CLIPS)
def test_a_turned_pictures_angle_is_found(clip: str, angle: float, fill: RotateFill) -> None:
    """Turned by the engine (counter-clockwise for a positive angle), the picture comes back
    upright when turned by minus that angle: that is the angle given, to within 3 degrees,
    with cropped, black, blurred or mirrored corners."""
    edit = Rotate(angle, fill)
    turned = [edit.apply(frame, 0.0) for frame in _frames(clip)[:WINDOW]]
    found = turned_angle(turned)
    assert found is not None and found == pytest.approx(-angle, abs=3.0)


@pytest.mark.parametrize("clip", CLIPS)
def test_footage_as_shot_is_not_turned(clip: str) -> None:
    frames = _frames(clip)
    for start in range(0, len(frames), WINDOW):
        assert turned_angle(list(frames[start:start + WINDOW])) is None, start


@pytest.mark.parametrize("fill", [RotateFill.CROP, RotateFill.BLUR])
def test_a_turn_is_carried_on_from_the_window_before(fill: RotateFill) -> None:
    """A dark scene turned by 10 degrees holds too few strong edges to be taken for turned on
    its own; right after a window turned by that angle, it is. Untouched, it is not, even
    then; nor is footage as shot."""
    frames = _frames("videollama_ironman_dark.mp4")[:WINDOW]
    turned = [Rotate(10.0, fill).apply(frame, 0.0) for frame in frames]
    assert turned_angle(turned) is None
    found = turned_angle(turned, -10.0)
    assert found is not None and found == pytest.approx(-10.0, abs=3.0)
    assert turned_angle(list(frames), -10.0) is None
    for clip in CLIPS:
        assert turned_angle(list(_frames(clip)[:WINDOW]), -10.0) is None


def test_turning_back_undoes_the_turn() -> None:
    """Inside the corners that the turn filled, the frame turned back is the frame."""
    frame = _frames(CLIPS[0])[0]
    turned = Rotate(12.0, RotateFill.MIRROR).apply(frame, 0.0)
    back = turn_back(turned, -12.0)
    h, w = frame.shape[:2]
    centre = (slice(h // 4, 3 * h // 4), slice(w // 4, 3 * w // 4))

    def diff(a: np.ndarray) -> float:
        return float(np.mean(np.abs(a[centre].astype(np.float32)
                                    - frame[centre].astype(np.float32))))

    assert diff(back) < diff(turned) / 3


def test_the_query_views_describe_a_turned_windows_frames_turned_back() -> None:
    """With `turn`, every frame of a turned window gets one more view, turned back; footage
    as shot gets none."""
    frames = _frames(CLIPS[1])[:WINDOW]
    edit = Rotate(-15.0, RotateFill.BLACK)
    seen: list[np.ndarray] = []

    def describe(batch: np.ndarray) -> np.ndarray:
        seen.extend(batch)
        return np.ones((len(batch), 4), np.float32)

    n = len(frames)
    for images, expected in (([edit.apply(f, 0.0) for f in frames], n), (frames, 0)):
        seen.clear()
        collector = InsetCollector(describe, 64, True, 8, pip=False, turn=True)
        passed = list(collector.whole_frames((i * 0.5, image) for i, image in enumerate(images)))
        view = collector.turned_view(4)
        assert len(passed) == n
        assert list(view.rows) == list(range(expected))
        assert len(seen) == expected
