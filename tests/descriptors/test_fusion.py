"""Fusion of backends (`a+b`): the fused inner product is the weighted mean of the parts'
similarities, on real frames."""

import numpy as np
import pytest

from tests.conftest import CLIPS
from tests.media import decode_frames
from vidtrace.descriptors import create_descriptor
from vidtrace.descriptors.fusion import parse_fusion
from vidtrace.errors import ConfigError
from vidtrace.video.borders import prepare_frame


def test_parse_weights_and_errors() -> None:
    assert parse_fusion("sscd+pdq") == [("sscd", 0.5), ("pdq", 0.5)]
    assert parse_fusion("sscd*3+pdq") == [("sscd", 0.75), ("pdq", 0.25)]
    for bad in ("sscd+", "sscd+sscd", "sscd*-1+pdq", "sscd*x+pdq"):
        with pytest.raises(ConfigError, match="fusion"):
            parse_fusion(bad)
    with pytest.raises(ConfigError, match="unknown descriptor 'nope'"):
        create_descriptor("sscd+nope")


def test_inner_product_is_the_weighted_mean_of_the_parts() -> None:
    _, frames = decode_frames(CLIPS / "mdn_stream_of_water.webm", 1.0, 288, 512)
    x = np.stack([prepare_frame(f, 224) for f in frames[:6]])
    fused = create_descriptor("sscd-fast*3+pdq")
    assert fused.dim == 512 + 256 and fused.ready and not fused.trainable
    assert "sscd_distilled" in fused.version and "pdq" in fused.version
    v = fused.describe(x)
    a = create_descriptor("sscd-fast").describe(x)
    b = create_descriptor("pdq").describe(x)
    expected = 0.75 * (a @ a.T) + 0.25 * (b @ b.T)
    assert np.allclose(v @ v.T, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
