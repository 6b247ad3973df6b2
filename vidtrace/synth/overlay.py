"""Overlay edits of the transformation engine (stage 8): captions and corner watermarks.

Both keep the frame size: uint8[H, W, 3] RGB in, uint8[H, W, 3] out. Text uses OpenCV's Hershey
font, so captions should be ASCII.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
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
    check_range,
    set_checked,
)
from vidtrace.synth.geometry import resize

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _font_scale(text: str, height_px: float) -> tuple[float, int]:
    """(OpenCV font scale, stroke thickness) for capital letters `height_px` pixels tall."""
    (_, h1), _ = cv2.getTextSize(text or " ", _FONT, 1.0, 1)
    scale = height_px / max(h1, 1)
    return scale, max(1, round(height_px / 12))


def _check_text(edit: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{edit} edit: text must be a non-empty string, got {text!r}")
    return text


@dataclass(frozen=True)
class Text(SpatialEdit):
    """A caption: `text` with its left end at x and its baseline at y (fractions of the width and
    height), capitals `size` x the frame height tall, in `color` with a black outline. With
    `scroll` > 0 it moves left by that many frame widths per second, wrapping around."""

    kind: ClassVar[EditKind] = EditKind.TEXT
    text: str = "vidtrace"
    x: float = 0.05
    y: float = 0.9
    size: float = 0.06
    color: Rgb = (255, 255, 255)
    scroll: float = 0.0

    def __post_init__(self) -> None:
        set_checked(self, "text", _check_text("text", self.text))
        set_checked(self, "x", check_range("text", "x", self.x, 0.0, 1.0))
        set_checked(self, "y", check_range("text", "y", self.y, 0.0, 1.0))
        set_checked(self, "size", check_range("text", "size", self.size, 0.01, 0.5))
        set_checked(self, "color", check_color("text", "color", self.color))
        set_checked(self, "scroll", check_range("text", "scroll", self.scroll, 0.0, 10.0))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        scale, thick = _font_scale(self.text, self.size * h)
        (text_w, _), _ = cv2.getTextSize(self.text, _FONT, scale, thick)
        x = self.x * w - self.scroll * w * t
        if self.scroll > 0:
            x = (x + text_w) % (w + text_w) - text_w  # leaves on the left, re-enters on the right
        org = (round(x), round(self.y * h))
        out = frame.copy()
        cv2.putText(out, self.text, org, _FONT, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(out, self.text, org, _FONT, scale, self.color, thick, cv2.LINE_AA)
        return out


class Corner(StrEnum):
    """Where a watermark sits."""

    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"


@dataclass(frozen=True)
class Logo(SpatialEdit):
    """A watermark in a corner: a photo (`image`, a file path) or rendered `text` (exactly one),
    `size` x the frame width wide, `margin` x the width from the edges, alpha-blended with
    `opacity`."""

    kind: ClassVar[EditKind] = EditKind.LOGO
    image: str | None = None
    text: str | None = None
    size: float = 0.15
    corner: Corner = Corner.TOP_RIGHT
    opacity: float = 0.7
    margin: float = 0.03

    def __post_init__(self) -> None:
        if (self.image is None) == (self.text is None):
            raise ConfigError("logo edit: give exactly one of image (a photo path) or text")
        if self.text is not None:
            set_checked(self, "text", _check_text("logo", self.text))
        if self.image is not None and not isinstance(self.image, str):
            set_checked(self, "image", str(self.image))
        set_checked(self, "size", check_range("logo", "size", self.size, 0.02, 0.9))
        set_checked(self, "corner", check_enum("logo", "corner", self.corner, Corner))
        set_checked(self, "opacity", check_range("logo", "opacity", self.opacity, 0.0, 1.0))
        set_checked(self, "margin", check_range("logo", "margin", self.margin, 0.0, 0.4))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        h, w = frame.shape[:2]
        margin = round(self.margin * w)
        width = max(2, min(round(self.size * w), w - 2 * margin))
        rgb, alpha = _logo_layer(self.image, self.text, width, max(2, h - 2 * margin))
        lh, lw = alpha.shape[:2]
        x = margin if "left" in self.corner.value else w - margin - lw
        y = margin if "top" in self.corner.value else h - margin - lh
        out = frame.copy()
        region = out[y : y + lh, x : x + lw].astype(np.float32)
        a = alpha * np.float32(self.opacity)
        blended = region * (1.0 - a) + rgb.astype(np.float32) * a
        out[y : y + lh, x : x + lw] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        return out


@lru_cache(maxsize=32)
def _logo_layer(
    image: str | None, text: str | None, width: int, max_height: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8[h, w, 3], alpha float32[h, w, 1] in [0, 1]) of a logo `width` pixels wide
    (narrower when it would be taller than `max_height`)."""
    if image is not None:
        bgr = cv2.imread(image, cv2.IMREAD_COLOR)
        if bgr is None:
            raise ConfigError(f"logo edit: cannot read the image {image!r}; give a jpg/png path")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        ih, iw = rgb.shape[:2]
        scale = min(width / iw, max_height / ih)
        rgb = resize(rgb, max(1, round(iw * scale)), max(1, round(ih * scale)))
        return rgb, np.ones((*rgb.shape[:2], 1), np.float32)
    assert text is not None  # guaranteed by Logo.__post_init__
    (w1, h1), base1 = cv2.getTextSize(text, _FONT, 1.0, 1)
    scale = min(width / max(w1, 1), max_height / max(h1 + base1, 1))
    thick = max(1, round(h1 * scale / 10))
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
    pad = thick + 2
    lw, lh = tw + 2 * pad, th + base + 2 * pad
    fill = np.zeros((lh, lw), np.uint8)
    outline = np.zeros((lh, lw), np.uint8)
    org = (pad, pad + th)
    cv2.putText(outline, text, org, _FONT, scale, 255, thick + 2, cv2.LINE_AA)
    cv2.putText(fill, text, org, _FONT, scale, 255, thick, cv2.LINE_AA)
    rgb = np.repeat(fill[..., None], 3, axis=2)  # white letters, black outline
    if lw > width or lh > max_height:  # the padding pushed it past the box
        shrink = min(width / lw, max_height / lh)
        lw, lh = max(1, int(lw * shrink)), max(1, int(lh * shrink))
        rgb, outline = resize(rgb, lw, lh), resize(outline, lw, lh)
    return rgb, (outline.astype(np.float32) / 255.0)[..., None]
