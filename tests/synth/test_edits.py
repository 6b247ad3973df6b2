"""Edits one by one on a real frame, their JSON round trip, checks and random draws."""

import json
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import ConfigError
from vidtrace.synth import (
    Blur,
    Border,
    Canvas,
    CanvasFill,
    CanvasPattern,
    Color,
    Corner,
    Crop,
    Edit,
    EditKind,
    EditPool,
    FrameRate,
    Grayscale,
    HFlip,
    Inset,
    Logo,
    Noise,
    PictureInPicture,
    Reencode,
    Rotate,
    RotateFill,
    Scale,
    SpatialEdit,
    Speed,
    Text,
    edit_from_json,
    random_chain,
    random_edit,
    split_chain,
)

from .footage import data_file


def examples(photo: Path, background: Path) -> list[Edit]:
    """At least one edit of every kind, with non-default parameters."""
    return [
        Crop(0.1, 0.2, 0.6, 0.7), Scale(0.5), Border(0.05, 0.1, 0.0, 0.1, (255, 0, 0)),
        Canvas(9, 16, CanvasFill.BLUR), Canvas(1, 1, CanvasFill.BLACK),
        Canvas(4, 5, CanvasFill.PATTERN, (200, 40, 40), CanvasPattern.CHECKS, 0.05),
        Canvas(1, 1, CanvasFill.FLAT, (0, 90, 200)), Canvas(9, 16, CanvasFill.MIRROR),
        PictureInPicture(str(background), 1.5, 0.4, 0.2, 0.8),
        PictureInPicture(str(background), 0.5, 0.25, 1.0, 0.0, 3, (255, 0, 0), True),
        Inset(str(background), 2.0, 0.3, 0.9, 0.1, 2, (255, 255, 0)), HFlip(),
        Color(0.1, 1.2, 0.8, 30.0, 1.4), Grayscale(), Blur(2.0), Noise(10.0, 42),
        Text("BREAKING NEWS", 0.1, 0.8, 0.08, (255, 255, 0), 0.2),
        Logo(image=str(photo), size=0.2, corner=Corner.BOTTOM_LEFT, opacity=0.8),
        Logo(text="TV5", corner=Corner.TOP_RIGHT), Rotate(-5.0, RotateFill.BLACK),
        Rotate(4.0, RotateFill.CROP), Rotate(15.0, RotateFill.BLUR),
        Rotate(-20.0, RotateFill.MIRROR), Speed(1.5), FrameRate(15), Reencode(bitrate_kbps=200),
        Reencode(crf=38),
    ]


@pytest.fixture(scope="module")
def all_edits(photo: Path, bikes_clip: Path) -> list[Edit]:
    return examples(photo, bikes_clip)


def test_examples_cover_every_kind(all_edits: list[Edit]) -> None:
    assert {e.kind for e in all_edits} == set(EditKind)


def test_every_edit_round_trips_through_json(all_edits: list[Edit]) -> None:
    for edit in all_edits:
        doc = json.loads(json.dumps(edit.to_json()))
        assert doc["kind"] == edit.kind.value
        back = edit_from_json(doc)
        assert back == edit, doc
        assert back.to_json() == doc


def test_every_spatial_edit_changes_a_real_frame_and_keeps_uint8(
    all_edits: list[Edit], highway_frame: np.ndarray
) -> None:
    for edit in all_edits:
        if not isinstance(edit, SpatialEdit):
            continue
        out = edit.apply(highway_frame, 0.5)
        edit.close()
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3, edit
        assert out.shape[0] % 2 == 0 and out.shape[1] % 2 == 0, edit
        if out.shape == highway_frame.shape:
            changed = np.any(np.abs(out.astype(int) - highway_frame) > 8, axis=2).mean()
            assert changed > 0.005, f"{edit} left the frame (almost) unchanged: {changed:.4f}"
    assert highway_frame.flags.writeable  # the fixture frame was not edited in place


