"""The edit vocabulary of the transformation engine (stage 8): kinds, base classes, checks.

An edit is a small frozen dataclass with a class-level `kind`. Spatial edits change each frame
(`SpatialEdit.apply`); render edits (speed, frame rate, re-encoding) are parameters that the
renderer reads. Every edit turns into a plain JSON dict (`Edit.to_json`) and back
(`vidtrace.synth.edits.edit_from_json`), which is how edit chains are stored in ground truth.
Parameters are checked on construction; a bad one raises `ConfigError` naming the edit.
"""

from abc import ABC, abstractmethod
from dataclasses import fields
from enum import Enum, StrEnum
from typing import ClassVar

import numpy as np

from vidtrace.errors import ConfigError

Rgb = tuple[int, int, int]


class EditKind(StrEnum):
    """Every edit the engine knows; the value is the `kind` in JSON."""

    CROP = "crop"
    SCALE = "scale"
    BORDER = "border"
    CANVAS = "canvas"
    PIP = "pip"
    INSET = "inset"
    HFLIP = "hflip"
    COLOR = "color"
    GRAYSCALE = "grayscale"
    BLUR = "blur"
    NOISE = "noise"
    TEXT = "text"
    LOGO = "logo"
    ROTATE = "rotate"
    SPEED = "speed"
    FPS = "fps"
    REENCODE = "reencode"


class Edit(ABC):
    """Base of every edit. Subclasses are frozen dataclasses; init fields are the parameters."""

    kind: ClassVar[EditKind]

    def to_json(self) -> dict[str, object]:
        """{"kind": ..., <parameter>: <value>, ...}; tuples become lists, enums their values."""
        out: dict[str, object] = {"kind": self.kind.value}
        for f in fields(self):  # type: ignore[arg-type]
            if f.init:
                out[f.name] = _plain(getattr(self, f.name))
        return out


class SpatialEdit(Edit):
    """An edit applied to every frame on its own."""

    @abstractmethod
    def apply(self, frame: np.ndarray, t: float) -> np.ndarray:
        """The edited frame. frame: uint8[H, W, 3] RGB; t: output (query) time in seconds.

        Returns a new uint8[h, w, 3] array; its size depends only on the input size and the
        edit's parameters, so every frame of a video comes out the same size.
        """

    def close(self) -> None:
        """Release files the edit opened (a picture-in-picture background); a no-op by default."""


class RenderEdit(Edit):
    """An edit the renderer applies while writing: timing or encoding, not pixels."""


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def check_range(edit: str, name: str, value: object, lo: float, hi: float) -> float:
    """`value` as a float when it is a number in [lo, hi], else ConfigError naming the edit."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ConfigError(f"{edit} edit: {name} must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def check_int(edit: str, name: str, value: object, lo: int, hi: int) -> int:
    """`value` when it is an integer in [lo, hi] (a float with no fraction is accepted)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{edit} edit: {name} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


def check_bool(edit: str, name: str, value: object) -> bool:
    """`value` when it is true or false (JSON booleans), else ConfigError naming the edit."""
    if not isinstance(value, bool):
        raise ConfigError(f"{edit} edit: {name} must be true or false, got {value!r}")
    return value


def check_enum[E: Enum](edit: str, name: str, value: object, enum: type[E]) -> E:
    """`value` as a member of `enum` (given as a member or its value)."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in enum)
        raise ConfigError(
            f"{edit} edit: {name} must be one of {choices}, got {value!r}"
        ) from None


def check_color(edit: str, name: str, value: object) -> Rgb:
    """An (r, g, b) tuple of 0-255 integers, from a tuple or a JSON list."""
    if not isinstance(value, tuple | list) or len(value) != 3:
        raise ConfigError(f"{edit} edit: {name} must be three 0-255 integers, got {value!r}")
    r, g, b = (check_int(edit, name, v, 0, 255) for v in value)
    return (r, g, b)


def even(n: float) -> int:
    """`n` rounded to the nearest even integer, at least 2 (yuv420p needs even frame sizes)."""
    return max(2, round(n / 2) * 2)


def set_checked(edit: Edit, name: str, value: object) -> None:
    """Store a checked, normalised parameter on a frozen edit (used in `__post_init__`)."""
    object.__setattr__(edit, name, value)
