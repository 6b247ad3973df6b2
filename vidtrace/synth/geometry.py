"""Geometric edits of the transformation engine (stage 8): crop, scale, border, canvas, flip,
rotation. Each works on one RGB frame, uint8[H, W, 3], and returns a new uint8 frame whose size
depends only on the input size, with even sides whenever the input's sides are even.
"""

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import cv2
import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.synth.base import (
    EditKind,
    Rgb,
    SpatialEdit,
    check_color,
    check_enum,
    check_int,
    check_range,
    even,
    set_checked,
)


def resize(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """`frame` resized to width x height: area averaging when shrinking, bilinear otherwise."""
    if (frame.shape[1], frame.shape[0]) == (width, height):
        return frame.copy()
    shrink = width * height < frame.shape[0] * frame.shape[1]
    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=method)


def fit_inside(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Largest even (w, h) of the aspect width:height that fits in box_w x box_h."""
    scale = min(box_w / width, box_h / height)
    return min(box_w, even(width * scale)), min(box_h, even(height * scale))


@dataclass(frozen=True)
class Crop(SpatialEdit):
    """Keep the box [x0, x1] x [y0, y1] given as fractions of the width and height."""

    kind: ClassVar[EditKind] = EditKind.CROP
    x0: float = 0.1
    y0: float = 0.1
    x1: float = 0.9
    y1: float = 0.9

    def __post_init__(self) -> None:
        for name in ("x0", "y0", "x1", "y1"):
            set_checked(self, name, check_range("crop", name, getattr(self, name), 0.0, 1.0))
        if self.x1 - self.x0 < 0.05 or self.y1 - self.y0 < 0.05:
            raise ConfigError(f"crop edit: the box {self.to_json()} keeps less than 5% of a side")

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        cw = min(even((self.x1 - self.x0) * w), w)
        ch = min(even((self.y1 - self.y0) * h), h)
        x = min(round(self.x0 * w), w - cw)
        y = min(round(self.y0 * h), h - ch)
        return frame[y : y + ch, x : x + cw].copy()


@dataclass(frozen=True)
class Scale(SpatialEdit):
    """Resize by `factor` (both sides; the output sides rounded to even numbers)."""

    kind: ClassVar[EditKind] = EditKind.SCALE
    factor: float = 0.5

    def __post_init__(self) -> None:
        set_checked(self, "factor", check_range("scale", "factor", self.factor, 0.1, 4.0))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        return resize(frame, even(w * self.factor), even(h * self.factor))


@dataclass(frozen=True)
class Border(SpatialEdit):
    """Pad each side with `color`; left/right as fractions of the width, top/bottom of the
    height. The right or bottom pad takes one pixel more when needed to keep the sides even."""

    kind: ClassVar[EditKind] = EditKind.BORDER
    left: float = 0.0
    top: float = 0.1
    right: float = 0.0
    bottom: float = 0.1
    color: Rgb = (0, 0, 0)

    def __post_init__(self) -> None:
        for name in ("left", "top", "right", "bottom"):
            set_checked(self, name, check_range("border", name, getattr(self, name), 0.0, 1.0))
        set_checked(self, "color", check_color("border", "color", self.color))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        left, right = round(self.left * w), round(self.right * w)
        top, bottom = round(self.top * h), round(self.bottom * h)
        right += (w + left + right) % 2
        bottom += (h + top + bottom) % 2
        return cv2.copyMakeBorder(
            frame, top, bottom, left, right, cv2.BORDER_CONSTANT, value=self.color
        )


class CanvasFill(StrEnum):
    """What fills a canvas around the letterboxed frame."""

    BLACK = "black"
    BLUR = "blur"  # a blurred, enlarged copy of the frame (as phone apps do)
    FLAT = "flat"  # one colour, the canvas's `color`
    PATTERN = "pattern"  # a generated `CanvasPattern` in `color` and its darker shade
    MIRROR = "mirror"  # the frame reflected at its edges


class CanvasPattern(StrEnum):
    """The pattern of a `CanvasFill.PATTERN` canvas."""

    STRIPES = "stripes"  # diagonal stripes
    CHECKS = "checks"  # a chequerboard
    GRADIENT = "gradient"  # `color` at the top to its darker shade at the bottom


@dataclass(frozen=True)
class Canvas(SpatialEdit):
    """Letterbox the frame, centred, into a canvas of aspect aspect_w:aspect_h (9:16 is a phone
    screen). The canvas's long side equals the frame's long side; the rest is filled as `fill`
    says. `color` is the flat fill's colour and the pattern's first colour; `period` is the
    pattern's repeat as a fraction of the canvas's long side."""

    kind: ClassVar[EditKind] = EditKind.CANVAS
    aspect_w: int = 9
    aspect_h: int = 16
    fill: CanvasFill = CanvasFill.BLACK
    color: Rgb = (0, 0, 0)
    pattern: CanvasPattern = CanvasPattern.STRIPES
    period: float = 0.1

    def __post_init__(self) -> None:
        set_checked(self, "aspect_w", check_int("canvas", "aspect_w", self.aspect_w, 1, 64))
        set_checked(self, "aspect_h", check_int("canvas", "aspect_h", self.aspect_h, 1, 64))
        set_checked(self, "fill", check_enum("canvas", "fill", self.fill, CanvasFill))
        set_checked(self, "color", check_color("canvas", "color", self.color))
        set_checked(self, "pattern", check_enum("canvas", "pattern", self.pattern,
                                                CanvasPattern))
        set_checked(self, "period", check_range("canvas", "period", self.period, 0.01, 1.0))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        long_side = max(w, h)
        if self.aspect_w >= self.aspect_h:
            cw, ch = even(long_side), even(long_side * self.aspect_h / self.aspect_w)
        else:
            cw, ch = even(long_side * self.aspect_w / self.aspect_h), even(long_side)
        fw, fh = fit_inside(w, h, cw, ch)
        x, y = (cw - fw) // 2, (ch - fh) // 2
        picture = resize(frame, fw, fh)
        if self.fill is CanvasFill.MIRROR:
            return _reflect_pad(picture, y, ch - fh - y, x, cw - fw - x)
        if self.fill is CanvasFill.BLUR:
            canvas = _blurred_cover(frame, cw, ch)
        elif self.fill is CanvasFill.PATTERN:
            canvas = pattern_image(self.pattern, self.color, cw, ch,
                                   max(2, round(self.period * max(cw, ch))))
        else:
            color = self.color if self.fill is CanvasFill.FLAT else (0, 0, 0)
            canvas = np.empty((ch, cw, 3), np.uint8)
            canvas[:] = color
        canvas[y : y + fh, x : x + fw] = picture
        return canvas


def _reflect_pad(image: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """`image` padded by its mirror image (edge pixels repeated, cv2.BORDER_REFLECT); pads
    wider than the image reflect again, back and forth."""
    out = image
    while top > 0 or bottom > 0 or left > 0 or right > 0:
        h, w = out.shape[:2]
        t, b, lf, r = min(top, h), min(bottom, h), min(left, w), min(right, w)
        out = cv2.copyMakeBorder(out, t, b, lf, r, cv2.BORDER_REFLECT)
        top, bottom, left, right = top - t, bottom - b, left - lf, right - r
    return out


def pattern_image(pattern: CanvasPattern, color: Rgb, width: int, height: int,
                  period: int) -> np.ndarray:
    """uint8[height, width, 3] of `pattern` in `color` and its darker shade (half as bright,
    or a light grey for a dark colour), repeating every `period` pixels; deterministic."""
    first = np.array(color, np.float32)
    second = first * 0.5 if first.max() >= 96 else np.full(3, 160.0, np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    if pattern is CanvasPattern.GRADIENT:
        a = (yy / max(1, height - 1))[..., None]
    elif pattern is CanvasPattern.CHECKS:
        a = (((yy // period) + (xx // period)) % 2)[..., None].astype(np.float32)
    else:
        a = (((xx + yy) // max(1, period // 2)) % 2)[..., None].astype(np.float32)
    return np.round(first * (1 - a) + second * a).astype(np.uint8)


def _blurred_cover(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """The frame enlarged to cover width x height (centre crop) and strongly blurred; the blur
    runs at 1/8 size because only its look matters."""
    h, w = frame.shape[:2]
    scale = max(width / w, height / h)
    cover = resize(frame, max(width, round(w * scale)), max(height, round(h * scale)))
    y, x = (cover.shape[0] - height) // 2, (cover.shape[1] - width) // 2
    cover = cover[y : y + height, x : x + width]
    small = resize(cover, max(2, width // 8), max(2, height // 8))
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=max(1.0, min(small.shape[:2]) / 10))
    return resize(small, width, height)


@dataclass(frozen=True)
class HFlip(SpatialEdit):
    """Mirror left to right."""

    kind: ClassVar[EditKind] = EditKind.HFLIP

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        return np.ascontiguousarray(frame[:, ::-1])


class RotateFill(StrEnum):
    """How a rotated frame handles its corners."""

    CROP = "crop"  # zoom in until no corner is empty
    BLACK = "black"  # black corners
    BLUR = "blur"  # corners from a blurred copy of the frame, enlarged to cover them
    MIRROR = "mirror"  # corners from the frame reflected at its edges (cv2.BORDER_REFLECT)


# How much the blurred copy behind a BLUR-filled rotation is enlarged (phone editors zoom it).
_BLUR_FILL_ZOOM = 1.3


@dataclass(frozen=True)
class Rotate(SpatialEdit):
    """Rotate by `angle` degrees (counter-clockwise) about the centre, keeping the frame size;
    `fill` says what shows in the corners."""

    kind: ClassVar[EditKind] = EditKind.ROTATE
    angle: float = 3.0
    fill: RotateFill = RotateFill.CROP

    def __post_init__(self) -> None:
        set_checked(self, "angle", check_range("rotate", "angle", self.angle, -45.0, 45.0))
        set_checked(self, "fill", check_enum("rotate", "fill", self.fill, RotateFill))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        zoom = 1.0
        if self.fill is RotateFill.CROP:
            # The smallest zoom whose rotated frame still covers the whole output rectangle.
            a = math.radians(abs(self.angle))
            zoom = math.cos(a) + max(w / h, h / w) * math.sin(a)
        matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), self.angle, zoom)
        # BLUR: edge pixels repeated, so the anti-aliased edge blends with the frame, not black.
        border = {RotateFill.MIRROR: cv2.BORDER_REFLECT,
                  RotateFill.BLUR: cv2.BORDER_REPLICATE}.get(self.fill, cv2.BORDER_CONSTANT)
        rotated = cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=border, borderValue=(0, 0, 0))
        if self.fill is not RotateFill.BLUR:
            return rotated
        # Where the rotated frame does not reach (with its anti-aliased edge), show the blur.
        inside = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, (w, h),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=0)
        alpha = (inside.astype(np.float32) / 255.0)[..., None]
        zw, zh = round(w * _BLUR_FILL_ZOOM), round(h * _BLUR_FILL_ZOOM)
        back = _blurred_cover(resize(frame, zw, zh)[(zh - h) // 2 : (zh - h) // 2 + h,
                                                   (zw - w) // 2 : (zw - w) // 2 + w], w, h)
        return np.round(rotated * alpha + back * (1.0 - alpha)).astype(np.uint8)
