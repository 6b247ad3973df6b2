"""Stage 1 by name, and the geometric re-ranking of "orb-rerank".

"orb-rerank" ranks by `rank_vote`, then checks the best `rerank_top` candidates on a few frame
pairs: for each, the query frames of its `RERANK_PAIRS` strongest hits (distinct query frames)
and the reference frames they hit are decoded again and compared by ORB keypoints with a RANSAC
similarity fit, the mirrored query too (`vidtrace.retrieve.orb`). The checked candidates are
re-ordered by that geometric score (ties keep the vote order); the others follow unchanged.
Each candidate's score stays its vote score, so thresholds do not depend on the re-ranking.
"""

from collections.abc import Callable, Sequence

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.retrieve.knn import FrameHits, rank_bipartite, rank_vote

STAGE1_METHODS = ("vote", "bipartite", "orb-rerank")
RERANK_PAIRS = 3

# frames(rowid or None for the query, times) -> RGB frames (None where a frame is missing)
FrameSource = Callable[[int | None, Sequence[float]], list[np.ndarray | None]]
# verify(query frames, reference frames) -> geometric score in [0, 1]
Verifier = Callable[[Sequence[np.ndarray | None], Sequence[np.ndarray | None]], float]


def strongest_pairs(hits: FrameHits, rowid: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(query frame indices, reference frame indices) of the `n` strongest hits on video
    `rowid`, one per query frame."""
    m = hits.ref_rowid == rowid
    q, f, s = hits.query_frame[m], hits.ref_frame[m], hits.sim[m]
    order = np.argsort(-s, kind="stable")
    _, first = np.unique(q[order], return_index=True)
    pick = order[np.sort(first)]
    pick = pick[np.argsort(-s[pick], kind="stable")][:n]
    return q[pick], f[pick]


def rerank_geometric(ranked: list[tuple[int, float]], hits: FrameHits, query_times: np.ndarray,
                     ref_times: Callable[[int], np.ndarray], frames: FrameSource,
                     verify: Verifier, top: int
                     ) -> tuple[list[tuple[int, float]], dict[int, float]]:
    """`ranked` with its first `top` candidates re-ordered by geometric score, and the scores
    of the candidates checked ({rowid: score})."""
    checked: dict[int, float] = {}
    for rowid, _ in ranked[:top]:
        qi, fi = strongest_pairs(hits, rowid, RERANK_PAIRS)
        if len(qi) == 0:
            checked[rowid] = 0.0
            continue
        q_frames = frames(None, [float(t) for t in query_times[qi]])
        r_frames = frames(rowid, [float(t) for t in ref_times(rowid)[fi]])
        checked[rowid] = float(verify(q_frames, r_frames))
    head = sorted(ranked[:top], key=lambda c: -checked[c[0]])  # stable: ties keep vote order
    return head + ranked[top:], checked


def rank(method: str, hits: FrameHits, n_query_frames: int, floor: float, top: int, *,
         rerank_top: int = 3, query_times: np.ndarray | None = None,
         ref_times: Callable[[int], np.ndarray] | None = None,
         frames: FrameSource | None = None) -> list[tuple[int, float]]:
    """The best `top` candidates as (catalog row, score) by stage-1 method `method`.
    "orb-rerank" needs `query_times`, `ref_times` and `frames` (to decode frames again);
    without them it is "vote"."""
    if method == "vote":
        return rank_vote(hits, n_query_frames, floor, top)
    if method == "bipartite":
        return rank_bipartite(hits, n_query_frames, floor, top)
    if method == "orb-rerank":
        ranked = rank_vote(hits, n_query_frames, floor, top)
        if query_times is None or ref_times is None or frames is None:
            return ranked
        from vidtrace.retrieve.orb import verify_candidate

        return rerank_geometric(ranked, hits, query_times, ref_times, frames, verify_candidate,
                                rerank_top)[0]
    raise ConfigError(f"unknown stage-1 method {method!r}; choose one of "
                      f"{', '.join(STAGE1_METHODS)}")