@pytest.mark.parametrize(
    ("edit", "size"),
    [
        (Scale(0.5), (160, 90)),
        (Scale(1.7), (544, 306)),
        (Crop(0.1, 0.2, 0.6, 0.7), (160, 90)),
        (Border(0.0, 0.1, 0.0, 0.1), (320, 216)),
        (Border(0.25, 0.0, 0.0, 0.0), (400, 180)),
        (Canvas(9, 16), (180, 320)),
        (Canvas(4, 3), (320, 240)),
        (Rotate(5.0), (320, 180)),
    ],
)
def test_output_sizes(edit: SpatialEdit, size: tuple[int, int], highway_frame: np.ndarray) -> None:
    out = edit.apply(highway_frame, 0.0)
    assert (out.shape[1], out.shape[0]) == size


def test_crop_takes_the_box(highway_frame: np.ndarray) -> None:
    out = Crop(0.25, 0.5, 0.75, 1.0).apply(highway_frame, 0.0)
    assert np.array_equal(out, highway_frame[90:180, 80:240])


def test_border_and_canvas_pad_with_the_fill(highway_frame: np.ndarray) -> None:
    out = Border(0.0, 0.1, 0.0, 0.1, (0, 255, 0)).apply(highway_frame, 0.0)
    assert np.all(out[:18] == (0, 255, 0)) and np.array_equal(out[18:198], highway_frame)
    canvas = Canvas(9, 16, CanvasFill.BLACK).apply(highway_frame, 0.0)
    assert canvas[:100].max() == 0 and canvas[-100:].max() == 0  # bars above and below
    assert canvas[160].mean() > 30  # the picture in the middle
    blurred = Canvas(9, 16, CanvasFill.BLUR).apply(highway_frame, 0.0)
    assert blurred[:100].mean() > 30  # a blurred copy instead of black bars


def test_hflip_mirrors(highway_frame: np.ndarray) -> None:
    out = HFlip().apply(highway_frame, 0.0)
    assert np.array_equal(out, highway_frame[:, ::-1])
    assert np.array_equal(HFlip().apply(out, 0.0), highway_frame)


def test_rotate_corners(highway_frame: np.ndarray) -> None:
    black = Rotate(6.0, RotateFill.BLACK).apply(highway_frame, 0.0)
    assert black[0, 0].max() == 0 and black[-1, -1].max() == 0
    filled = Rotate(6.0, RotateFill.CROP).apply(highway_frame, 0.0)
    corners = [filled[0, 0], filled[0, -1], filled[-1, 0], filled[-1, -1]]
    assert min(int(c.max()) for c in corners) > 20


def test_color_identity_and_grayscale(highway_frame: np.ndarray) -> None:
    assert np.array_equal(Color().apply(highway_frame, 0.0), highway_frame)
    darker = Color(brightness=-0.2).apply(highway_frame, 0.0)
    assert darker.mean() < highway_frame.mean() - 30
    gray = Grayscale().apply(highway_frame, 0.0)
    assert np.array_equal(gray[..., 0], gray[..., 1]) and np.array_equal(gray[..., 1], gray[..., 2])
    desaturated = Color(saturation=0.0).apply(highway_frame, 0.0)
    assert np.abs(desaturated[..., 0].astype(int) - desaturated[..., 2]).max() <= 2


def test_noise_is_seeded_per_frame(highway_frame: np.ndarray) -> None:
    noise = Noise(8.0, seed=3)
    a, b = noise.apply(highway_frame, 1.0), noise.apply(highway_frame, 1.0)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, noise.apply(highway_frame, 1.04))
    assert not np.array_equal(a, Noise(8.0, seed=4).apply(highway_frame, 1.0))
    mid = (highway_frame > 30) & (highway_frame < 225)  # away from clipping
    residual = a.astype(np.float32)[mid] - highway_frame[mid]
    assert 7.0 < residual.std() < 9.0 and abs(residual.mean()) < 0.5


def test_text_scrolls_only_when_asked(highway_frame: np.ndarray) -> None:
    static = Text("LIVE", 0.1, 0.5, 0.1)
    assert np.array_equal(static.apply(highway_frame, 0.0), static.apply(highway_frame, 2.0))
    scrolling = Text("LIVE", 0.1, 0.5, 0.1, scroll=0.2)
    assert not np.array_equal(scrolling.apply(highway_frame, 0.0),
                              scrolling.apply(highway_frame, 2.0))
    # The caption is drawn where asked: the rows around y = 0.5 change, the top rows do not.
    out = static.apply(highway_frame, 0.0)
    assert np.array_equal(out[:40], highway_frame[:40])
    assert not np.array_equal(out[70:95], highway_frame[70:95])


