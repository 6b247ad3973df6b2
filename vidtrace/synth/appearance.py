"""Photometric edits of the transformation engine (stage 8): colour, grayscale, blur, noise.

Each keeps the frame size: uint8[H, W, 3] RGB in, uint8[H, W, 3] out.
"""

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from vidtrace.synth.base import EditKind, SpatialEdit, check_int, check_range, set_checked


@dataclass(frozen=True)
class Color(SpatialEdit):
    """Colour grading, applied in this order: contrast about mid-grey (x1 = unchanged),
    brightness (added, as a fraction of full scale), gamma (output = input ** gamma on [0, 1]),
    hue rotation in degrees and saturation (x1 = unchanged, 0 = grey)."""

    kind: ClassVar[EditKind] = EditKind.COLOR
    brightness: float = 0.0
    contrast: float = 1.0
    gamma: float = 1.0
    hue: float = 0.0
    saturation: float = 1.0

    def __post_init__(self) -> None:
        limits = {
            "brightness": (-1.0, 1.0), "contrast": (0.0, 5.0), "gamma": (0.1, 10.0),
            "hue": (-180.0, 180.0), "saturation": (0.0, 5.0),
        }
        for name, (lo, hi) in limits.items():
            set_checked(self, name, check_range("color", name, getattr(self, name), lo, hi))

    def _lut(self) -> np.ndarray:
        x = np.arange(256, dtype=np.float64)
        y = (x - 127.5) * self.contrast + 127.5 + self.brightness * 255.0
        y = 255.0 * (np.clip(y, 0.0, 255.0) / 255.0) ** self.gamma
        return np.clip(np.rint(y), 0, 255).astype(np.uint8)

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        out = cv2.LUT(frame, self._lut())
        if self.hue == 0.0 and self.saturation == 1.0:
            return out
        # Full-range HSV: hue in 0..255 for a whole turn, so a shift is an 8-bit wrap-around.
        hsv = cv2.cvtColor(out, cv2.COLOR_RGB2HSV_FULL)
        shift = round(self.hue / 360.0 * 256.0) % 256
        hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 256
        sat = hsv[..., 1].astype(np.float32) * self.saturation
        hsv[..., 1] = np.clip(np.rint(sat), 0, 255).astype(np.uint8)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)


@dataclass(frozen=True)
class Grayscale(SpatialEdit):
    """Luma only (BT.601 weights), repeated in the three channels."""

    kind: ClassVar[EditKind] = EditKind.GRAYSCALE

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


@dataclass(frozen=True)
class Blur(SpatialEdit):
    """Gaussian blur with standard deviation `sigma` in pixels of the frame it is applied to."""

    kind: ClassVar[EditKind] = EditKind.BLUR
    sigma: float = 1.5

    def __post_init__(self) -> None:
        set_checked(self, "sigma", check_range("blur", "sigma", self.sigma, 0.1, 50.0))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        return cv2.GaussianBlur(frame, (0, 0), sigmaX=self.sigma)


@dataclass(frozen=True)
class Noise(SpatialEdit):
    """Additive Gaussian noise of standard deviation `sigma` (0-255 scale), independent per pixel
    and channel. The noise of a frame is drawn from (seed, output time in milliseconds), so a
    render is reproducible and consecutive frames get different noise."""

    kind: ClassVar[EditKind] = EditKind.NOISE
    sigma: float = 8.0
    seed: int = 0

    def __post_init__(self) -> None:
        set_checked(self, "sigma", check_range("noise", "sigma", self.sigma, 0.0, 128.0))
        set_checked(self, "seed", check_int("noise", "seed", self.seed, 0, 2**63 - 1))

    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        rng = np.random.default_rng([self.seed, max(0, round(t * 1000.0))])
        noise = rng.standard_normal(frame.shape, dtype=np.float32) * np.float32(self.sigma)
        noisy = frame.astype(np.float32) + noise
        return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
