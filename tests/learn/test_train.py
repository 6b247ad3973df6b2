"""Training on real pairs: the loss falls, runs repeat exactly, frame retrieval is scored
right."""

import numpy as np
import pytest

from vidtrace.descriptors.head import HeadConfig
from vidtrace.learn.pairs import PairSet
from vidtrace.learn.train import TrainConfig, batches, evaluate_frames

from .heads import random_head

SMALL = HeadConfig(512, k=3, dim=64, backbone="sscd-fast")


def test_loss_falls_and_training_repeats(sscd_fast_pairs: PairSet) -> None:
    pytest.importorskip("torch")
    from vidtrace.learn.model import LossConfig
    from vidtrace.learn.train import train_head

    # no bank: InfoNCE over the same number of negatives every epoch, comparable over time
    loss = LossConfig(bank_size=0)
    train = TrainConfig(epochs=10, batch_pairs=16, lr=1e-3, seed=4)
    steps: list[tuple[str, int, int]] = []
    head, history = train_head(sscd_fast_pairs, SMALL, loss, train,
                               progress=lambda *a: steps.append(a))
    assert len(history) == 10 and set(history[0]) == {"loss", "nce", "mi", "dis", "distill"}
    assert history[-1]["nce"] < 0.6 * history[0]["nce"]
    assert history[-1]["loss"] < history[0]["loss"]
    assert steps[-1][0] == "train" and steps[-1][1] == steps[-1][2] == len(steps)
    assert head.config == SMALL and head.dim == 64
    again, _ = train_head(sscd_fast_pairs, SMALL, loss, train)
    assert again.digest == head.digest
    other, _ = train_head(sscd_fast_pairs, SMALL, loss, TrainConfig(epochs=1, seed=5))
    assert other.digest != head.digest
    p = sscd_fast_pairs
    plain, trained = (evaluate_frames(h, p.anchors, p.copies, p.kinds, p.video_ids, p.times)
                      for h in (None, head))
    # on the pairs it was trained on (measured: mAP 0.72 plain, 0.82 with the head)
    assert trained.overall.map > plain.overall.map + 0.05


def test_batches_take_every_pair_once_from_few_videos() -> None:
    videos = np.array(["a"] * 40 + ["b"] * 30 + ["c"] * 20 + ["d"] * 10 + ["e"] * 5)
    epoch = batches(videos, 32, np.random.default_rng(0))
    rows = np.concatenate(epoch)
    assert sorted(rows.tolist()) == list(range(len(videos)))
    assert all(len(b) == 32 for b in epoch[:-1])
    assert all(len(set(videos[b])) <= 5 for b in epoch)
    assert np.mean([len(set(videos[b])) for b in epoch[:-1]]) <= 4.5


def test_evaluate_frames_by_hand() -> None:
    """Three videos, unit vectors on axes: the scores are known exactly."""
    e = np.eye(4, dtype=np.float32)
    anchors = np.stack([e[0], e[1], e[2], e[3]])
    # copy 0 finds anchor 0; copy 1 finds anchor 2 (wrong) then anchor 1; copy 2 and 3 right
    copies = np.stack([e[0], 0.8 * e[2] + 0.6 * e[1], e[2], e[3]])
    videos = np.array(["v", "v", "w", "x"])
    times = np.array([1.0, 1.3, 1.0, 1.0])  # anchors 0 and 1 are 0.3 s apart: both right
    r = evaluate_frames(None, anchors, copies, ["a", "a", "b", "b"], videos, times)
    # copy 0: right at ranks 1 and 2 (anchor 1 scores 0, tie broken in row order) -> AP 1
    # copy 1: ranks 2 (anchor 1) and 3 (anchor 0) right -> AP (1/2 + 2/3) / 2
    assert r.per_kind["a"].map == pytest.approx((1 + (0.5 + 2 / 3) / 2) / 2)
    assert r.per_kind["a"].recall_at_1 == 0.5 and r.per_kind["b"].map == 1.0
    assert r.overall.queries == 4 and r.overall.recall_at_1 == 0.75
    head = random_head(0, input_dim=4, k=2, dim=4)
    with_head = evaluate_frames(head, anchors, copies, ["a"] * 4, videos, times)
    assert 0.0 <= with_head.overall.map <= 1.0
