"""The `pdq` backend on real frames: exact PDQ bits as +-1/16 components, robust to re-encoding
and scaling, indifferent to unrelated footage."""

import cv2
import numpy as np
import pdqhash
import pytest

from tests.conftest import CLIPS
from tests.media import decode_frames
from vidtrace.descriptors import create_descriptor
from vidtrace.descriptors.base import bits_from_signs
from vidtrace.settings import Metric
from vidtrace.video.borders import prepare_frame


@pytest.fixture(scope="module")
def flower_frames() -> np.ndarray:
    """The 5 frames of the shipped mdn_flower.mp4 (5 s) at 1 frame/s, prepared 224 x 224."""
    _, frames = decode_frames(CLIPS / "mdn_flower.mp4", 1.0, 288, 512)
    return np.stack([prepare_frame(f, 224) for f in frames])


@pytest.fixture(scope="module")
def highway_frames() -> np.ndarray:
    """8 frames of the shipped udacity_highway_lanes.mp4 at 1 frame/s, prepared 224 x 224."""
    _, frames = decode_frames(CLIPS / "udacity_highway_lanes.mp4", 1.0, 288, 512)
    return np.stack([prepare_frame(f, 224) for f in frames[:8]])


def test_vectors_are_the_pdq_bits(flower_frames: np.ndarray) -> None:
    d = create_descriptor("pdq")
    assert (d.dim, d.metric) == (256, Metric.HAMMING)
    v = d.describe(flower_frames)
    assert v.shape == (5, 256) and v.dtype == np.float32
    assert np.allclose(np.abs(v), 1 / 16)
    bits, _ = pdqhash.compute(flower_frames[3])
    assert np.array_equal(np.unpackbits(bits_from_signs(v[3:4]), axis=1)[0], bits > 0)
    # the inner product is 1 - 2 * hamming / 256
    hamming = int(np.sum((v[0] > 0) != (v[4] > 0)))
    assert float(v[0] @ v[4]) == pytest.approx(1 - 2 * hamming / 256, abs=1e-6)


def test_edited_frame_close_unrelated_far(flower_frames: np.ndarray,
                                         highway_frames: np.ndarray) -> None:
    d = create_descriptor("pdq")
    # JPEG quality 30 after scaling to 40 %: what a re-encoded, downscaled upload does
    edited = []
    for f in flower_frames:
        small = cv2.resize(f, (90, 90), interpolation=cv2.INTER_AREA)
        ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 30])
        assert ok
        edited.append(cv2.resize(cv2.imdecode(jpg, cv2.IMREAD_COLOR), (224, 224)))
    a, b = d.describe(flower_frames), d.describe(np.stack(edited))
    same = (a * b).sum(axis=1)
    assert same.min() > 0.6, same
    unrelated = d.describe(highway_frames) @ a.T
    assert abs(float(unrelated.mean())) < 0.15 and unrelated.max() < 0.45


def test_rejects_bad_frames() -> None:
    with pytest.raises(ValueError, match="uint8"):
        create_descriptor("pdq").describe(np.zeros((2, 32, 32, 3), np.float32))
