"""Reading frames by time and writing videos, checked against the pipeline's own decoder."""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import ConfigError, VideoError
from vidtrace.synth.videoio import Fit, FrameReader, VideoWriter, frame_size, output_rate

from .footage import decode_all, frame_at, mse


def test_reader_gives_the_frame_at_or_before_t(foreman_clip: Path) -> None:
    times, frames = decode_all(foreman_clip, 288)  # 352x288, native size
    with FrameReader(foreman_clip) as reader:
        assert reader.size == (352, 288) and reader.rate == pytest.approx(30.0, abs=0.01)
        for t in (0.0, 0.5, 0.51, 1.0 - 1e-4, 2.345, 9.9):
            got = reader.frame_at(t)
            assert got is not None and np.array_equal(got, frame_at(times, frames, t)), t
        end = times[-1] + 1 / 30
        assert reader.frame_at(end - 0.005) is not None
        assert reader.frame_at(end + 0.001) is None
        back = reader.frame_at(1.0)  # backwards: reopens the file
        assert back is not None and np.array_equal(back, frame_at(times, frames, 1.0))


def test_seeking_ahead_matches_decoding_through(small_reference: tuple[Path, list]) -> None:
    path, _ = small_reference
    with FrameReader(path) as sequential, FrameReader(path) as jumping:
        for t in np.arange(0.0, 15.0, 0.5):
            sequential.frame_at(float(t))
        a, b = sequential.frame_at(15.0), jumping.frame_at(15.0)  # one jump of 15 s: a seek
        assert a is not None and b is not None and np.array_equal(a, b)
        # it did seek rather than decode through
        assert jumping.frames_decoded < sequential.frames_decoded / 2


def test_fit_modes(bikes_clip: Path) -> None:
    # bikes is 640x272 (2.35:1); into 160x90 (16:9).
    with FrameReader(bikes_clip, (160, 90), Fit.LETTERBOX) as reader:
        boxed = reader.frame_at(1.0)
    with FrameReader(bikes_clip, (160, 90), Fit.COVER) as reader:
        covered = reader.frame_at(1.0)
    assert boxed is not None and covered is not None
    assert boxed.shape == covered.shape == (90, 160, 3)
    assert boxed[:8].max() <= 2 and boxed[-8:].max() <= 2  # letterbox bars of 11 rows
    assert boxed[20:70].mean() > 30
    assert covered[:8].mean() > 30  # cover fills the frame


def test_writer_round_trip(chaplin_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.mp4"
    with FrameReader(chaplin_clip, (160, 90)) as reader:
        source = [reader.frame_at(k / 25).copy() for k in range(30)]  # type: ignore[union-attr]
    with VideoWriter(out, 160, 90, 25, crf=10) as writer:
        for image in source:
            writer.write(image)
    times, frames = decode_all(out, 90)
    assert len(times) == 30 and times[0] == 0.0 and times[-1] == pytest.approx(29 / 25)
    assert max(mse(a, b) for a, b in zip(frames, source, strict=True)) < 20
    assert not (tmp_path / "w.part.mp4").exists()


def test_writer_and_sizes_reject_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="even"):
        VideoWriter(tmp_path / "odd.mp4", 161, 90, 25)
    with pytest.raises(ConfigError, match="frame rate"):
        output_rate(0)
    with pytest.raises(VideoError, match="no such file"):
        FrameReader(tmp_path / "missing.mp4")
    with VideoWriter(tmp_path / "x.mp4", 160, 90, 25) as writer, \
            pytest.raises(ConfigError, match="160x90"):
        writer.write(np.zeros((90, 160, 3), np.uint8))
        writer.write(np.zeros((90, 100, 3), np.uint8))
    assert (tmp_path / "x.mp4").is_file()
    with pytest.raises(ConfigError, match="no frames"):
        VideoWriter(tmp_path / "empty.mp4", 160, 90, 25).close()
    assert not (tmp_path / "empty.mp4").exists()
    assert frame_size(640, 480, 360) == (480, 360)
    assert frame_size(176, 144, 360) == (440, 360)
    assert output_rate(30000 / 1001) == output_rate(29.97002997) == Fraction(30000, 1001)
