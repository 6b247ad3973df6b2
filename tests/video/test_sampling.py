"""The sampling modes of `iter_frames` on real footage: "keyframes" yields exactly the key frames
(by the file's own packet flags, or by a GOP we encoded), "scene" follows a hard cut at once, a
pan closely and a static shot every 2/fps s, and both report bad files and bad settings as
clearly as "fixed"."""

from collections.abc import Iterable
from fractions import Fraction
from itertools import chain, islice, repeat
from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import CLIPS, remux_with_offset
from tests.media import decode_frames
from vidtrace.errors import ConfigError, VideoError
from vidtrace.settings import Sampling
from vidtrace.video.decode import iter_frames
from vidtrace.video.sampling import SCENE_MAX_GAP, SCENE_MIN_GAP
from vidtrace.video.seek import frames_at

HIGHWAY = CLIPS / "udacity_highway_lanes.mp4"
FLOWER = CLIPS / "mdn_flower.mp4"
BUNNY = CLIPS / "big_buck_bunny_0-30s.webm"
RATE = 25  # frame rate of the videos encoded here
PERIOD = 1 / RATE
# Small frames keep full decodes fast; the resize path is the same at every size.
SMALL = {"short_side": 96, "max_long_side": 192}
CUT_S = 3.0  # the scene video: still-ish flower, a hard cut at 3 s to a pan,
STATIC_S = (6.0, 10.0)  # then the pan's last frame held still


def _encode(frames: Iterable[np.ndarray], out: Path, gop: int) -> Path:
    """RGB uint8[180, 320, 3] `frames` encoded with libx264 at RATE fps, frame k at k / RATE s,
    a key frame every `gop` frames and nowhere else (no scene-cut key frames), no B-frames."""
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"preset": "ultrafast", "crf": "20",
                          "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"}
        for k, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = k, Fraction(1, RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


def _source_frames(path: Path, count: int) -> list[np.ndarray]:
    """The first `count` frames of a 16:9 shipped clip at 320x180."""
    return [image for _, image in islice(iter_frames(path, None, 180, 320), count)]


def _pan(image: np.ndarray, count: int, step: int) -> list[np.ndarray]:
    """`count` 320x180 windows sliding right across `image` by `step` pixels a frame."""
    return [np.ascontiguousarray(image[:180, k * step: k * step + 320]) for k in range(count)]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Videos encoded from the shipped clips at 320x180, 25 fps, H.264 without B-frames:
    "gop25": the 221 frames of udacity_highway_lanes.mp4 (8.84 s), a key frame every 25 frames
    (at 0, 1, ..., 8 s); "intra": its first 100 frames (4 s), every frame a key frame;
    "scene" (10 s, a key frame every 2 s): the first 75 frames of mdn_flower.mp4 (a flower
    swaying a little; 0-3 s), a hard cut to a pan across Big Buck Bunny's forest at 20 s (a
    640x360 frame, 4 pixels a frame, the picture's width in 3.2 s; 3-6 s), then the pan's last
    frame held still for 4 s (6-10 s)."""
    folder = tmp_path_factory.mktemp("sampling")
    highway = _source_frames(HIGHWAY, 300)
    flower = _source_frames(FLOWER, 75)
    forest = frames_at(BUNNY, [20.0], 360, 640)[0]
    assert len(highway) == 221 and len(flower) == 75 and forest is not None
    pan = _pan(forest, round((STATIC_S[0] - CUT_S) * RATE), 4)
    held = repeat(pan[-1], round((STATIC_S[1] - STATIC_S[0]) * RATE))
    return {
        "gop25": _encode(highway, folder / "gop25.mp4", 25),
        "intra": _encode(highway[:100], folder / "intra.mp4", 1),
        "scene": _encode(chain(flower, pan, held), folder / "scene.mp4", 50),
    }


def _keyframe_packet_times(path: Path) -> np.ndarray:
    """Times (s, from the first frame) of the packets the demuxer flags as key frames."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        assert time_base is not None
        pts = [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.pts is not None]
    origin = min(p for p, _ in pts)
    return np.array(sorted(float((p - origin) * time_base) for p, key in pts if key))


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())


