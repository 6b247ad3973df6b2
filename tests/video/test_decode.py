"""Decoding real clips at a sampling rate, and clear errors for every kind of bad file."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS
from vidtrace.errors import VideoError
from vidtrace.video import decode_frames, probe
from vidtrace.video.decode import output_size


def test_samples_one_frame_per_second_resized_with_aspect_kept() -> None:
    times, frames = decode_frames(CLIPS / "big_buck_bunny_0-30s.webm", 1.0, 224, 400)
    assert len(times) == 30
    assert np.allclose(times, np.arange(30), atol=1 / 24 + 1e-6)
    assert frames.shape == (30, 224, 398, 3) and frames.dtype == np.uint8
    # consecutive samples of real footage differ; a frozen decoder would repeat them
    assert np.abs(frames[5].astype(int) - frames[15].astype(int)).mean() > 5


def test_sampling_rate_changes_frame_count() -> None:
    t2, _ = decode_frames(CLIPS / "mdn_flower.mp4", 2.0)
    t1, _ = decode_frames(CLIPS / "mdn_flower.mp4", 1.0)
    assert len(t2) in (2 * len(t1) - 1, 2 * len(t1))
    assert np.all(np.diff(t2) > 0.4)


def test_probe_reads_container_facts() -> None:
    info = probe(CLIPS / "udacity_highway_lanes.mp4")
    assert (info.width, info.height, info.codec) == (960, 540, "h264")
    assert 8.5 < info.duration < 9.0 and 24.9 < info.fps < 25.1


def test_output_size_keeps_aspect_and_caps_long_side() -> None:
    assert output_size(1280, 720, 224, 400) == (398, 224)
    assert output_size(720, 1280, 224, 400) == (224, 398)
    assert output_size(2400, 300, 224, 400) == (400, 50)


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("truncated_mp4", "is truncated"),
        ("text_file_as_video", "cannot be read as a video"),
        ("empty_file", "empty file (0 bytes)"),
        ("zero_length_mkv", "zero-length"),
        ("audio_only_webm", "has no video stream"),
    ],
)
def test_bad_files_raise_one_clear_error(fixture: str, reason: str,
                                         request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    with pytest.raises(VideoError) as info:
        decode_frames(path, 1.0)
    message = str(info.value)
    assert message.startswith(str(path)) and reason in message
    assert "\n" not in message


def test_missing_file_and_folder() -> None:
    with pytest.raises(VideoError, match="no such file"):
        decode_frames("/nonexistent/clip.mp4", 1.0)
    with pytest.raises(VideoError, match="is a folder"):
        decode_frames(CLIPS, 1.0)