def test_logo_sits_in_its_corner(highway_frame: np.ndarray, photo: Path) -> None:
    out = Logo(image=str(photo), size=0.2, corner=Corner.BOTTOM_RIGHT).apply(highway_frame, 0.0)
    changed = np.any(out != highway_frame, axis=2)
    ys, xs = np.nonzero(changed)
    assert ys.min() > 90 and xs.min() > 160  # only the bottom-right quarter
    assert 50 * 30 < changed.sum() < 70 * 50  # about 64x43 pixels of photo


def test_pip_insets_the_frame_over_other_footage(
    highway_frame: np.ndarray, bikes_clip: Path
) -> None:
    pip = PictureInPicture(str(bikes_clip), offset_s=1.0, size=0.5, x=0.0, y=0.0)
    try:
        first, later = pip.apply(highway_frame, 0.0), pip.apply(highway_frame, 3.0)
        back = pip.apply(highway_frame, 0.5)  # going back in time reopens the background
    finally:
        pip.close()
    inset = Scale(0.5).apply(highway_frame, 0.0)
    assert np.array_equal(first[:90, :160], inset)
    assert np.array_equal(back[:90, :160], inset)
    assert np.abs(first[100:, 170:].astype(int) - highway_frame[100:, 170:]).mean() > 20
    assert np.abs(first[100:].astype(int) - later[100:]).mean() > 5  # the background plays


def test_bad_parameters_raise_config_errors(photo: Path) -> None:
    with pytest.raises(ConfigError, match="scale edit: factor"):
        Scale(10.0)
    with pytest.raises(ConfigError, match="crop edit"):
        Crop(0.5, 0.5, 0.52, 0.9)
    with pytest.raises(ConfigError, match="canvas edit: fill must be one of black, blur"):
        Canvas(9, 16, "glitter")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="exactly one of image"):
        Logo(image=str(photo), text="TV5")
    with pytest.raises(ConfigError, match="not both"):
        Reencode(crf=30, bitrate_kbps=300)
    with pytest.raises(ConfigError, match="unknown edit kind 'warp'"):
        edit_from_json({"kind": "warp"})
    with pytest.raises(ConfigError, match="unknown parameter"):
        edit_from_json({"kind": "scale", "factor": 0.5, "zoom": 2})
    with pytest.raises(ConfigError, match="more than one speed edit"):
        split_chain([Speed(1.2), Scale(0.5), Speed(0.8)])
    with pytest.raises(ConfigError, match="cannot read the image"):
        Logo(image="/no/such/photo.png").apply(np.zeros((90, 160, 3), np.uint8), 0.0)


def test_split_chain_keeps_spatial_order() -> None:
    spatial, params = split_chain([Scale(0.5), Speed(1.2), HFlip(), Reencode(bitrate_kbps=300)])
    assert spatial == [Scale(0.5), HFlip()]
    assert (params.speed, params.fps, params.crf, params.bitrate_kbps) == (1.2, None, None, 300)


def test_random_edits_are_seeded_and_valid(bikes_clip: Path, photo: Path) -> None:
    pool = EditPool(backgrounds=[(bikes_clip, 10.0)], photos=[photo])
    for kind in EditKind:
        edit = random_edit(kind, np.random.default_rng(5), pool)
        assert edit.kind is kind
        assert edit_from_json(json.loads(json.dumps(edit.to_json()))) == edit
    chains = [random_chain(np.random.default_rng(s), pool) for s in (1, 1, 2)]
    assert chains[0] == chains[1] and chains[0] != chains[2]
    assert all(1 <= len(c) <= 3 and len({e.kind for e in c}) == len(c) for c in chains)
    no_pip = EditPool(photos=[data_file("photos/kodak/kodim01.png")])
    kinds = {e.kind for s in range(40) for e in random_chain(np.random.default_rng(s), no_pip)}
    assert EditKind.PIP not in kinds and len(kinds) >= 12
