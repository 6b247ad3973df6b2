"""The geometric re-ranking of "orb-rerank" (stage 1, retrieve; seed 002).

"orb-rerank" ranks by `rank_vote`, then checks the best `rerank_top` candidates on a few frame
pairs: for each, the query frames of its `RERANK_PAIRS` strongest hits (distinct query frames)
and the reference frames they hit are decoded again and compared by ORB keypoints with a RANSAC
similarity fit, the mirrored query too (`vidtrace.retrieve.orb`). The checked candidates are
re-ordered by that geometric score (ties keep the vote order); the others follow unchanged.
Each candidate's score stays its vote score, so thresholds do not depend on the re-ranking.
The pixels come from a `FrameSource` the caller gives explicitly.
"""

from collections.abc import Callable, Sequence

import numpy as np

from vidtrace.types import FrameHits

RERANK_PAIRS = 3

# frames(reference key, or None for the query; times) -> RGB frames (None where one is missing)
FrameSource = Callable[[int | None, Sequence[float]], list[np.ndarray | None]]
# verify(query frames, reference frames) -> geometric score in [0, 1]
Verifier = Callable[[Sequence[np.ndarray | None], Sequence[np.ndarray | None]], float]


def strongest_pairs(hits: FrameHits, key: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(query frame indices, reference frame indices) of the `n` strongest hits on reference
    `key`, one per query frame."""
    m = hits.ref_key == key
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
    """`ranked` (key, score) with its first `top` candidates re-ordered by geometric score,
    and the scores of the candidates checked ({key: score})."""
    checked: dict[int, float] = {}
    for key, _ in ranked[:top]:
        qi, fi = strongest_pairs(hits, key, RERANK_PAIRS)
        if len(qi) == 0:
            checked[key] = 0.0
            continue
        q_frames = frames(None, [float(t) for t in query_times[qi]])
        r_frames = frames(key, [float(t) for t in ref_times(key)[fi]])
        checked[key] = float(verify(q_frames, r_frames))
    head = sorted(ranked[:top], key=lambda c: -checked[c[0]])  # stable: ties keep vote order
    return head + ranked[top:], checked
