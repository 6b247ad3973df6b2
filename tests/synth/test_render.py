"""Rendering copies and spliced queries: sizes, durations, and frame-exact ground truth, checked
by decoding the outputs with the pipeline's decoder and comparing them to the sources."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from vidtrace.errors import ConfigError, VideoError
from vidtrace.synth import (
    Border,
    CopyPiece,
    FillerPiece,
    FrameRate,
    HFlip,
    Noise,
    PictureInPicture,
    Reencode,
    Scale,
    Speed,
    compose_query,
    render_copy,
)
from vidtrace.types import CopySegment
from vidtrace.video import probe

from .footage import decode_all, frame_at, mse


def tiny(frame: np.ndarray) -> np.ndarray:
    """32x18 thumbnail: compares content while ignoring encoding detail and exact geometry."""
    return cv2.resize(frame, (32, 18), interpolation=cv2.INTER_AREA)


def test_scale_and_border_give_the_expected_size_and_duration(
    chaplin_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "q.mp4"
    truth = render_copy(chaplin_clip, out, start=2.0, end=5.5, short_side=144,
                        edits=[Scale(0.5), Border(0.0, 0.1, 0.0, 0.1)])
    assert truth.segments == (CopySegment("moviepy_chaplin", 0.0, 3.5, 2.0, 5.5),)
    assert truth.edits[0] == {"kind": "scale", "factor": 0.5}
    times, frames = decode_all(out, 86)
    # 640x360 -> 256x144 working size -> 128x72 -> 7 black rows above and below.
    assert frames.shape[1:] == (86, 128, 3)
    decoded_duration = times[-1] + 1 / 25
    assert decoded_duration == pytest.approx(truth.duration, abs=1e-3)
    assert abs(decoded_duration - truth.segments[0].query_end) <= 1 / 25
    assert frames[:, :6].max() < 20 and frames[:, -6:].max() < 20
    src_times, src = decode_all(chaplin_clip, 72)  # 128x72, the picture inside the borders
    for t in (0.2, 1.7, 3.3):
        q = frames[round(t * 25)][7:79]
        same = mse(q, frame_at(src_times, src, 2.0 + t))
        assert same < 40 and mse(q, frame_at(src_times, src, 2.0 + t + 1.5)) > 3 * same


def test_hflip_matches_the_mirrored_source(foreman_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "flip.mp4"
    render_copy(foreman_clip, out, start=3.0, end=5.0, edits=[HFlip()], short_side=144, crf=18)
    times, frames = decode_all(out, 144)
    src_times, src = decode_all(foreman_clip, 144)
    for t in (0.3, 1.0, 1.7):
        q = frame_at(times, frames, t).astype(int)
        same = np.abs(q - frame_at(src_times, src, 3.0 + t)[:, ::-1]).mean()
        later = np.abs(q - frame_at(src_times, src, 3.0 + t + 1.5)[:, ::-1]).mean()
        unflipped = np.abs(q - frame_at(src_times, src, 3.0 + t)).mean()
        assert same < 5.0 and later > 4 * same and unflipped > 4 * same


def test_speed_maps_every_frame_exactly(foreman_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "fast.mp4"
    truth = render_copy(foreman_clip, out, start=1.0, end=7.0, edits=[Speed(1.5)],
                        short_side=72, crf=12)
    assert truth.segments[0].query_end == pytest.approx(6.0 / 1.5)
    times, frames = decode_all(out, 72)
    assert times[-1] + 1 / 30 == pytest.approx(4.0, abs=1 / 30)
    src_times, src = decode_all(foreman_clip, 72)
    src_f = src.astype(np.float32)
    for t, frame in zip(times, frames, strict=True):
        expected = int(np.searchsorted(src_times, 1.0 + 1.5 * t + 1e-3, side="right")) - 1
        errors = ((src_f - frame.astype(np.float32)) ** 2).mean(axis=(1, 2, 3))
        assert int(np.argmin(errors)) == expected, f"query frame at {t:.3f} s"


@pytest.mark.parametrize(("speed", "fps"), [(0.8, None), (1.2, 15.0), (1.0, 60.0)])
def test_speed_and_frame_rate_set_duration_and_rate(
    foreman_clip: Path, tmp_path: Path, speed: float, fps: float | None
) -> None:
    out = tmp_path / "v.mp4"
    edits = [Speed(speed)] + ([FrameRate(fps)] if fps else [])
    truth = render_copy(foreman_clip, out, start=2.0, end=4.0, edits=edits, short_side=72)
    rate = fps or 30.0
    assert truth.segments[0].query_end == pytest.approx(2.0 / speed)
    times, _ = decode_all(out, 72)
    assert len(times) == int(np.ceil(2.0 / speed * rate - 1e-6))
    assert np.diff(times).mean() == pytest.approx(1 / rate, rel=1e-3)
    assert probe(out).fps == pytest.approx(rate, rel=1e-3)


def test_reencode_lowers_quality(foreman_clip: Path, tmp_path: Path) -> None:
    src_times, src = decode_all(foreman_clip, 144)
    sizes, errors = {}, {}
    for name, edits in (("plain", []), ("crf", [Reencode(crf=40)]),
                        ("kbps", [Reencode(bitrate_kbps=60)])):
        out = tmp_path / f"{name}.mp4"
        render_copy(foreman_clip, out, start=0.0, end=3.0, edits=edits, short_side=144)
        times, frames = decode_all(out, 144)
        sizes[name] = out.stat().st_size
        errors[name] = np.mean([mse(f, frame_at(src_times, src, t))
                                for t, f in zip(times[::10], frames[::10], strict=True)])
    assert sizes["crf"] < sizes["plain"] / 2 and sizes["kbps"] < sizes["plain"] / 2
    assert errors["crf"] > 2 * errors["plain"] and errors["kbps"] > 1.5 * errors["plain"]
    assert 30 < sizes["kbps"] * 8 / 3.0 / 1000 < 90  # about the asked 60 kbit/s


def test_compose_query_ground_truth_marks_the_copies(
    small_reference: tuple[Path, list], bikes_clip: Path, tmp_path: Path
) -> None:
    ref, _ = small_reference
    pieces: list[CopyPiece | FillerPiece] = [
        CopyPiece(ref, 2.0, 4.0),
        FillerPiece(bikes_clip, 5.0, 6.5),
        CopyPiece(ref, 12.0, 14.5, ref_id="refA"),
        FillerPiece(bikes_clip, 8.0, 9.0),
    ]
    out = tmp_path / "query.mp4"
    truth = compose_query(pieces, out, edits=[Speed(1.25), Scale(0.75)], short_side=108)
    assert [(s.ref_id, s.ref_start, s.ref_end) for s in truth.segments] == [
        ("ref_small", 2.0, 4.0), ("refA", 12.0, 14.5)]
    assert [(s.query_start, s.query_end) for s in truth.segments] == [
        pytest.approx((0.0, 1.6)), pytest.approx((2.8, 4.8))]
    assert truth.duration == pytest.approx(7.0 / 1.25)
    times, frames = decode_all(out, 80)
    assert frames.shape[1:] == (80, 144, 3)
    ref_times, ref_frames = decode_all(ref, 108)
    ref_tiny = np.stack([tiny(f) for f in ref_frames]).astype(np.float32)
    inside, outside = [], []
    for t, frame in zip(times, frames, strict=True):
        errors = ((ref_tiny - tiny(frame).astype(np.float32)) ** 2).mean(axis=(1, 2, 3))
        seg = next((s for s in truth.segments if s.query_start <= t < s.query_end - 1e-6), None)
        if seg is None:
            outside.append(errors.min())
            continue
        mapped = seg.ref_start + (t - seg.query_start) * 1.25
        i = int(np.searchsorted(ref_times, mapped + 1e-3, side="right")) - 1
        inside.append(errors[i])
        assert abs(int(np.argmin(errors)) - i) <= 1, f"query {t:.2f} s"
    assert len(inside) > 80 and len(outside) > 40
    assert max(inside) * 4 < min(outside)


def test_pip_and_noise_render_reproducibly(
    foreman_clip: Path, bikes_clip: Path, tmp_path: Path
) -> None:
    edits = [PictureInPicture(str(bikes_clip), 2.0, 0.5, 1.0, 1.0), Noise(6.0, seed=1)]
    a = render_copy(foreman_clip, tmp_path / "a.mp4", start=0.0, end=1.0, edits=edits,
                    short_side=144)
    b = render_copy(foreman_clip, tmp_path / "b.mp4", start=0.0, end=1.0, edits=edits,
                    short_side=144)
    c = render_copy(foreman_clip, tmp_path / "c.mp4", start=0.0, end=1.0, edits=edits,
                    short_side=144, seed=9)
    assert (a.segments, a.edits, a.duration) == (b.segments, b.edits, b.duration)
    assert a.segments == c.segments
    assert a.edits[1]["seed"] == 1 and c.edits[1]["seed"] != 1
    fa, fb, fc = (decode_all(tmp_path / f"{n}.mp4", 144)[1] for n in "abc")
    assert fa.shape == (30, 144, 176, 3)
    assert np.array_equal(fa, fb) and not np.array_equal(fa, fc)


def test_bad_pieces_are_refused(foreman_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad.mp4"
    with pytest.raises(ConfigError, match="lasts"):
        render_copy(foreman_clip, out, start=5.0, end=12.0)
    with pytest.raises(ConfigError, match="empty"):
        render_copy(foreman_clip, out, start=3.0, end=3.0)
    with pytest.raises(ConfigError, match="at least one piece"):
        compose_query([], out)
    with pytest.raises(VideoError, match="no such file"):
        render_copy(tmp_path / "missing.mp4", out, start=0.0, end=1.0)
    with pytest.raises(ConfigError, match="more than one fps"):
        render_copy(foreman_clip, out, start=0.0, end=1.0, edits=[FrameRate(10), FrameRate(20)])
    assert not out.exists() and not list(tmp_path.glob("*.part.*"))


def test_concat_videos_places_each_clip(
    small_reference: tuple[Path, list], foreman_clip: Path, chaplin_clip: Path
) -> None:
    ref, spans = small_reference
    assert [s[0] for s in spans] == [foreman_clip, chaplin_clip]
    assert spans[0][1] == 0.0 and spans[0][2] == spans[1][1]
    assert spans[0][2] == pytest.approx(probe(foreman_clip).duration, abs=1 / 25)
    assert spans[1][2] - spans[1][1] == pytest.approx(probe(chaplin_clip).duration, abs=1 / 25)
    times, frames = decode_all(ref, 108)
    assert times[-1] + 1 / 25 == pytest.approx(spans[1][2], abs=1e-3)
    src_times, src = decode_all(chaplin_clip, 108)  # same 16:9 aspect: no letterbox
    for x in (0.5, 3.3, 9.0):
        here = frame_at(times, frames, spans[1][1] + x)
        assert mse(here, frame_at(src_times, src, x)) < 30
        assert mse(here, frame_at(src_times, src, x - 0.4)) > 2 * mse(
            here, frame_at(src_times, src, x))
    # foreman (352x288) is letterboxed: black bars left and right of a 132-pixel-wide picture
    first = frame_at(times, frames, 1.0)
    assert first[:, :25].max() < 25 and first[:, -25:].max() < 25 and first[:, 40:150].mean() > 40