def test_modes_are_exported() -> None:
    assert [m.value for m in Sampling] == ["fixed", "keyframes", "scene"]


def test_keyframes_of_a_known_gop(media: dict[str, Path]) -> None:
    times, frames = decode_frames(media["gop25"], None, **SMALL, sampling="keyframes")
    assert np.allclose(times, np.arange(9.0), atol=1e-3)
    assert frames.shape == (9, 96, 170, 3) and frames.dtype == np.uint8
    # a cap looser than the GOP keeps them all; one of 0.6 fps keeps every other one
    assert np.allclose(decode_frames(media["gop25"], 1.0, **SMALL, sampling="keyframes")[0],
                       np.arange(9.0), atol=1e-3)
    capped, _ = decode_frames(media["gop25"], 0.6, **SMALL, sampling="keyframes")
    assert np.allclose(capped, [0.0, 2.0, 4.0, 6.0, 8.0], atol=1e-3)


@pytest.mark.parametrize("name", ["udacity_highway_lanes.mp4", "big_buck_bunny_0-30s.webm",
                                  "gop25"])
def test_keyframes_are_the_flagged_packets_with_the_pixels_of_a_full_decode(
    name: str, media: dict[str, Path]
) -> None:
    """H.264 with a key frame every 1.2 s, VP8 with key frames 0.08-5.3 s apart, our GOP."""
    path = media.get(name, CLIPS / name)
    times, frames = decode_frames(path, None, **SMALL, sampling="keyframes")
    expected = _keyframe_packet_times(path)
    assert len(times) == len(expected) >= 8
    assert np.allclose(times, expected, atol=1e-3) and np.all(np.diff(times) > 0)
    all_times, all_frames = decode_frames(path, None, **SMALL)
    index = np.searchsorted(all_times, times - 1e-3)
    assert np.allclose(all_times[index], times, atol=1e-6)
    assert max(_mse(a, b) for a, b in zip(frames, all_frames[index], strict=True)) < 1.0


def test_keyframes_cap_on_an_all_intra_file(media: dict[str, Path]) -> None:
    every, _ = decode_frames(media["intra"], None, **SMALL, sampling="keyframes")
    assert len(every) == 100 and np.allclose(np.diff(every), PERIOD, atol=1e-3)
    times, frames = decode_frames(media["intra"], 2.0, **SMALL, sampling="keyframes")
    # the first frame at least 0.5 s after the last kept one: 13 frames (0.52 s) apart
    gaps = np.diff(times)
    assert np.allclose(gaps, 13 * PERIOD, atol=1e-3)
    assert times[0] == 0.0 and len(times) == 8 and len(frames) == 8


def test_keyframes_do_not_call_a_long_last_gop_truncated() -> None:
    """mdn_flower.mp4 is 5.05 s long with its last key frame at 3.0 s."""
    times, _ = decode_frames(FLOWER, None, **SMALL, sampling="keyframes")
    assert np.allclose(times, [0.0, 3.003], atol=1e-3)


def test_scene_follows_the_cut_and_holds_still_shots(media: dict[str, Path]) -> None:
    fps = 1.0
    times, frames = decode_frames(media["scene"], fps, **SMALL, sampling="scene")
    gaps = np.diff(times)
    assert times[0] == 0.0 and np.all(gaps > 0)
    assert gaps.min() >= SCENE_MIN_GAP / fps - 1e-3
    assert gaps.max() <= SCENE_MAX_GAP / fps + PERIOD + 1e-3
    # the swaying flower drifts past the threshold slowly (once, at 1.64 s, against frame 0)
    swaying = times[times < CUT_S - 1e-3]
    assert 2 <= len(swaying) <= 3 and np.all(np.diff(swaying) >= 1.0)
    # a frame within one frame after the cut, showing the forest, not the flower
    after = times[times >= CUT_S - 1e-3]
    assert after[0] <= CUT_S + PERIOD + 1e-3
    all_times, all_frames = decode_frames(media["scene"], None, **SMALL)
    cut = frames[np.searchsorted(times, CUT_S - 1e-3)]
    forest = all_frames[np.searchsorted(all_times, CUT_S + 0.04)]
    flower = all_frames[np.searchsorted(all_times, CUT_S - 0.2)]
    assert _mse(cut, forest) < 0.2 * _mse(cut, flower)
    # the pan is followed at up to 4x fps, several times more often than the 2/fps rule
    panning = times[(times > CUT_S) & (times < STATIC_S[0])]
    assert len(panning) >= 6
    # the static stretch gets a frame every 2/fps s, and nothing more
    still = times[(times >= STATIC_S[0] - 1e-3) & (times < STATIC_S[1])]
    before = times[times < STATIC_S[0] - 1e-3][-1]
    assert len(still) == 2
    assert np.allclose(np.diff([before, *still]), SCENE_MAX_GAP / fps, atol=PERIOD + 1e-3)
    assert frames.shape[1:] == (96, 170, 3) and frames.dtype == np.uint8


