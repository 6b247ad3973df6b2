"""Picture-in-picture on real frames: where the inset lands, its frame line, a still
background, and the reversed edit (a foreign inset over the copy)."""

import json
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import ConfigError
from vidtrace.synth import Inset, PictureInPicture, Scale, edit_from_json
from vidtrace.synth.pip import draw_frame_line, inset_alpha
from vidtrace.synth.videoio import Fit, FrameReader


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


@pytest.mark.parametrize(("x", "y", "left", "top"),
                         [(0.0, 0.0, 0, 0), (1.0, 0.0, 240, 0), (0.0, 1.0, 0, 136),
                          (1.0, 1.0, 240, 136), (0.5, 0.5, 120, 68)])
def test_pip_places_a_quarter_width_inset_at_corners_and_centre(
    highway_frame: np.ndarray, bikes_clip: Path, x: float, y: float, left: int, top: int
) -> None:
    pip = PictureInPicture(str(bikes_clip), 1.0, 0.25, x, y)
    try:
        out = pip.apply(highway_frame, 0.0)
    finally:
        pip.close()
    inset = Scale(0.25).apply(highway_frame, 0.0)  # 80x44 of the 320x180 frame
    assert inset.shape[:2] == (44, 80)
    assert np.array_equal(out[top : top + 44, left : left + 80], inset)
    # outside the inset: the background, not the frame
    mask = np.ones(out.shape[:2], bool)
    mask[top : top + 44, left : left + 80] = False
    assert np.abs(out[mask].astype(int) - highway_frame[mask]).mean() > 20


def test_pip_frame_line_surrounds_the_inset_and_leaves_it_whole(
    highway_frame: np.ndarray, bikes_clip: Path
) -> None:
    plain = PictureInPicture(str(bikes_clip), 1.0, 0.5, 0.5, 0.5)
    framed = PictureInPicture(str(bikes_clip), 1.0, 0.5, 0.5, 0.5, 4, (255, 0, 0))
    try:
        a, b = plain.apply(highway_frame, 0.0), framed.apply(highway_frame, 0.0)
    finally:
        plain.close()
        framed.close()
    # the 160x90 inset sits at (80, 45); the line takes the 4 pixels around it
    assert np.array_equal(a[45:135, 80:240], b[45:135, 80:240])
    for ring in (b[41:45, 76:244], b[135:139, 76:244], b[41:139, 76:80], b[41:139, 240:244]):
        assert np.all(ring == (255, 0, 0))
    changed = np.any(a != b, axis=2)
    assert changed.sum() <= 168 * 98 - 160 * 90  # nothing beyond the ring changed
    assert not changed[:41].any() and not changed[139:].any()


def test_frame_line_is_clipped_at_the_image_edge() -> None:
    image = np.zeros((20, 30, 3), np.uint8)
    draw_frame_line(image, (0, 0, 10, 8), 3, (9, 9, 9))
    assert np.all(image[8:11, 0:13] == 9) and np.all(image[0:11, 10:13] == 9)
    assert image[:8, :10].max() == 0 and image[11:].max() == 0 and image[:, 13:].max() == 0


def test_still_background_is_frozen_at_its_offset(
    highway_frame: np.ndarray, bikes_clip: Path
) -> None:
    still = PictureInPicture(str(bikes_clip), 2.0, 0.3, 0.0, 0.0, still=True)
    moving = PictureInPicture(str(bikes_clip), 2.0, 0.3, 0.0, 0.0)
    try:
        s0, s3 = still.apply(highway_frame, 0.0), still.apply(highway_frame, 3.0)
        m0, m3 = moving.apply(highway_frame, 0.0), moving.apply(highway_frame, 3.0)
    finally:
        still.close()
        moving.close()
    assert np.array_equal(s0, s3)
    assert np.array_equal(s0, m0)  # the still frame is the one at offset_s
    assert _diff(m0[60:], m3[60:]) > 5  # a moving background does move


def test_inset_lays_a_foreign_video_over_the_copy(
    highway_frame: np.ndarray, bikes_clip: Path
) -> None:
    inset = Inset(str(bikes_clip), 1.0, 0.3, 1.0, 0.0, 2, (255, 255, 0))
    try:
        out, later = inset.apply(highway_frame, 0.0), inset.apply(highway_frame, 2.0)
    finally:
        inset.close()
    # 0.3 x 320 = 96 wide, 54 high, at the top right corner; a 2-pixel yellow line around it
    with FrameReader(bikes_clip, (96, 54), Fit.COVER) as reader:
        foreign = reader.frame_at(1.0)
    assert foreign is not None
    assert np.array_equal(out[0:54, 224:320], foreign)
    assert np.all(out[54:56, 222:320] == (255, 255, 0))
    assert np.all(out[0:56, 222:224] == (255, 255, 0))
    # the rest is the copy, untouched
    assert np.array_equal(out[56:], highway_frame[56:])
    assert np.array_equal(out[:, :222], highway_frame[:, :222])
    assert _diff(out[0:54, 224:], later[0:54, 224:]) > 5  # the foreign video plays


