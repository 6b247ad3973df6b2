"""Fills of the geometric edits on a real frame: rotation corners (blurred, mirrored) and
canvas fills (flat, patterned, mirrored)."""

import cv2
import numpy as np
import pytest

from vidtrace.errors import ConfigError
from vidtrace.synth import Canvas, CanvasFill, CanvasPattern, Rotate, RotateFill
from vidtrace.synth.geometry import pattern_image

# Canvas(9, 16) of the 320x180 highway frame: a 180x320 canvas, the picture 180x102 at row 109.
TOP, PICTURE_H = 109, 102


def _corners(mask_source: np.ndarray) -> np.ndarray:
    """Pixels that a black-cornered 15 degree rotation leaves black (the empty corners)."""
    return np.all(mask_source == 0, axis=2)


def test_rotation_fills_keep_the_rotated_picture_and_fill_the_corners(
    highway_frame: np.ndarray,
) -> None:
    black = Rotate(15.0, RotateFill.BLACK).apply(highway_frame, 0.0)
    blur = Rotate(15.0, RotateFill.BLUR).apply(highway_frame, 0.0)
    mirror = Rotate(15.0, RotateFill.MIRROR).apply(highway_frame, 0.0)
    empty = _corners(black)
    assert 0.1 < empty.mean() < 0.3  # four black corners at 15 degrees
    assert np.array_equal(black[60:120, 120:200], mirror[60:120, 120:200])
    assert np.abs(black[60:120, 120:200].astype(int) - blur[60:120, 120:200]).max() <= 1
    for filled in (blur, mirror):
        assert filled[empty].mean() > 40 and _corners(filled).mean() < 0.01
    # blurred corners are smooth; mirrored corners keep the frame's detail
    lap = np.abs(cv2.Laplacian(cv2.cvtColor(blur, cv2.COLOR_RGB2GRAY), cv2.CV_32F))
    lap_m = np.abs(cv2.Laplacian(cv2.cvtColor(mirror, cv2.COLOR_RGB2GRAY), cv2.CV_32F))
    inner = cv2.erode(empty.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert lap[inner].mean() < 1.0 < lap_m[inner].mean()


def test_mirrored_rotation_corner_is_the_reflected_source_pixel(
    highway_frame: np.ndarray,
) -> None:
    h, w = highway_frame.shape[:2]
    out = Rotate(15.0, RotateFill.MIRROR).apply(highway_frame, 0.0)
    inverse = cv2.invertAffineTransform(cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2),
                                                                15.0, 1.0))
    for x, y in ((0, 0), (w - 1, h - 1), (2, h - 3)):
        sx, sy = inverse @ np.array([x, y, 1.0])
        assert sx < 0 or sy < 0 or sx > w - 1 or sy > h - 1  # outside the source
        rx = -sx - 1 if sx < 0 else (2 * w - 1 - sx if sx > w - 1 else sx)
        ry = -sy - 1 if sy < 0 else (2 * h - 1 - sy if sy > h - 1 else sy)
        near = highway_frame[int(np.clip(round(ry), 0, h - 1)), int(np.clip(round(rx), 0, w - 1))]
        assert np.abs(out[y, x].astype(int) - near).max() < 40, (x, y)


def test_flat_canvas_fills_with_its_colour(highway_frame: np.ndarray) -> None:
    out = Canvas(9, 16, CanvasFill.FLAT, (250, 200, 0)).apply(highway_frame, 0.0)
    picture = Canvas(9, 16, CanvasFill.BLACK).apply(highway_frame, 0.0)[TOP : TOP + PICTURE_H]
    assert out.shape == (320, 180, 3)
    assert np.all(out[:TOP] == (250, 200, 0)) and np.all(out[TOP + PICTURE_H :] == (250, 200, 0))
    assert np.array_equal(out[TOP : TOP + PICTURE_H], picture)
    # BLACK ignores the colour
    assert Canvas(9, 16, CanvasFill.BLACK, (250, 200, 0)).apply(highway_frame, 0.0)[:TOP].max() == 0


def test_mirrored_canvas_reflects_the_picture(highway_frame: np.ndarray) -> None:
    out = Canvas(9, 16, CanvasFill.MIRROR).apply(highway_frame, 0.0)
    picture = out[TOP : TOP + PICTURE_H]
    assert np.array_equal(picture, Canvas(9, 16).apply(highway_frame, 0.0)[TOP : TOP + PICTURE_H])
    for k in range(PICTURE_H):  # the bars mirror the picture at its edges
        assert np.array_equal(out[TOP - 1 - k], picture[k])
        assert np.array_equal(out[TOP + PICTURE_H + k], picture[PICTURE_H - 1 - k])
    assert np.array_equal(out[TOP - PICTURE_H - 1], picture[PICTURE_H - 1])  # and reflect back


def test_pattern_canvas_is_the_generated_pattern(highway_frame: np.ndarray) -> None:
    for pattern in CanvasPattern:
        edit = Canvas(9, 16, CanvasFill.PATTERN, (200, 40, 40), pattern, 0.1)
        out = edit.apply(highway_frame, 0.0)
        expected = pattern_image(pattern, (200, 40, 40), 180, 320, 32)
        assert np.array_equal(out[:TOP], expected[:TOP]), pattern
        assert np.array_equal(out, edit.apply(highway_frame, 0.0))  # deterministic
        assert np.array_equal(out[TOP + PICTURE_H :], expected[TOP + PICTURE_H :])


def test_pattern_image_colours() -> None:
    checks = pattern_image(CanvasPattern.CHECKS, (200, 40, 40), 40, 20, 10)
    light, dark = (200, 40, 40), (100, 20, 20)
    assert np.all(checks[:10, :10] == light) and np.all(checks[:10, 10:20] == dark)
    assert np.all(checks[10:20, :10] == dark) and np.all(checks[10:, 10:20] == light)
    stripes = pattern_image(CanvasPattern.STRIPES, (200, 40, 40), 40, 40, 10)
    assert np.all(stripes[0, 0:5] == (200, 40, 40)) and np.all(stripes[0, 5:10] == (100, 20, 20))
    assert np.array_equal(stripes[1, 4], stripes[0, 5])  # diagonal: shifts one pixel a row
    gradient = pattern_image(CanvasPattern.GRADIENT, (10, 10, 10), 8, 11, 4)
    assert np.all(gradient[0] == 10) and np.all(gradient[-1] == 160)  # dark: to a light grey
    assert np.all(np.diff(gradient[:, 0, 0].astype(int)) >= 0)


def test_new_fill_parameters_are_checked() -> None:
    with pytest.raises(ConfigError, match="canvas edit: pattern must be one of stripes"):
        Canvas(9, 16, CanvasFill.PATTERN, (0, 0, 0), "dots")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="canvas edit: color must be three"):
        Canvas(9, 16, CanvasFill.FLAT, (0, 0))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"canvas edit: period must be a number in \[0.01"):
        Canvas(9, 16, CanvasFill.PATTERN, period=0.0)
    with pytest.raises(ConfigError, match="rotate edit: fill must be one of crop, black, blur, "
                                          "mirror"):
        Rotate(10.0, "smear")  # type: ignore[arg-type]
