"""Pair-level micro average precision: the VSC 2022 descriptor-track metric, and the matching
track's auxiliary pairwise metric. Part of the evaluate stage; numpy in, numpy out.

A prediction here is a (query id, reference id) pair with a score; the ground truth is the set of
pairs that hold a copy. Predicted pairs are ranked by score, best first, and every group of equal
scores is one threshold k:

    P_k = (true pairs among predictions scoring >= s_k) / (predictions scoring >= s_k)
    R_k = (true pairs among predictions scoring >= s_k) / (ground-truth pairs)
    uAP = sum over k of P_k * (R_k - R_(k-1))

This is the challenge's canonical figure (`drivendata_average_precision` in
facebookresearch/vsc2022 `vsc/metrics.py`: scikit-learn's average precision, which takes each
distinct score as one threshold, rescaled by predicted positives / ground-truth positives so that
recall counts every ground-truth pair, predicted or not). Ground-truth pairs are a set (a pair
listed twice counts once, as the codebase's `CandidatePair.from_matches` makes them).

Descriptor track (`descriptor_pair_scores`): the inner products of every query frame descriptor
with every reference frame descriptor; the `global_k` largest over all query frames are kept;
a pair's score is the largest of its kept similarities; pairs are ranked by it and, in the
vsc2022 codebase, the best 25 per query video kept (`DescriptorProtocol`).
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from pathlib import Path

import numpy as np

from vidtrace.types import FrameSet, Match

Pair = tuple[str, str]


def pair_scores_from_matches(predictions: Mapping[str, Sequence[Match] | None]) -> dict[
        Pair, float]:
    """The best score of each (query id, reference id) pair among predicted matches; queries are
    keyed by file name or id (the pair uses the name without suffix)."""
    out: dict[Pair, float] = {}
    for name, matches in predictions.items():
        qid = Path(name).stem
        for m in matches or []:
            key = (qid, m.ref_id)
            out[key] = max(out.get(key, -np.inf), float(m.score))
    return out


def pair_precision_recall(truth: Collection[Pair], scores: Mapping[Pair, float]) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and score (float64, (g,)) after each of the g groups of equal-score
    predicted pairs, best first (the curve behind `pair_micro_ap`). Recall is all zeros when the
    ground truth has no pair."""
    true_pairs = set(truth)
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    points, correct, seen = [], 0, 0
    for score, group in groupby(ranked, key=lambda item: item[1]):
        for pair, _ in group:
            seen += 1
            correct += pair in true_pairs
        points.append((correct / seen, correct / len(true_pairs) if true_pairs else 0.0, score))
    arr = np.array(points, dtype=np.float64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def pair_micro_ap(truth: Collection[Pair], scores: Mapping[Pair, float]) -> float | None:
    """Micro average precision of scored pairs against the ground-truth pairs (module
    docstring), in [0, 1]; None when the ground truth has no pair."""
    if not set(truth):
        return None
    precision, recall, _ = pair_precision_recall(truth, scores)
    return float(np.sum(precision * np.diff(np.concatenate([[0.0], recall]))))


def global_knn(xq: np.ndarray, xb: np.ndarray, k: int, min_similarity: float | None = None,
               block: int = 1 << 22) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k largest inner products between rows of xq (nq, d) and xb (nb, d) over all pairs of
    rows, exactly (ties at the k-th value broken arbitrarily, as faiss does); with
    `min_similarity`, only those above it. Returns (query row, base row, similarity), int64,
    int64, float32 (n,), best first; n <= k. Computed by blocks of about `block` products."""
    xq = np.ascontiguousarray(xq, dtype=np.float32)
    xb = np.ascontiguousarray(xb, dtype=np.float32)
    nq, nb = len(xq), len(xb)
    k = min(k, nq * nb)
    floor = -np.inf if min_similarity is None else float(min_similarity)
    best_i = np.zeros(0, dtype=np.int64)  # flat index q * nb + b
    best_s = np.zeros(0, dtype=np.float32)
    rows = max(1, block // max(nb, 1))
    for start in range(0, nq if k > 0 else 0, rows):
        sims = (xq[start:start + rows] @ xb.T).ravel()
        bar = max(floor, float(best_s.min())) if len(best_s) >= k else floor
        cand = np.flatnonzero(sims > bar)
        if len(cand) > k:
            cand = cand[np.argpartition(-sims[cand], k - 1)[:k]]
        best_i = np.concatenate([best_i, cand + start * nb])
        best_s = np.concatenate([best_s, sims[cand]])
        if len(best_s) > k:
            keep = np.argpartition(-best_s, k - 1)[:k]
            best_i, best_s = best_i[keep], best_s[keep]
    order = np.argsort(-best_s, kind="stable")
    best_i, best_s = best_i[order], best_s[order]
    return best_i // max(nb, 1), best_i % max(nb, 1), best_s


class DescriptorProtocol(StrEnum):
    """How many frame similarities and pairs the descriptor-track evaluation keeps.

    VSC2022: the facebookresearch/vsc2022 codebase's `descriptor_eval.py` (the challenge
    paper's evaluation): the 1,200 x (query videos) largest similarities, then the best
    25 x (query videos) pairs. DRIVENDATA: the DrivenData runtime's `generate_rankings.py`:
    the 10 x (query descriptors) largest similarities above 0, every pair they reach.
    """

    VSC2022 = "vsc2022"
    DRIVENDATA = "drivendata"

    def limits(self, query_videos: int, query_rows: int) -> tuple[int, int | None, float | None]:
        """(global_k, max_pairs, min_similarity) for a query set of this size."""
        if self is DescriptorProtocol.VSC2022:
            return 1200 * query_videos, 25 * query_videos, None
        return 10 * query_rows, None, 0.0


def _stack(sets: Sequence[FrameSet]) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.concatenate([fs.vectors for fs in sets]) if sets else np.zeros((0, 1))
    owner = np.repeat(np.arange(len(sets)), [len(fs) for fs in sets])
    return vectors, owner


def descriptor_pair_scores(queries: Sequence[FrameSet], references: Sequence[FrameSet],
                           global_k: int, max_pairs: int | None = None,
                           min_similarity: float | None = None) -> dict[Pair, float]:
    """Scored (query id, reference id) pairs of the descriptor track: the largest similarity of
    each pair among the `global_k` largest frame similarities (`global_knn`), the best
    `max_pairs` pairs when given. Ids are `FrameSet.video_id`."""
    xq, q_owner = _stack(queries)
    xb, b_owner = _stack(references)
    if len(xq) == 0 or len(xb) == 0:
        return {}
    if xq.shape[1] != xb.shape[1]:
        raise ValueError(f"{xq.shape[1]}-d query descriptors against {xb.shape[1]}-d ones")
    qi, bi, sims = global_knn(xq, xb, global_k, min_similarity)
    code = q_owner[qi] * len(references) + b_owner[bi]
    order = np.lexsort((-sims, code))  # by pair, best similarity first
    first = np.ones(len(order), dtype=bool)
    first[1:] = code[order][1:] != code[order][:-1]
    best = order[first]
    best = best[np.argsort(-sims[best], kind="stable")]
    if max_pairs is not None:
        best = best[:max_pairs]
    return {(queries[int(code[i]) // len(references)].video_id,
             references[int(code[i]) % len(references)].video_id): float(sims[i]) for i in best}


@dataclass(frozen=True)
class DescriptorAP:
    """The descriptor-track figure: micro AP (None without ground-truth pairs), the protocol,
    how many frame similarities were kept and how many pairs were scored."""

    ap: float | None
    protocol: DescriptorProtocol
    global_k: int
    pairs_scored: int
    true_pairs: int

    def to_json(self) -> dict[str, object]:
        return {"micro_ap": self.ap, "protocol": self.protocol.value, "global_k": self.global_k,
                "pairs_scored": self.pairs_scored, "true_pairs": self.true_pairs}


def descriptor_micro_ap(truth: Iterable[Pair], queries: Sequence[FrameSet],
                        references: Sequence[FrameSet],
                        protocol: DescriptorProtocol = DescriptorProtocol.VSC2022
                        ) -> DescriptorAP:
    """VSC 2022 descriptor-track micro AP of query and reference frame descriptors against the
    ground-truth pairs, under `protocol`'s limits."""
    true_pairs = set(truth)
    global_k, max_pairs, floor = protocol.limits(len(queries), sum(len(q) for q in queries))
    scores = descriptor_pair_scores(queries, references, global_k, max_pairs, floor)
    return DescriptorAP(pair_micro_ap(true_pairs, scores), protocol, global_k, len(scores),
                        len(true_pairs))
