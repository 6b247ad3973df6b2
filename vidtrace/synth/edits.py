"""Edit chains of the transformation engine (stage 8): every edit by kind, JSON round trip,
and the split of a chain into per-frame edits and render parameters.

A chain is a list of edits applied in order. Spatial edits run on every frame in that order;
the render edits (speed, fps, reencode) may each appear at most once, anywhere in the chain.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vidtrace.errors import ConfigError
from vidtrace.synth.appearance import Blur, Color, Grayscale, Noise
from vidtrace.synth.base import Edit, EditKind, RenderEdit, SpatialEdit
from vidtrace.synth.geometry import Border, Canvas, Crop, HFlip, Rotate, Scale
from vidtrace.synth.overlay import Logo, Text
from vidtrace.synth.pip import Inset, PictureInPicture
from vidtrace.synth.temporal import FrameRate, Reencode, Speed

EDIT_TYPES: dict[EditKind, type[Edit]] = {
    cls.kind: cls
    for cls in (
        Crop, Scale, Border, Canvas, PictureInPicture, Inset, HFlip, Color, Grayscale, Blur, Noise,
        Text, Logo, Rotate, Speed, FrameRate, Reencode,
    )
}


def edit_from_json(data: Mapping[str, object]) -> Edit:
    """The edit that `Edit.to_json` turned into `data`; ConfigError for an unknown kind or
    parameter, a missing parameter or a value out of range."""
    if not isinstance(data, Mapping) or "kind" not in data:
        raise ConfigError(f"an edit must be a JSON object with a 'kind', got {data!r}")
    try:
        cls = EDIT_TYPES[EditKind(str(data["kind"]))]
    except ValueError:
        known = ", ".join(k.value for k in EditKind)
        raise ConfigError(f"unknown edit kind {data['kind']!r}; known kinds: {known}") from None
    params = {k: v for k, v in data.items() if k != "kind"}
    names = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(params) - names)
    if unknown:
        raise ConfigError(
            f"{cls.kind.value} edit: unknown parameter(s) {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(names)) or 'none'}"
        )
    return cls(**params)


@dataclass(frozen=True)
class RenderParams:
    """What the render edits of a chain ask of the renderer. speed: source seconds per output
    second; fps: output frame rate (None: the renderer's default); crf / bitrate_kbps: encoder
    quality (both None: the renderer's default)."""

    speed: float = 1.0
    fps: float | None = None
    crf: int | None = None
    bitrate_kbps: int | None = None


def split_chain(edits: Sequence[Edit]) -> tuple[list[SpatialEdit], RenderParams]:
    """(the spatial edits in chain order, the render parameters); ConfigError when a render
    edit kind appears twice or an item is not an edit."""
    spatial: list[SpatialEdit] = []
    params = RenderParams()
    seen: set[EditKind] = set()
    for edit in edits:
        if isinstance(edit, SpatialEdit):
            spatial.append(edit)
            continue
        if not isinstance(edit, RenderEdit):
            raise ConfigError(f"not an edit: {edit!r}")
        if edit.kind in seen:
            raise ConfigError(f"the edit chain has more than one {edit.kind.value} edit")
        seen.add(edit.kind)
        if isinstance(edit, Speed):
            params = dataclasses.replace(params, speed=edit.factor)
        elif isinstance(edit, FrameRate):
            params = dataclasses.replace(params, fps=edit.fps)
        elif isinstance(edit, Reencode):
            params = dataclasses.replace(params, crf=edit.crf, bitrate_kbps=edit.bitrate_kbps)
    return spatial, params


def reseed(edit: Edit, seed: int) -> Edit:
    """`edit` with its random seed (if it has one) mixed with a render seed; seed 0 changes
    nothing, so a chain rendered with seed 0 is exactly the chain given."""
    if seed == 0 or not any(f.name == "seed" for f in dataclasses.fields(edit)):  # type: ignore[arg-type]
        return edit
    mixed = (edit.seed + seed * 1_000_003) % 2**63  # type: ignore[attr-defined]
    return dataclasses.replace(edit, seed=mixed)  # type: ignore[type-var]
