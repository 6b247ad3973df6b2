"""Stage 7 (learn): training the head on a `PairSet`, and frame-level retrieval scores.

`train_head` needs torch (the `[train]` extra) and imports it when called; `evaluate_frames` is
numpy only. Batches put several pairs of the same video together (BATCH_VIDEOS videos per batch)
so that other moments of the same video, the hardest negatives, are in every batch.
"""

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vidtrace.descriptors.head import Head, HeadConfig
from vidtrace.errors import ConfigError
from vidtrace.learn.pairs import PairSet

if TYPE_CHECKING:
    from vidtrace.learn.model import LossConfig

TRAIN_EXTRA_HINT = "vidtrace train needs the [train] extra: pip install 'vidtrace[train]'"
BATCH_PAIRS = 64
BATCH_VIDEOS = 4  # a batch takes its pairs from this many videos
LEARNING_RATE = 1e-4
WEIGHT_DECAY = 5e-4
# A reference frame within this many seconds of a copy frame's true time is a right answer.
MATCH_TOLERANCE_S = 0.5

# Called with (stage, done, total): stage "train" counts optimiser steps.
Progress = Callable[[str, int, int], None]


def need_torch() -> None:
    """ConfigError with the install command when torch is missing."""
    if importlib.util.find_spec("torch") is None:
        raise ConfigError(TRAIN_EXTRA_HINT)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation: `epochs` passes over the pairs in batches of `batch_pairs`, Adam with
    `lr` and `weight_decay`; `seed` fixes initialisation and batch order; `device` "cpu",
    "cuda" or None (cuda when available); `threads` torch's CPU threads while training (the
    model is small: one thread is fastest, and much faster than two on a busy machine);
    `identity_start`: the untrained head is the backbone itself (HeadModel)."""

    epochs: int = 20
    batch_pairs: int = BATCH_PAIRS
    lr: float = LEARNING_RATE
    weight_decay: float = WEIGHT_DECAY
    seed: int = 0
    device: str | None = None
    threads: int = 1
    identity_start: bool = False

    def __post_init__(self) -> None:
        if (self.epochs <= 0 or self.batch_pairs < 2 or not self.lr > 0
                or self.weight_decay < 0 or self.threads <= 0):
            raise ConfigError("training: epochs, lr and threads must be positive, batch_pairs "
                              "at least 2 and weight_decay at least 0")


def batches(video_ids: np.ndarray, batch_pairs: int, rng: np.random.Generator
            ) -> list[np.ndarray]:
    """One epoch of batches (row indices), each drawn from up to BATCH_VIDEOS videos: every
    pair once, videos visited in proportion to their pairs."""
    pools = {v: list(rng.permutation(np.flatnonzero(video_ids == v)))
             for v in np.unique(video_ids)}
    per_video = max(1, batch_pairs // BATCH_VIDEOS)
    out: list[np.ndarray] = []
    current: list[int] = []
    while pools:
        names = sorted(pools)
        weights = np.array([len(pools[v]) for v in names], dtype=np.float64)
        v = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        take, pools[v] = pools[v][:per_video], pools[v][per_video:]
        if not pools[v]:
            del pools[v]
        current.extend(int(i) for i in take)
        if len(current) >= batch_pairs:
            out.append(np.asarray(current[:batch_pairs]))
            current = current[batch_pairs:]
    if len(current) >= 2:
        out.append(np.asarray(current))
    return out


def train_head(
    pairs: PairSet | str | Path, head_config: HeadConfig | None = None,
    loss_config: "LossConfig | None" = None, train_config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
) -> tuple[Head, list[dict[str, float]]]:
    """Train a head on `pairs` (or the feature cache at that path); returns the head and the
    history, one {"loss", "nce", "mi", "dis", "distill"} of per-step means per epoch.
    Deterministic for a seed on one device. head_config defaults to HeadConfig(pairs.dim) on
    the pairs' backbone.

    InfoNCE grows with the negatives while the bank fills (log of their number), so compare
    "nce" across epochs only once the bank is full, or with a bank of 0."""
    need_torch()
    import torch

    from vidtrace.learn.model import LossConfig

    data = pairs if isinstance(pairs, PairSet) else PairSet.load(pairs)
    if len(data) < 2:
        raise ConfigError(f"training needs at least 2 pairs, got {len(data)}")
    config = head_config or HeadConfig(data.dim, backbone=data.backbone,
                                       backbone_version=data.backbone_version)
    if config.input_dim != data.dim:
        raise ConfigError(f"the head takes {config.input_dim}-d vectors but the pairs are "
                          f"{data.dim}-d ({data.backbone})")
    lc = loss_config or LossConfig()
    if lc.distill > 0 and data.teacher_anchors.shape[1] != config.dim:
        raise ConfigError(f"distillation needs pairs with teacher vectors of the head's "
                          f"dimension {config.dim}; these have "
                          f"{data.teacher_anchors.shape[1] or 'none'} "
                          f"({data.teacher or 'no teacher'})")
    threads = torch.get_num_threads()
    torch.set_num_threads(train_config.threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(train_config.seed)
            return _fit(data, config, lc, train_config, progress)
    finally:
        torch.set_num_threads(threads)


def _fit(data: PairSet, config: HeadConfig, loss_config: "LossConfig", tc: TrainConfig,
         progress: Progress | None) -> tuple[Head, list[dict[str, float]]]:
    """The training loop of `train_head`, with torch's generator already seeded."""
    import torch

    from vidtrace.learn.model import DMILoss, HeadModel

    device = torch.device(tc.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    codes = np.unique(data.video_ids, return_inverse=True)[1]
    anchors = torch.from_numpy(data.anchors).to(device)
    copies = torch.from_numpy(data.copies).to(device)
    videos = torch.from_numpy(codes.astype(np.int64)).to(device)
    times = torch.from_numpy(data.times).to(device)
    targets = torch.from_numpy(data.teacher_anchors).to(device)
    model = HeadModel(config, tc.identity_start).to(device)
    with torch.no_grad():
        names = list(model.parts(anchors[:1]).views())
    loss_fn = DMILoss(loss_config, names)
    optimiser = torch.optim.Adam(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    rng = np.random.default_rng(tc.seed)
    plan = [batches(data.video_ids, tc.batch_pairs, rng) for _ in range(tc.epochs)]
    total, done = sum(len(p) for p in plan), 0
    history: list[dict[str, float]] = []
    for epoch in plan:
        sums: dict[str, float] = {}
        for rows in epoch:
            idx = torch.from_numpy(rows).to(device)
            terms = loss_fn(model.parts(anchors[idx]), model.parts(copies[idx]), videos[idx],
                            times[idx], targets[idx] if loss_config.distill > 0 else None)
            optimiser.zero_grad()
            terms["loss"].backward()
            optimiser.step()
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
            done += 1
            if progress is not None:
                progress("train", done, total)
        history.append({k: v / len(epoch) for k, v in sums.items()})
    return model.cpu().to_head(), history


@dataclass(frozen=True)
class RetrievalScores:
    """Frame retrieval over `queries` copy frames: mean average precision and recall@1."""

    map: float
    recall_at_1: float
    queries: int


@dataclass(frozen=True)
class FrameEval:
    """Scores over all copy frames and per edit kind."""

    overall: RetrievalScores
    per_kind: dict[str, RetrievalScores] = field(default_factory=dict)


def evaluate_frames(head: Head | None, anchors: np.ndarray, copies: np.ndarray,
                    kinds: Sequence[str] | np.ndarray, video_ids: Sequence[str] | np.ndarray,
                    times: Sequence[float] | np.ndarray,
                    tolerance_s: float = MATCH_TOLERANCE_S,
                    library: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                    ) -> FrameEval:
    """Each copy frame (float32[N, d] `copies`, row i made from reference time times[i] of
    video_ids[i]) searches all N anchor frames by inner product, after `head` when given (None:
    the plain backbone), and the M frames of `library` when given ((vectors float32[M, d],
    video ids [M], times [M]): e.g. every frame of the references, `FrameBank`). A right answer
    is any database frame of the same video within `tolerance_s` of the true time (its own
    anchor and near-identical neighbours alike); every other frame, other moments of the same
    video included, is a distractor. Ties rank in row order."""
    db, db_vids, db_t = (np.asarray(anchors, np.float32), np.asarray(video_ids),
                         np.asarray(times, np.float64))
    if library is not None:
        db = np.concatenate([db, np.asarray(library[0], np.float32)])
        db_vids = np.concatenate([db_vids, np.asarray(library[1])])
        db_t = np.concatenate([db_t, np.asarray(library[2], np.float64)])
    a = head.apply(db) if head is not None else db
    c = head.apply(copies) if head is not None else np.asarray(copies, np.float32)
    vids, t = np.asarray(video_ids), np.asarray(times, np.float64)
    right = (vids[:, None] == db_vids[None, :]) & (
        np.abs(t[:, None] - db_t[None, :]) <= tolerance_s)
    order = np.argsort(-(c @ a.T), axis=1, kind="stable")
    hits = np.take_along_axis(right, order, axis=1)
    precision = np.cumsum(hits, axis=1) / np.arange(1, len(a) + 1)
    ap = (precision * hits).sum(axis=1) / np.maximum(hits.sum(axis=1), 1)
    top1 = hits[:, 0].astype(np.float64)
    labels = np.asarray(kinds).astype(str)

    def scores(mask: np.ndarray) -> RetrievalScores:
        return RetrievalScores(float(ap[mask].mean()), float(top1[mask].mean()),
                               int(mask.sum()))

    return FrameEval(scores(np.ones(len(c), bool)),
                     {str(k): scores(labels == k) for k in sorted(set(labels))})


def micro_ap(query_vectors: np.ndarray, query_ids: np.ndarray, query_times: np.ndarray,
             db_vectors: np.ndarray, db_ids: np.ndarray, db_times: np.ndarray,
             tolerance_s: float = MATCH_TOLERANCE_S) -> float:
    """Micro-average precision (as DISC21 and VSC score copy detection): every query frame
    (float32[Q, d], with its video id and true time) keeps its best database match (float32[M,
    d]) and that match's score; all queries are ranked together by score, so a backbone whose
    copies score below other queries' wrong matches loses, as under one threshold end to end.
    A match is right when it is a frame of the query's video within `tolerance_s`; a query
    whose video has no frame in the database can only be a false positive. The share of
    queries that can be right is the recall's denominator."""
    q = np.asarray(query_vectors, np.float32)
    scores = q @ np.asarray(db_vectors, np.float32).T
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(q)), best]
    right = (np.asarray(db_ids)[best] == np.asarray(query_ids)) & (
        np.abs(np.asarray(db_times, np.float64)[best] - np.asarray(query_times)) <= tolerance_s)
    positives = int(np.isin(np.asarray(query_ids), np.asarray(db_ids)).sum())
    if positives == 0:
        return 0.0
    order = np.argsort(-top, kind="stable")
    hits = right[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / positives)
