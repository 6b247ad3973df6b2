"""k nearest reference frames per query frame, and candidate reference videos ranked by them.

A candidate's score is the mean over query frames of the best similarity any of its frames
reaches among that query frame's k neighbours (0 where none passes `floor`): a video that
resembles many query frames ranks above one that resembles a few frames very well.
"""

from dataclasses import dataclass

import numpy as np

from vidtrace.library.index import FrameIndex, unpack_ids


@dataclass(frozen=True)
class FrameHits:
    """Flat arrays of (query frame, reference video row, reference frame, similarity) hits."""

    query_frame: np.ndarray
    ref_rowid: np.ndarray
    ref_frame: np.ndarray
    sim: np.ndarray

    def __len__(self) -> int:
        return len(self.sim)


def knn_hits(index: FrameIndex, xq: np.ndarray, k: int) -> FrameHits:
    """Search float32[Tq, d] query vectors; returns every valid neighbour as a hit."""
    D, I = index.search(xq, k)
    rowids, frames = unpack_ids(I)
    q = np.repeat(np.arange(len(xq)), D.shape[1])
    valid = rowids.ravel() >= 0
    return FrameHits(q[valid], rowids.ravel()[valid], frames.ravel()[valid],
                     D.ravel()[valid].astype(np.float32))


def rank_candidates(hits: FrameHits, n_query_frames: int, floor: float, top: int
                    ) -> list[tuple[int, float]]:
    """The best `top` reference rows as (rowid, score), score descending.

    score = sum over query frames of max(sim - floor, 0) for that video / n_query_frames, then
    shifted back by `floor` so it reads as a similarity; videos with no hit above floor are cut.
    """
    keep = hits.sim >= floor
    if not np.any(keep) or n_query_frames == 0:
        return []
    q, r, s = hits.query_frame[keep], hits.ref_rowid[keep], hits.sim[keep]
    # best similarity per (query frame, video): sort by similarity, keep the first of each pair
    order = np.lexsort((-s, r, q))
    q, r, s = q[order], r[order], s[order]
    first = np.ones(len(q), dtype=bool)
    first[1:] = (q[1:] != q[:-1]) | (r[1:] != r[:-1])
    videos, inverse = np.unique(r[first], return_inverse=True)
    totals = np.zeros(len(videos))
    np.add.at(totals, inverse, s[first] - floor)
    scores = totals / n_query_frames + floor
    best = np.argsort(-scores, kind="stable")[:top]
    return [(int(videos[i]), float(scores[i])) for i in best]
