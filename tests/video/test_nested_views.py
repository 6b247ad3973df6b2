"""An inset inside a picture that was then put on a canvas (issue 19): over a mirrored fill the
inset is reflected, and the whole frame shows a rectangle of inset and reflection; the query
views look for the inset again inside the canvas's picture (`views.inset_windows`)."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS
from tests.media import decode_frames, pip_box
from vidtrace.synth import CopyPiece, Edit, PictureInPicture, compose_query
from vidtrace.synth.geometry import Canvas, CanvasFill
from vidtrace.video.inset import Inset
from vidtrace.video.pip import detect_inset
from vidtrace.video.stillhost import detect_still_host_inset
from vidtrace.video.views import canvas_picture, inset_windows

COPY = CLIPS / "big_buck_bunny_0-30s.webm"
HOST = CLIPS / "udacity_highway_lanes.mp4"


def _render(folder: Path, name: str, edits: list[Edit], seconds: float = 6.0
            ) -> tuple[Path, np.ndarray]:
    """`seconds` of Big Buck Bunny from 2 s through `edits`, decoded as queries are (2
    frames/s, short side 288): the file and its frames, one 10 s window."""
    truth = compose_query([CopyPiece(COPY, 2.0, 2.0 + seconds)], folder / f"{name}.mp4",
                          edits=edits)
    times, frames = decode_frames(folder / truth.query, 2.0, 288, 512)
    return folder / truth.query, frames[times < seconds]


@pytest.mark.parametrize("y", [0.02, 0.98])
def test_an_inset_on_a_mirrored_canvas_is_found_without_its_reflection(
        tmp_path: Path, y: float) -> None:
    pip = PictureInPicture(str(HOST), 1.0, 0.3, 0.3, y)
    path, plain = _render(tmp_path, "plain", [pip])
    x0, y0, x1, y1 = pip_box(pip, path, plain)
    _, frames = _render(tmp_path, "canvas", [pip, Canvas(9, 16, CanvasFill.MIRROR)])
    h, w = frames.shape[1:3]
    # the picture spans the canvas's width, centred: map the inset's box into the canvas
    s = w / plain.shape[2]
    top = (h - plain.shape[1] * s) / 2
    box = (x0 * s, top + y0 * s, x1 * s, top + y1 * s)
    images = list(frames)
    picture = canvas_picture(images)
    assert picture is not None
    whole = detect_inset(images) or detect_still_host_inset(images)
    assert whole is not None and whole.iou(box) < 0.8, (whole, box)  # inset and reflection
    windows = [win for win, _ in inset_windows(((i / 2.0, f) for i, f in enumerate(images)),
                                               canvas=True)]
    assert len(windows) == 1
    found = windows[0].inset
    assert isinstance(found, Inset) and not windows[0].canvas
    assert found.iou(box) >= 0.8, (found, box)
