"""Random edits with realistic parameters, for building benchmarks and training pairs (stage 8).

Every draw comes from the numpy Generator passed in, so a seed fixes the whole chain. Values are
rounded (3 decimals) so the chain written to JSON is exactly the chain that was rendered. The
ranges follow what real re-uploads show, not what the detector handles well; docs/dev-benchmark.md
gives the reasons for each.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.synth.appearance import Blur, Color, Grayscale, Noise
from vidtrace.synth.base import Edit, EditKind, Rgb
from vidtrace.synth.geometry import (
    Border,
    Canvas,
    CanvasFill,
    CanvasPattern,
    Crop,
    HFlip,
    Rotate,
    RotateFill,
    Scale,
)
from vidtrace.synth.overlay import Corner, Logo, Text
from vidtrace.synth.pip import Inset, PictureInPicture
from vidtrace.synth.temporal import FrameRate, Reencode, Speed

CAPTIONS = (
    "BREAKING NEWS", "@clips_daily", "subscribe for more", "LIVE", "Episode 4", "best moments",
    "wait for it...", "#viral", "full video in bio", "HD 1080p", "reupload", "part 2",
)
LOGO_TEXTS = ("TV5", "NEWS 24", "@clipz", "HD", "WOW", "CH 7")
_PALETTE: tuple[Rgb, ...] = (
    (255, 255, 255), (255, 230, 0), (255, 40, 40), (0, 220, 255), (40, 255, 90), (0, 0, 0),
)
SPEEDS = (0.75, 0.8, 0.9, 1.1, 1.2, 1.25, 1.5, 2.0)
FRAME_RATES = (10.0, 12.0, 15.0, 24.0, 30.0, 50.0, 60.0)


@dataclass(frozen=True)
class EditPool:
    """Material that some random edits need: background videos for picture-in-picture, as
    (path, duration_s) pairs of footage that is NOT a reference, and photos for logos."""

    backgrounds: Sequence[tuple[Path, float]] = ()
    photos: Sequence[Path] = ()

    def kinds(self) -> list[EditKind]:
        """The edit kinds this pool can supply (pip and inset need other footage)."""
        needs_footage = (EditKind.PIP, EditKind.INSET)
        return [k for k in EditKind if k not in needs_footage or self.backgrounds]


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return round(float(rng.uniform(lo, hi)), 3)


def _pick[T](rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def _rgb(rng: np.random.Generator) -> Rgb:
    """A palette colour half of the time, else any colour."""
    if rng.random() < 0.5:
        return _pick(rng, _PALETTE)
    r, g, b = (int(v) for v in rng.integers(0, 256, 3))
    return (r, g, b)


def _frame_line(rng: np.random.Generator) -> tuple[int, Rgb]:
    """(frame_px, frame_color) of an inset: no line half of the time, else 1-6 pixels."""
    if rng.random() < 0.5:
        return 0, (255, 255, 255)
    return int(rng.integers(1, 7)), _rgb(rng)


def _shape(rng: np.random.Generator, frame_px: int) -> tuple[float, float]:
    """(corner, soft) of an inset, as phone editors draw them: with no frame line, square,
    rounded (corners of 0.05-0.3 of its short side), feathered (an edge fading over 0.02-0.1
    of it) or both, a quarter of the time each; with a frame line, square.

    Drawn from a generator seeded by `rng`'s state, which it does not advance: the shapes were
    added to build version 4, and every other draw of a seed stays what version 3 drew."""
    if frame_px > 0:
        return 0.0, 0.0
    digest = hashlib.sha256(repr(rng.bit_generator.state).encode()).digest()
    own = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    style = int(own.integers(4))
    corner = _u(own, 0.05, 0.3) if style in (1, 3) else 0.0
    soft = _u(own, 0.02, 0.1) if style in (2, 3) else 0.0
    return corner, soft


def _crop(rng: np.random.Generator, pool: EditPool) -> Edit:
    # Keeps 35-95% of the area (down to less than half, as zoomed-in re-uploads do), the box's
    # aspect within 0.7-1.4 of the frame's, anywhere in the frame.
    area, aspect = float(rng.uniform(0.35, 0.95)), float(np.exp(rng.uniform(-0.35, 0.35)))
    w = round(min(0.98, float(np.sqrt(area * aspect))), 3)
    h = round(min(0.98, area / w), 3)
    x0, y0 = _u(rng, 0.0, 1.0 - w), _u(rng, 0.0, 1.0 - h)
    return Crop(x0, y0, min(1.0, round(x0 + w, 3)), min(1.0, round(y0 + h, 3)))


def _border(rng: np.random.Generator, pool: EditPool) -> Edit:
    sides = [_u(rng, 0.02, 0.25) if rng.random() < 0.6 else 0.0 for _ in range(4)]
    if not any(sides):
        sides[1] = sides[3] = 0.1
    color = (0, 0, 0) if rng.random() < 0.5 else _rgb(rng)
    left, top, right, bottom = sides
    return Border(left, top, right, bottom, color)


def _canvas(rng: np.random.Generator, pool: EditPool) -> Edit:
    aspect_w, aspect_h = _pick(rng, ((9, 16), (9, 16), (1, 1), (4, 5), (4, 3), (3, 4), (2, 3)))
    return Canvas(aspect_w, aspect_h, _pick(rng, list(CanvasFill)), _rgb(rng),
                  _pick(rng, list(CanvasPattern)), _u(rng, 0.03, 0.2))


def _pip(rng: np.random.Generator, pool: EditPool) -> Edit:
    if not pool.backgrounds:
        raise ConfigError("a random pip edit needs background videos in the edit pool")
    path, duration = _pick(rng, pool.backgrounds)
    frame_px, frame_color = _frame_line(rng)
    corner, soft = _shape(rng, frame_px)
    return PictureInPicture(str(path), _u(rng, 0.0, max(0.0, duration * 0.5)), _u(rng, 0.2, 0.6),
                            _u(rng, 0.0, 1.0), _u(rng, 0.0, 1.0), frame_px, frame_color,
                            bool(rng.random() < 0.3), corner, soft)


def _inset(rng: np.random.Generator, pool: EditPool) -> Edit:
    if not pool.backgrounds:
        raise ConfigError("a random inset edit needs foreign videos in the edit pool")
    path, duration = _pick(rng, pool.backgrounds)
    frame_px, frame_color = _frame_line(rng)
    corner, soft = _shape(rng, frame_px)
    return Inset(str(path), _u(rng, 0.0, max(0.0, duration * 0.5)), _u(rng, 0.2, 0.45),
                 _u(rng, 0.0, 1.0), _u(rng, 0.0, 1.0), frame_px, frame_color, corner, soft)


def _color(rng: np.random.Generator, pool: EditPool) -> Edit:
    return Color(_u(rng, -0.2, 0.2), _u(rng, 0.7, 1.4), _u(rng, 0.7, 1.5),
                 _u(rng, -40.0, 40.0) if rng.random() < 0.5 else 0.0, _u(rng, 0.4, 1.6))


def _text(rng: np.random.Generator, pool: EditPool) -> Edit:
    scroll = _u(rng, 0.05, 0.3) if rng.random() < 0.4 else 0.0
    return Text(_pick(rng, CAPTIONS), _u(rng, 0.02, 0.5), _u(rng, 0.12, 0.95),
                _u(rng, 0.04, 0.1), _pick(rng, _PALETTE), scroll)


def _logo(rng: np.random.Generator, pool: EditPool) -> Edit:
    corner = _pick(rng, list(Corner))
    size, opacity = _u(rng, 0.08, 0.3), _u(rng, 0.4, 1.0)
    if pool.photos and rng.random() < 0.5:
        return Logo(image=str(_pick(rng, pool.photos)), size=size, corner=corner, opacity=opacity)
    return Logo(text=_pick(rng, LOGO_TEXTS), size=size, corner=corner, opacity=opacity)


def _rotate(rng: np.random.Generator, pool: EditPool) -> Edit:
    angle = _u(rng, 1.0, 20.0) * (1 if rng.random() < 0.5 else -1)
    return Rotate(angle, _pick(rng, list(RotateFill)))


def _reencode(rng: np.random.Generator, pool: EditPool) -> Edit:
    if rng.random() < 0.5:
        return Reencode(crf=int(rng.integers(32, 43)))
    return Reencode(bitrate_kbps=int(rng.integers(120, 601)))


_MAKERS: dict[EditKind, Callable[[np.random.Generator, EditPool], Edit]] = {
    EditKind.CROP: _crop,
    EditKind.SCALE: lambda rng, _: Scale(round(float(np.exp(rng.uniform(np.log(0.33),
                                                                       np.log(2.0)))), 3)),
    EditKind.BORDER: _border,
    EditKind.CANVAS: _canvas,
    EditKind.PIP: _pip,
    EditKind.INSET: _inset,
    EditKind.HFLIP: lambda rng, _: HFlip(),
    EditKind.COLOR: _color,
    EditKind.GRAYSCALE: lambda rng, _: Grayscale(),
    EditKind.BLUR: lambda rng, _: Blur(_u(rng, 0.8, 4.0)),
    EditKind.NOISE: lambda rng, _: Noise(_u(rng, 3.0, 20.0), int(rng.integers(2**31))),
    EditKind.TEXT: _text,
    EditKind.LOGO: _logo,
    EditKind.ROTATE: _rotate,
    EditKind.SPEED: lambda rng, _: Speed(_pick(rng, SPEEDS)),
    EditKind.FPS: lambda rng, _: FrameRate(_pick(rng, FRAME_RATES)),
    EditKind.REENCODE: _reencode,
}


def random_edit(kind: EditKind, rng: np.random.Generator, pool: EditPool = EditPool()) -> Edit:
    """One edit of `kind` with parameters drawn from realistic ranges."""
    return _MAKERS[EditKind(kind)](rng, pool)


def random_chain(
    rng: np.random.Generator, pool: EditPool = EditPool(), n_min: int = 1, n_max: int = 3,
) -> list[Edit]:
    """n_min..n_max edits of different kinds, drawn uniformly from the kinds the pool allows,
    in random order."""
    kinds = pool.kinds()
    if not 1 <= n_min <= n_max <= len(kinds):
        raise ConfigError(f"edit chain length must satisfy 1 <= {n_min} <= {n_max} <= "
                          f"{len(kinds)} (the number of kinds)")
    n = int(rng.integers(n_min, n_max + 1))
    chosen = rng.choice(len(kinds), size=n, replace=False)
    return [random_edit(kinds[int(i)], rng, pool) for i in chosen]