def test_scene_gaps_scale_with_the_rate(media: dict[str, Path]) -> None:
    """The same file at 2 fps: the static stretch gets a frame every 1 s, and gaps never fall
    below 0.125 s or exceed 1 s and a frame."""
    times, _ = decode_frames(media["scene"], 2.0, **SMALL, sampling="scene")
    gaps = np.diff(times)
    assert gaps.min() >= SCENE_MIN_GAP / 2.0 - 1e-3
    assert gaps.max() <= SCENE_MAX_GAP / 2.0 + PERIOD + 1e-3
    still = times[times >= STATIC_S[0] + 1.0]
    assert len(still) >= 3
    assert np.allclose(np.diff(still), SCENE_MAX_GAP / 2.0, atol=PERIOD + 1e-3)


@pytest.mark.parametrize(
    ("sampling", "fps", "message"),
    [
        ("dense", 1.0, "unknown sampling mode 'dense'; choose one of fixed, keyframes, scene"),
        ("scene", None, "scene sampling needs a rate"),
        ("keyframes", 0.0, "fps=0.0 must be a positive finite rate"),
        ("scene", -1.0, "fps=-1.0 must be a positive finite rate"),
        ("fixed", float("inf"), "fps=inf must be a positive finite rate"),
        ("fixed", float("nan"), "fps=nan must be a positive finite rate"),
    ],
)
def test_bad_settings_raise_config_error_at_the_call(sampling: str, fps: float | None,
                                                    message: str) -> None:
    with pytest.raises(ConfigError) as info:
        iter_frames(HIGHWAY, fps, sampling=sampling)  # not even iterated
    assert message in str(info.value)
    with pytest.raises(ConfigError):
        decode_frames("/nonexistent/clip.mp4", fps, sampling=sampling)


@pytest.mark.parametrize("sampling", ["keyframes", "scene"])
@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("truncated_mp4", "truncated"),
        ("text_file_as_video", "cannot be read as a video"),
        ("empty_file", "empty file (0 bytes)"),
        ("zero_length_mkv", "zero-length"),
        ("audio_only_webm", "has no video stream"),
    ],
)
def test_bad_files_raise_one_clear_error(sampling: str, fixture: str, reason: str,
                                         request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    with pytest.raises(VideoError) as info:
        decode_frames(path, 1.0, **SMALL, sampling=sampling)
    message = str(info.value)
    assert message.startswith(str(path)) and reason in message
    assert "\n" not in message


def test_truncated_file_in_keyframes_mode_is_told_by_its_packets(tmp_path: Path) -> None:
    """The first 60 % of udacity_highway_lanes.mp4 (8.84 s) remuxed to Matroska: its last key
    frame (4.8 s) is a key frame's interval before where its packets stop (5.3 s), and the
    error gives the latter, as "fixed" sampling does."""
    whole = remux_with_offset(HIGHWAY, tmp_path / "highway.mkv", 0.0)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    messages = []
    for sampling in ("fixed", "keyframes"):
        with pytest.raises(VideoError, match=r"declares 8\.8 s of video but decoding stops at "
                           r"[3-6]\.\d s") as info:
            decode_frames(cut, None, **SMALL, sampling=sampling)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