def test_new_pip_parameters_round_trip_and_are_checked(bikes_clip: Path) -> None:
    edit = PictureInPicture(str(bikes_clip), 1.0, 0.4, 0.1, 0.9, 5, (1, 2, 3), True)
    doc = json.loads(json.dumps(edit.to_json()))
    assert doc["frame_px"] == 5 and doc["frame_color"] == [1, 2, 3] and doc["still"] is True
    assert edit_from_json(doc) == edit
    old = {"kind": "pip", "background": str(bikes_clip), "offset_s": 1.0, "size": 0.4,
           "x": 0.1, "y": 0.9}  # ground truth written before these parameters existed
    assert edit_from_json(old) == PictureInPicture(str(bikes_clip), 1.0, 0.4, 0.1, 0.9)
    inset = Inset(str(bikes_clip), 0.5, 0.45, 0.0, 1.0, 0, (0, 0, 0))
    assert edit_from_json(json.loads(json.dumps(inset.to_json()))) == inset
    with pytest.raises(ConfigError, match="pip edit: still must be true or false"):
        PictureInPicture(str(bikes_clip), still="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"pip edit: frame_px must be an integer in \[0, 64\]"):
        PictureInPicture(str(bikes_clip), frame_px=100)
    with pytest.raises(ConfigError, match="inset edit: foreign must be the path"):
        Inset("")
    with pytest.raises(ConfigError, match=r"inset edit: size must be a number in \[0.05, 0.9\]"):
        Inset(str(bikes_clip), size=0.95)


def test_rounded_and_soft_insets_fade_into_the_background(
    highway_frame: np.ndarray, bikes_clip: Path
) -> None:
    """corner rounds the inset's corners (the background shows there), soft fades its edge
    in; the middle is the inset as with a plain one."""
    plain = PictureInPicture(str(bikes_clip), 1.0, 0.5, 0.5, 0.5)
    rounded = PictureInPicture(str(bikes_clip), 1.0, 0.5, 0.5, 0.5, corner=0.3)
    soft = Inset(str(bikes_clip), 1.0, 0.5, 0.5, 0.5, soft=0.1)
    try:
        a, b = plain.apply(highway_frame, 0.0), rounded.apply(highway_frame, 0.0)
        c = soft.apply(highway_frame, 0.0)
        blank = rounded.apply(np.zeros_like(highway_frame), 0.0)  # the same over a black copy
    finally:
        for edit in (plain, rounded, soft):
            edit.close()
    # the 160x90 inset at (80, 45): radius 27 px; its middle is untouched by the rounding
    assert np.array_equal(a[60:120, 110:210], b[60:120, 110:210])
    # a corner pixel shows the host whatever the copy is; the plain inset covers it
    assert np.array_equal(b[45, 80], blank[45, 80]) and not np.array_equal(a[45, 80], b[45, 80])
    assert not np.array_equal(b[90, 160], blank[90, 160])  # the middle is the copy
    # a 9 px ramp: the edge pixel is mostly the copy beneath, the middle all foreign video
    ramp = np.abs(c[90, 80:100].astype(int) - highway_frame[90, 80:100]).sum(axis=1)
    assert ramp[0] < ramp[12]
    assert np.array_equal(c[:45], highway_frame[:45])
    doc = json.loads(json.dumps(rounded.to_json()))
    assert doc["corner"] == 0.3 and doc["soft"] == 0.0 and edit_from_json(doc) == rounded
    with pytest.raises(ConfigError, match=r"pip edit: corner must be a number in \[0.0, 0.5\]"):
        PictureInPicture(str(bikes_clip), corner=0.6)
    with pytest.raises(ConfigError, match=r"inset edit: soft must be a number in \[0.0, 0.25\]"):
        Inset(str(bikes_clip), soft=-0.1)


def test_inset_alpha_is_none_for_a_plain_rectangle() -> None:
    assert inset_alpha(40, 20, 0.0, 0.0) is None
    alpha = inset_alpha(40, 20, 0.5, 0.0)
    assert alpha is not None and alpha.shape == (20, 40)
    assert alpha[0, 0] == 0.0 and alpha[10, 20] == 1.0 and alpha[10, 0] > 0.4  # a round end
