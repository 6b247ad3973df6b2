"""The numpy head: folding, zero rows, the file format and its errors."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from vidtrace.descriptors.head import Head, HeadConfig
from vidtrace.errors import ConfigError

from .heads import random_head


def unfolded(head: Head, x: np.ndarray) -> np.ndarray:
    """The head's formula written out branch by branch, in float64."""
    a = {k: v.astype(np.float64) for k, v in head.arrays.items()}
    subs = [x @ w.T + b for w, b in zip(a["sub_weight"], a["sub_bias"], strict=True)]
    down = x @ a["down_weight"].T + a["down_bias"]
    if head.config.aux:
        mixed = np.concatenate(subs, axis=1) @ a["pred_weight"].T + a["pred_bias"]
    else:
        mixed = np.mean(subs, axis=0)
    y = mixed + down
    return y / np.linalg.norm(y, axis=1, keepdims=True)


@pytest.mark.parametrize("aux", [True, False])
def test_apply_is_the_formula_and_zero_rows_stay_zero(aux: bool) -> None:
    head = random_head(0, input_dim=32, k=4, dim=16, aux=aux)
    x = np.random.default_rng(1).normal(size=(5, 32)).astype(np.float32)
    x[2] = 0.0
    y = head.apply(x)
    assert y.dtype == np.float32 and y.shape == (5, 16)
    assert not y[2].any()
    rows = [0, 1, 3, 4]
    assert np.allclose(y[rows], unfolded(head, x[rows].astype(np.float64)), atol=1e-5)
    assert np.allclose(np.linalg.norm(y[rows], axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match=r"float32\[T, 32\]"):
        head.apply(np.zeros((2, 31), np.float32))


def test_save_load_round_trip_and_stable_digest(tmp_path: Path) -> None:
    head = random_head(0)
    written = head.save(tmp_path / "sub" / "head")  # suffix added, folder made
    assert written == tmp_path / "sub" / "head.npz"
    again = Head.load(written)
    assert again.config == head.config
    assert all(np.array_equal(again.arrays[k], v) for k, v in head.arrays.items())
    assert again.digest == head.digest and len(head.digest) == 12
    assert head.save(tmp_path / "copy.npz").read_bytes() == written.read_bytes()
    assert random_head(1).digest != head.digest
    assert not list(tmp_path.rglob("*.tmp"))


def test_load_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.npz"
    with pytest.raises(ConfigError, match=rf"{missing}: no such head file; train one with "
                       r"`vidtrace train FOLDER --out"):
        Head.load(missing)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(random_head(0).to_bytes()[:300])
    with pytest.raises(ConfigError, match=rf"{corrupt}: not a readable head file .*train it "
                       "again with `vidtrace train`"):
        Head.load(corrupt)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(ConfigError, match=rf"{other}: not a vidtrace head"):
        Head.load(other)
    # a valid file whose arrays do not fit its config
    good = random_head(0).save(tmp_path / "good.npz")
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.namelist():
            if item != "pred_bias.npy":
                dst.writestr(item, src.read(item))
    with pytest.raises(ConfigError, match=rf"{bad}: damaged head .*pred_bias"):
        Head.load(bad)


def test_config_checks() -> None:
    with pytest.raises(ConfigError, match="head setting k must be a positive integer"):
        HeadConfig(512, k=0)
    with pytest.raises(ConfigError, match="head backbone"):
        HeadConfig(512, backbone="learned:/x.npz")
