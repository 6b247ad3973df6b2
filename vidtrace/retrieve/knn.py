"""Candidate reference videos ranked by the k nearest reference frames of each query frame
(the hits a store's search returns, vidtrace.types.FrameHits).

Two ways to rank candidates from the same hits (docs/strategies.md):
- `vote` (seed 002): every query frame votes once for each video among its k neighbours,
  weighted by how far its best similarity to that video rises above `floor`. A video's score is
  the summed vote over the query's frames (frequency x similarity), read as a similarity.
- `bipartite` (seed 001): query frames and a video's frames form a bipartite graph whose edges
  are the hits; the score is the weight of a maximum-weight one-to-one matching, so a video
  whose one frame resembles every query frame (a still, a title card) earns one edge, not many.
"""

import numpy as np

from vidtrace.types import FrameHits

# bipartite matching is solved for at most this many times `top` videos, chosen by vote
BIPARTITE_POOL = 4


def _best_per_frame(hits: FrameHits, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query frame, video, similarity) of the best hit of each (query frame, video) pair among
    hits at or above floor."""
    keep = hits.sim >= floor
    q, r, s = hits.query_frame[keep], hits.ref_key[keep], hits.sim[keep]
    order = np.lexsort((-s, r, q))
    q, r, s = q[order], r[order], s[order]
    first = np.ones(len(q), dtype=bool)
    first[1:] = (q[1:] != q[:-1]) | (r[1:] != r[:-1])
    return q[first], r[first], s[first]


def _ranked(videos: np.ndarray, scores: np.ndarray, top: int) -> list[tuple[int, float]]:
    best = np.argsort(-scores, kind="stable")[:top]
    return [(int(videos[i]), float(scores[i])) for i in best]


def rank_vote(hits: FrameHits, n_query_frames: int, floor: float, top: int
              ) -> list[tuple[int, float]]:
    """The best `top` references as (store key, score), score descending.

    score = sum over query frames of max(sim - floor, 0) for that video / n_query_frames, then
    shifted back by `floor` so it reads as a similarity; videos with no hit above floor are cut.
    """
    if n_query_frames == 0 or not np.any(hits.sim >= floor):
        return []
    _q, r, s = _best_per_frame(hits, floor)
    videos, inverse = np.unique(r, return_inverse=True)
    totals = np.zeros(len(videos))
    np.add.at(totals, inverse, s - floor)
    return _ranked(videos, totals / n_query_frames + floor, top)


def matching_weight(query_frame: np.ndarray, ref_frame: np.ndarray, weight: np.ndarray
                    ) -> float:
    """Total weight of a maximum-weight one-to-one matching of the bipartite graph whose edges
    are (query_frame[i], ref_frame[i]) with positive `weight[i]` (a repeated edge keeps its
    largest weight)."""
    if len(weight) == 0:
        return 0.0
    # Imported here: scipy.optimize takes about 0.7 s to import, a quarter of a cold `vidtrace
    # query`, and only the non-default bipartite ranking needs it (docs/speed.md).
    from scipy.optimize import linear_sum_assignment

    qs, qi = np.unique(query_frame, return_inverse=True)
    rs, ri = np.unique(ref_frame, return_inverse=True)
    W = np.zeros((len(qs), len(rs)))
    np.maximum.at(W, (qi, ri), weight)
    rows, cols = linear_sum_assignment(W, maximize=True)
    return float(W[rows, cols].sum())


def rank_bipartite(hits: FrameHits, n_query_frames: int, floor: float, top: int
                   ) -> list[tuple[int, float]]:
    """The best `top` references as (store key, score) by one-to-one matching weight.

    score = weight of the maximum matching between query frames and the video's frames with
    edge weights sim - floor, / n_query_frames, + floor. The matching is solved for the best
    BIPARTITE_POOL x top videos by `rank_vote` (whose score bounds it from above)."""
    pool = rank_vote(hits, n_query_frames, floor, BIPARTITE_POOL * top)
    if not pool:
        return []
    keep = hits.sim >= floor
    videos = np.array([v for v, _ in pool])
    scores = np.zeros(len(videos))
    for i, v in enumerate(videos):
        m = keep & (hits.ref_key == v)
        total = matching_weight(hits.query_frame[m], hits.ref_frame[m], hits.sim[m] - floor)
        scores[i] = total / n_query_frames + floor
    return _ranked(videos, scores, top)
