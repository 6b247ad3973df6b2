"""Decoding real clips at a sampling rate, and clear errors for every kind of bad file."""

from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import CLIPS, remux_with_offset
from tests.media import decode_frames
from vidtrace.errors import VideoError
from vidtrace.video import probe
from vidtrace.video.decode import output_size

HIGHWAY = CLIPS / "udacity_highway_lanes.mp4"
# Small frames keep full decodes fast; the resize path is the same at every size.
SMALL = {"short_side": 96, "max_long_side": 192}


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


@pytest.fixture(scope="module")
def offset_highway(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The shipped udacity_highway_lanes.mp4 (H.264, 8.84 s, 25 fps, 221 frames) remuxed without
    re-encoding into Matroska, MP4 and MPEG-TS with every timestamp shifted by +10 s, so each
    file starts at 10 s of its container's clock: suffix -> path."""
    folder = tmp_path_factory.mktemp("offset")
    return {ext: remux_with_offset(HIGHWAY, folder / f"highway_offset.{ext}", 10.0)
            for ext in ("mkv", "mp4", "ts")}


@pytest.mark.parametrize("ext", ["mkv", "mp4", "ts"])
def test_start_offset_decodes_fully_with_times_from_zero(
    ext: str, offset_highway: dict[str, Path]
) -> None:
    path = offset_highway[ext]
    with av.open(str(path)) as container:  # the offset is really in the file
        assert container.start_time == 10_000_000
        # Matroska's Duration counts from time 0, so it includes the offset; the others do not
        assert container.duration is not None
        assert abs(container.duration / 1e6 - (18.84 if ext == "mkv" else 8.84)) < 0.01
    times, frames = decode_frames(path, None, **SMALL)
    plain_times, plain_frames = decode_frames(HIGHWAY, None, **SMALL)
    assert len(times) == len(plain_times) == 221
    assert times[0] == 0.0 and abs(times[-1] - plain_times[-1]) < 1e-3
    assert np.allclose(times, plain_times, atol=1e-3)
    assert np.abs(frames[-1].astype(int) - plain_frames[-1].astype(int)).mean() < 1.0


def test_truncated_file_with_start_offset_still_fails(
    offset_highway: dict[str, Path], tmp_path: Path
) -> None:
    """The first 60 % of the offset Matroska file: its length is told from its first frame."""
    data = offset_highway["mkv"].read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(VideoError, match=r"is truncated: it declares 8\.8 s of video but "
                       r"decoding stops at [3-6]\.\d s"):
        decode_frames(cut, 1.0, **SMALL)


def test_truncated_mp4_reports_declared_and_decoded_lengths(truncated_mp4: Path) -> None:
    with pytest.raises(VideoError, match=r"declares 8\.8 s of video but decoding stops at "
                       r"[3-6]\.\d s"):
        decode_frames(truncated_mp4, 1.0, **SMALL)
