"""Training pairs from real footage: edit kinds covered, times mapped right, the cache, the
footage split."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PAIR_KINDS
from vidtrace.errors import ConfigError
from vidtrace.learn.pairs import PairSet, split_footage
from vidtrace.learn.train import evaluate_frames


def test_pairs_cover_the_kinds_and_videos(sscd_fast_pairs: PairSet,
                                          pair_clips: list[Path]) -> None:
    p = sscd_fast_pairs
    assert len(p) == 56 and p.dim == 512 and p.backbone == "sscd-fast"
    assert p.backbone_version.startswith("sscd_distilled/")
    assert set(p.kinds) == {k.value for k in PAIR_KINDS}
    assert set(p.video_ids) <= {c.stem for c in pair_clips} and len(set(p.video_ids)) >= 2
    assert np.allclose(np.linalg.norm(p.anchors, axis=1), 1.0, atol=1e-3)
    # copy frames every 0.5 s (on the frame grid, 1/10 s at worst); a speed-changed copy maps
    # them 0.5 x speed apart in the reference
    for seg in np.unique(p.segments):
        rows = p.segments == seg
        assert np.allclose(np.diff(p.copy_times[rows]), 0.5, atol=0.11)
        steps = np.diff(p.times[rows]) / np.diff(p.copy_times[rows])
        assert np.ptp(steps) < 0.15 and 0.75 <= steps.mean() <= 1.55
        if p.kinds[rows][0] != "speed":
            assert steps.mean() == pytest.approx(1.0, abs=0.1)


def test_each_copy_frame_shows_its_anchor(sscd_fast_pairs: PairSet) -> None:
    """A copy frame is closer to its own anchor than to the anchor of its video 2 s away, and
    outside picture-in-picture it finds its moment first among all anchors."""
    p = sscd_fast_pairs
    own = (p.anchors * p.copies).sum(axis=1)
    closer = []
    for i in range(len(p)):
        same = np.flatnonzero((p.video_ids == p.video_ids[i])
                              & (np.abs(np.abs(p.times - p.times[i]) - 2.0) < 0.3))
        if len(same):
            closer.append(own[i] > (p.anchors[same] @ p.copies[i]).max())
    assert len(closer) > 20 and np.mean(closer) > 0.8
    plain = evaluate_frames(None, p.anchors, p.copies, p.kinds, p.video_ids, p.times)
    others = [s for k, s in plain.per_kind.items() if k != "pip"]
    assert min(s.recall_at_1 for s in others) >= 0.6
    assert sum(s.queries for s in others) + plain.per_kind["pip"].queries == len(p)


def test_cache_round_trip_and_errors(sscd_fast_pairs: PairSet, tmp_path: Path) -> None:
    path = sscd_fast_pairs.save(tmp_path / "pairs.npz")
    back = PairSet.load(path)
    assert np.array_equal(back.anchors, sscd_fast_pairs.anchors)
    assert list(back.kinds) == list(sscd_fast_pairs.kinds)
    assert (back.backbone, back.backbone_version) == (sscd_fast_pairs.backbone,
                                                      sscd_fast_pairs.backbone_version)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match=f"{bad}: not a readable pair cache .*delete it"):
        PairSet.load(bad)
    fit, held = sscd_fast_pairs.held_back(0.25)
    assert len(fit) + len(held) == len(sscd_fast_pairs) and len(held) > 0
    assert not set(fit.segments) & set(held.segments)


def test_split_footage_is_by_name_deterministic_and_disjoint() -> None:
    names = [f"clip_{i:02d}.mp4" for i in range(60)]
    train, held = split_footage([Path("/a") / n for n in names])
    again, _ = split_footage([Path("/elsewhere/b") / n for n in reversed(names)])
    assert sorted(p.name for p in again) == [p.name for p in train]
    assert not {p.name for p in train} & {p.name for p in held}
    assert len(train) + len(held) == 60 and 12 <= len(train) <= 28
