"""ORB geometric verification on real frames of the shipped clips, edited by the transformation
engine: scaled and cropped, mirrored and picture-in-picture copies pass, unrelated frames fail."""

import itertools
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import CLIPS
from vidtrace.retrieve.orb import (
    MIN_INLIERS,
    Keypoints,
    PairCheck,
    Pooling,
    inlier_score,
    keypoints,
    verify_candidate,
    verify_pair,
)
from vidtrace.synth import Crop, HFlip, PictureInPicture, Scale, SpatialEdit, render_copy
from vidtrace.video.decode import output_size
from vidtrace.video.seek import frames_at

BUNNY = CLIPS / "big_buck_bunny_0-30s.webm"
HIGHWAY = CLIPS / "udacity_highway_lanes.mp4"
FRIDAY = CLIPS / "mdn_friday_1940.mp4"
FLOWER = CLIPS / "mdn_flower.mp4"

# (clip, time_s) of the frames copied below: a cartoon, a dashcam, a black-and-white film.
SOURCES = [(BUNNY, 12.0), (HIGHWAY, 4.5), (FRIDAY, 3.0)]


def as_decoded(image: np.ndarray) -> np.ndarray:
    """`image` resized the way the pipeline decodes a query (short side 288, long side <= 512)."""
    width, height = output_size(image.shape[1], image.shape[0], 288, 512)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def edited(frame: np.ndarray, chain: list[SpatialEdit], t: float = 1.0) -> np.ndarray:
    """`frame` through the engine's spatial edits, then decoded-size: a copy's query frame."""
    for edit in chain:
        frame = edit.apply(frame, t)
    for edit in chain:
        edit.close()
    return as_decoded(frame)


@pytest.fixture(scope="module")
def source_frames() -> dict[str, np.ndarray]:
    """One 288p frame of each of SOURCES, keyed by the clip's stem, from `frames_at`."""
    out = {}
    for path, t in SOURCES:
        (frame,) = frames_at(path, [t])
        assert frame is not None
        out[path.stem] = frame
    return out


@pytest.fixture(scope="module")
def unrelated_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    """(query, reference) frames of different footage: three pairs across clips, and bunny
    frames 12 s apart (a different scene of the same film)."""
    bunny_a, bunny_b = frames_at(BUNNY, [8.0, 20.0])
    highway, friday, flower = (frames_at(p, [t])[0] for p, t in
                               [(HIGHWAY, 4.5), (FRIDAY, 3.0), (FLOWER, 2.5)])
    frames = [bunny_a, bunny_b, highway, friday, flower]
    assert all(f is not None for f in frames)
    return [(bunny_a, bunny_b), (highway, friday), (friday, flower), (flower, bunny_b)]  # type: ignore[list-item]


COPIES: dict[str, Callable[[], list[SpatialEdit]]] = {
    "crop+scale": lambda: [Crop(0.1, 0.15, 0.85, 0.9), Scale(0.7)],
    "hflip": lambda: [HFlip()],
    "pip": lambda: [PictureInPicture(str(FLOWER), offset_s=1.0, size=0.6, x=0.85, y=0.2)],
    "hflip+crop+pip": lambda: [HFlip(), Crop(0.05, 0.0, 0.95, 0.9),
                               PictureInPicture(str(BUNNY), offset_s=3.0, size=0.65, x=0.1)],
}


@pytest.fixture(scope="module")
def copy_checks(source_frames: dict[str, np.ndarray]) -> dict[tuple[str, str], PairCheck]:
    """verify_pair(copy, source frame) for every copy in COPIES of every source frame, keyed by
    (copy name, source clip stem)."""
    return {(name, source): verify_pair(edited(ref, make()), ref)
            for name, make in COPIES.items() for source, ref in source_frames.items()}


@pytest.mark.parametrize("name", sorted(COPIES))
@pytest.mark.parametrize("source", [p.stem for p, _ in SOURCES])
def test_edited_copies_verify(name: str, source: str,
                              copy_checks: dict[tuple[str, str], PairCheck]) -> None:
    check = copy_checks[name, source]
    assert check.flipped == ("hflip" in name)
    assert check.inliers >= 25 and check.score >= 0.6, check
    assert check.matches >= check.inliers


