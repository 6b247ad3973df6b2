"""The ranges of random edits: wide enough to cover what real re-uploads show (issue 19)."""

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

from vidtrace.synth import (
    Canvas,
    CanvasFill,
    CanvasPattern,
    Crop,
    EditKind,
    EditPool,
    Inset,
    PictureInPicture,
    Rotate,
    RotateFill,
    random_edit,
    randomize,
)

N = 300


def _draw(kind: EditKind, pool: EditPool) -> list:
    rng = np.random.default_rng(11)
    return [random_edit(kind, rng, pool) for _ in range(N)]


def test_pip_insets_span_sizes_places_frames_and_still_backgrounds(bikes_clip: Path) -> None:
    pool = EditPool(backgrounds=[(bikes_clip, 10.0)])
    pips: list[PictureInPicture] = _draw(EditKind.PIP, pool)
    sizes = [p.size for p in pips]
    assert 0.2 <= min(sizes) < 0.23 and 0.57 < max(sizes) <= 0.6
    for corner in ((0, 0), (0, 1), (1, 0), (1, 1)):  # insets reach every corner region
        assert any(abs(p.x - corner[0]) < 0.2 and abs(p.y - corner[1]) < 0.2 for p in pips)
    framed = [p for p in pips if p.frame_px]
    assert 0.35 < len(framed) / N < 0.65 and {p.frame_px for p in framed} == set(range(1, 7))
    assert 0.2 < sum(p.still for p in pips) / N < 0.4
    insets: list[Inset] = _draw(EditKind.INSET, pool)
    sizes = [i.size for i in insets]
    assert 0.2 <= min(sizes) < 0.23 and 0.42 < max(sizes) <= 0.45
    assert all(i.foreign == str(bikes_clip) for i in insets)
    assert 0.35 < sum(bool(i.frame_px) for i in insets) / N < 0.65


def test_insets_without_a_frame_line_are_drawn_square_rounded_or_feathered(
        bikes_clip: Path) -> None:
    pool = EditPool(backgrounds=[(bikes_clip, 10.0)])
    for kind in (EditKind.PIP, EditKind.INSET):
        edits: list[PictureInPicture | Inset] = _draw(kind, pool)
        assert all(e.corner == e.soft == 0 for e in edits if e.frame_px)
        plain = [e for e in edits if not e.frame_px]
        for has_corner, has_soft in itertools.product((False, True), repeat=2):
            share = sum((e.corner > 0) == has_corner and (e.soft > 0) == has_soft
                        for e in plain) / len(plain)
            assert 0.15 < share < 0.35, (kind, has_corner, has_soft, share)
        assert 0.05 <= min(e.corner for e in plain if e.corner) < 0.08
        assert 0.27 < max(e.corner for e in plain) <= 0.3
        assert 0.02 <= min(e.soft for e in plain if e.soft) < 0.03
        assert 0.09 < max(e.soft for e in plain) <= 0.1


def test_the_inset_shape_leaves_every_other_draw_of_a_seed_as_it_was(
        bikes_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shapes came with build version 4: a seed's other edits must stay those of version 3,
    # which drew no shape, so the shape is drawn without advancing the generator.
    pool = EditPool(backgrounds=[(bikes_clip, 10.0)])
    kinds = [EditKind.PIP, EditKind.CROP, EditKind.INSET, EditKind.ROTATE] * 30

    def chain() -> list:
        rng = np.random.default_rng(5)
        return [random_edit(kind, rng, pool) for kind in kinds]

    shaped = chain()
    monkeypatch.setattr(randomize, "_shape", lambda rng, frame_px: (0.0, 0.0))
    square = chain()
    assert any(e.corner or e.soft for e in shaped if isinstance(e, PictureInPicture | Inset))
    assert [dataclasses.replace(e, corner=0.0, soft=0.0)
            if isinstance(e, PictureInPicture | Inset) else e for e in shaped] == square


def test_crops_keep_down_to_about_a_third_of_the_area() -> None:
    crops: list[Crop] = _draw(EditKind.CROP, EditPool())
    areas = [(c.x1 - c.x0) * (c.y1 - c.y0) for c in crops]
    assert min(areas) < 0.4 and max(areas) > 0.9
    assert sum(a < 0.5 for a in areas) / N > 0.15  # crops past half the area are common
    assert all(0 <= c.x0 < c.x1 <= 1 and 0 <= c.y0 < c.y1 <= 1 for c in crops)
    assert min(c.x0 for c in crops) < 0.02 and max(c.x1 for c in crops) > 0.98


def test_rotations_reach_20_degrees_with_every_fill() -> None:
    rotations: list[Rotate] = _draw(EditKind.ROTATE, EditPool())
    angles = [r.angle for r in rotations]
    assert min(angles) < -18 and max(angles) > 18 and all(1 <= abs(a) <= 20 for a in angles)
    assert {r.fill for r in rotations} == set(RotateFill)


def test_canvases_use_every_fill_and_pattern() -> None:
    canvases: list[Canvas] = _draw(EditKind.CANVAS, EditPool())
    assert {c.fill for c in canvases} == set(CanvasFill)
    assert {c.pattern for c in canvases if c.fill is CanvasFill.PATTERN} == set(CanvasPattern)
    assert len({c.color for c in canvases}) > 50  # any colour, not a short list
