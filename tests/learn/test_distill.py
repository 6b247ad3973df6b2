"""Issue 20: teacher vectors in the pairs, the distillation term, the identity start, the
frame test's library distractors, the folded head, the frame bank."""

from pathlib import Path

import numpy as np
import pytest

from tests.learn.heads import random_head
from vidtrace.errors import ConfigError
from vidtrace.learn.distractors import FrameBank, library_frames
from vidtrace.learn.pairs import PairSet, PairSpec, make_pairs
from vidtrace.learn.train import evaluate_frames, micro_ap
from vidtrace.synth import EditKind


def _pairs(n: int, d: int, teacher_dim: int, seed: int = 0) -> PairSet:
    rng = np.random.default_rng(seed)

    def unit(shape: tuple[int, int]) -> np.ndarray:
        x = rng.normal(size=shape).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    teacher = unit((n, teacher_dim)) if teacher_dim else np.zeros((n, 0), np.float32)
    return PairSet(unit((n, d)), unit((n, d)), np.array(["crop"] * n),
                   np.array([f"v{i % 3}" for i in range(n)]), np.arange(n, dtype=float) * 2,
                   np.arange(n, dtype=float), np.arange(n) // 4, "sscd-fast", "fast/1",
                   teacher, unit((n, teacher_dim)) if teacher_dim else teacher,
                   "sscd" if teacher_dim else "", "sscd/1" if teacher_dim else "")


def test_teacher_vectors_round_trip_subset_and_as_teacher(tmp_path: Path) -> None:
    p = _pairs(12, 8, 6)
    back = PairSet.load(p.save(tmp_path / "p.npz"))
    assert np.array_equal(back.teacher_copies, p.teacher_copies)
    assert (back.teacher, back.teacher_version) == ("sscd", "sscd/1")
    sub = back.subset(back.segments == 1)
    assert sub.teacher_anchors.shape == (4, 6) and np.array_equal(
        sub.teacher_anchors, p.teacher_anchors[4:8])
    t = back.as_teacher()
    assert t.backbone == "sscd" and t.dim == 6 and t.teacher == ""
    assert np.array_equal(t.copies, p.teacher_copies)
    plain = _pairs(5, 8, 0)
    assert plain.teacher_anchors.shape == (5, 0)
    with pytest.raises(ConfigError, match="made without a teacher"):
        plain.as_teacher()
    with pytest.raises(ValueError, match="teacher vectors need a teacher name"):
        PairSet(p.anchors, p.copies, p.kinds, p.video_ids, p.times, p.copy_times, p.segments,
                "sscd-fast", "", p.teacher_anchors, p.teacher_copies)


def test_version_1_cache_loads_without_teacher(tmp_path: Path) -> None:
    """A cache written before issue 20 (version 1, no teacher arrays) still reads."""
    import json

    p = _pairs(4, 8, 0)
    meta = {"format": "vidtrace-pairs", "version": 1, "backbone": "sscd",
            "backbone_version": "x"}
    path = tmp_path / "old.npz"
    np.savez(path, meta=np.array(json.dumps(meta)), anchors=p.anchors, copies=p.copies,
             kinds=p.kinds, video_ids=p.video_ids, times=p.times, copy_times=p.copy_times,
             segments=p.segments)
    back = PairSet.load(path)
    assert len(back) == 4 and back.teacher == "" and back.teacher_anchors.shape == (4, 0)


def test_make_pairs_describes_both_sides_with_the_teacher(pair_clips: list[Path]) -> None:
    spec = PairSpec(n_pairs=6, segment_s=(3.0, 3.5), kinds=(EditKind.CROP,), max_extra=0,
                    render_short_side=144, seed=1)
    p = make_pairs(pair_clips, spec, backbone="sscd-fast", teacher="sscd")
    assert p.teacher == "sscd" and p.teacher_version.startswith("sscd/")
    assert p.teacher_anchors.shape == p.anchors.shape == (len(p), 512)
    assert np.allclose(np.linalg.norm(p.teacher_copies, axis=1), 1.0, atol=1e-3)
    # the student and its teacher see the same frames: far more alike than random 512-d pairs
    assert (p.anchors * p.teacher_anchors).sum(axis=1).mean() > 0.5
    assert (p.teacher_anchors * p.teacher_copies).sum(axis=1).mean() > 0.5