def test_unrelated_frames_score_low(unrelated_pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    for query, ref in unrelated_pairs:
        check = verify_pair(query, ref)
        assert check.inliers < MIN_INLIERS + 4 and check.score < 0.3, check


def test_copies_score_clearly_above_unrelated(
    copy_checks: dict[tuple[str, str], PairCheck],
    unrelated_pairs: list[tuple[np.ndarray, np.ndarray]],
) -> None:
    copies = [check.score for check in copy_checks.values()]
    unrelated = [verify_pair(q, r).score for q, r in unrelated_pairs]
    assert min(copies) > max(unrelated) + 0.4


def test_mirrored_copy_needs_the_mirrored_query(source_frames: dict[str, np.ndarray]) -> None:
    ref = source_frames["udacity_highway_lanes"]
    query = edited(ref, [HFlip()])
    plain = verify_pair(keypoints(query), ref)  # no mirror computed: the flip goes unseen
    both = verify_pair(keypoints(query, mirror=True), keypoints(ref))
    assert plain.score < 0.3 and not plain.flipped
    assert both.flipped and both.score > 0.9
    assert both == verify_pair(query, ref)  # precomputed keypoints give the same answer


def test_candidate_score_pools_pairs_and_skips_missing_frames(
    source_frames: dict[str, np.ndarray], unrelated_pairs: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    ref = source_frames["big_buck_bunny_0-30s"]
    copy = edited(ref, COPIES["pip"]())
    unrelated_query, _ = unrelated_pairs[1]
    one = verify_pair(copy, ref).score
    mean = verify_candidate([copy, None, unrelated_query], [ref, ref, ref])
    assert mean == pytest.approx((one + verify_pair(unrelated_query, ref).score) / 2)
    assert verify_candidate([copy, unrelated_query], [ref, ref], Pooling.MAX) == pytest.approx(one)
    assert verify_candidate([None], [ref]) == 0.0
    with pytest.raises(ValueError, match="aligned pairs"):
        verify_candidate([copy], [ref, ref])


def test_rendered_copy_video_verifies_against_its_reference(tmp_path: Path) -> None:
    """End to end: a copy of highway 2-4 s, mirrored, cropped and inset over the 1940 film,
    encoded as H.264 and decoded back; its frames match the reference at the copied times and
    not an unrelated video."""
    out = tmp_path / "copy.mp4"
    render_copy(HIGHWAY, out, start=2.0, end=4.0, short_side=288, crf=26, edits=[
        HFlip(), Crop(0.1, 0.1, 0.9, 0.9), PictureInPicture(str(FRIDAY), 1.0, 0.6, 0.9, 0.4)])
    query = frames_at(out, [0.3, 1.0, 1.7])
    refs = frames_at(HIGHWAY, [2.3, 3.0, 3.7])
    others = frames_at(FLOWER, [0.3, 1.0, 1.7])
    assert verify_candidate(query, refs) > 0.8
    assert verify_candidate(query, others, Pooling.MAX) < 0.2


def test_inlier_score_saturates_from_the_minimum() -> None:
    assert inlier_score(0) == inlier_score(MIN_INLIERS - 1) == 0.0
    scores = [inlier_score(n) for n in range(MIN_INLIERS, 200)]
    assert 0.0 < scores[0] < 0.1 and scores[-1] > 0.999
    assert all(a < b <= 1.0 for a, b in itertools.pairwise(scores))
    assert inlier_score(20) == pytest.approx(1 - np.exp(-13 / 15))


def test_records_and_frames_are_checked() -> None:
    with pytest.raises(ValueError, match="inliers <= matches"):
        PairCheck(matches=3, inliers=5, flipped=False, score=0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        PairCheck(matches=9, inliers=9, flipped=False, score=1.5)
    with pytest.raises(ValueError, match="descriptors"):
        Keypoints(np.zeros((4, 2), np.float32), np.zeros((3, 32), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        verify_pair(np.zeros((64, 64, 3), np.float32), np.zeros((64, 64, 3), np.uint8))
    blank = np.zeros((288, 512, 3), np.uint8)  # no corners at all: no keypoints, score 0
    assert verify_pair(blank, blank) == PairCheck(0, 0, False, 0.0)