def test_library_distractors_make_the_frame_test_harder() -> None:
    """A library frame of another video equal to a copy takes rank 1 from its anchor; a
    library frame of the right video at the right time counts as right."""
    e = np.eye(4, dtype=np.float32)
    anchors, copies = e[:2], np.stack([e[0], e[1]])
    videos, times = np.array(["v", "w"]), np.array([1.0, 1.0])
    plain = evaluate_frames(None, anchors, copies, ["a", "a"], videos, times)
    assert plain.overall.recall_at_1 == 1.0
    library = (np.stack([e[0], e[1]]), np.array(["x", "w"]), np.array([5.0, 1.2]))
    hard = evaluate_frames(None, anchors, copies, ["a", "a"], videos, times, library=library)
    # copy 0: library "x" ties its anchor and ranks after it (row order), AP 1; copy 1: its
    # anchor and the "w" library frame 0.2 s away are both right
    assert hard.overall.recall_at_1 == 1.0 and hard.overall.map == 1.0
    # a library frame of another video closer to copy 0 than its own anchor: rank 1 is wrong
    near = 0.8 * e[0] + 0.6 * e[3]
    library = (np.stack([e[0]]), np.array(["x"]), np.array([5.0]))
    worse = evaluate_frames(None, np.stack([near, e[1]]), copies, ["a", "b"], videos, times,
                            library=library)
    assert worse.per_kind["a"].recall_at_1 == 0.0 and worse.per_kind["a"].map == 0.5
    assert worse.per_kind["b"].recall_at_1 == 1.0 and worse.overall.queries == 2


def test_folded_head_gives_the_same_vectors() -> None:
    head = random_head(4, input_dim=32, k=3, dim=16)
    x = np.random.default_rng(0).normal(size=(9, 32)).astype(np.float32)
    x[2] = 0
    folded = head.as_folded()
    assert folded.config.k == 1 and not folded.config.aux
    assert np.abs(folded.apply(x) - head.apply(x)).max() < 1e-5
    assert len(folded.to_bytes()) < len(head.to_bytes()) / 2


def test_frame_bank_round_trip_and_errors(tmp_path: Path, pair_clips: list[Path]) -> None:
    bank = library_frames(pair_clips[:1], 2.0, "sscd-fast")
    assert 4 <= len(bank) <= 6 and bank.teacher_vectors.shape == (len(bank), 0)
    assert np.allclose(np.diff(bank.times), 2.0, atol=0.1)
    assert set(bank.video_ids) == {pair_clips[0].stem}
    back = FrameBank.load(bank.save(tmp_path / "bank.npz"))
    assert np.array_equal(back.vectors, bank.vectors) and back.backbone == "sscd-fast"
    with pytest.raises(ConfigError, match="made without a teacher"):
        bank.as_teacher()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    with pytest.raises(ConfigError, match=f"{bad}: not a readable frame bank"):
        FrameBank.load(bad)


def test_micro_ap_ranks_all_queries_by_score() -> None:
    """Three queries: a right match at 0.9, a query whose video is not in the database
    matching wrongly at 0.8, a right match at 0.7: precision 1 then 2/3 -> (1 + 2/3) / 2."""
    e = np.eye(3, dtype=np.float32)
    db, db_ids, db_t = e, np.array(["a", "b", "c"]), np.zeros(3)
    q = np.stack([0.9 * e[0] + 0.1 * e[2], 0.8 * e[1], 0.7 * e[2]])
    ids, t = np.array(["a", "z", "c"]), np.zeros(3)
    assert micro_ap(q, ids, t, db, db_ids, db_t) == pytest.approx((1 + 2 / 3) / 2)
    # the unmatched query scoring lowest costs nothing; a wrong time is a miss
    q2 = np.stack([q[0], 0.1 * e[1], q[2]])
    assert micro_ap(q2, ids, t, db, db_ids, db_t) == pytest.approx(1.0)
    assert micro_ap(q2, ids, np.array([0.0, 0.0, 2.0]), db, db_ids, db_t) == pytest.approx(0.5)
