"""Stage-1 rankers on hand-made hit lists with known answers: vote, bipartite, orb-rerank."""

from collections.abc import Sequence

import numpy as np
import pytest

from vidtrace.errors import ConfigError
from vidtrace.retrieve import RankInput, matching_weight, ranker, rerank_geometric
from vidtrace.retrieve.rerank import strongest_pairs
from vidtrace.types import FrameHits

FLOOR = 0.3


def rank(method: str, hits: FrameHits, n_query_frames: int, floor: float, top: int
         ) -> list[tuple[int, float]]:
    """(key, score) of the candidates of the stage-1 strategy `method` (with pixels that are
    never there, for orb-rerank)."""
    def no_frames(key: int | None, times: Sequence[float]) -> list[np.ndarray | None]:
        return [None] * len(times)

    found = ranker(method, floor, top, 3, lambda key: np.arange(100.0)).rank(
        RankInput(hits, np.arange(n_query_frames) / 2.0, no_frames))
    return [(c.ref_key, c.score) for c in found]


def hits_of(rows: Sequence[tuple[int, int, int, float]]) -> FrameHits:
    """FrameHits from (query frame, video row, reference frame, similarity) tuples."""
    a = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return FrameHits(a[:, 0].astype(np.int64), a[:, 1].astype(np.int64),
                     a[:, 2].astype(np.int64), a[:, 3].astype(np.float32))


def copy_hits(video: int, q0: int, n: int, f0: int, sim: float
              ) -> list[tuple[int, int, int, float]]:
    """A copy: query frames q0.. hit reference frames f0.. of `video` one to one."""
    return [(q0 + i, video, f0 + i, sim) for i in range(n)]


def still_hits(video: int, q0: int, n: int, frame: int, sim: float
               ) -> list[tuple[int, int, int, float]]:
    """A still: every query frame q0.. hits the same reference frame of `video`."""
    return [(q0 + i, video, frame, sim) for i in range(n)]


def noise_hits(rng: np.random.Generator, n_query: int, videos: Sequence[int], k: int
               ) -> list[tuple[int, int, int, float]]:
    return [(q, int(rng.choice(videos)), int(rng.integers(0, 500)),
             float(rng.uniform(0.0, 0.28))) for q in range(n_query) for _ in range(k)]


def test_matching_weight_is_one_to_one() -> None:
    # three query frames all best on reference frame 0; one-to-one allows only one of those
    q = np.array([0, 1, 2, 0, 1])
    f = np.array([0, 0, 0, 1, 2])
    w = np.array([0.5, 0.5, 0.5, 0.2, 0.3])
    # best: q0-f1 (0.2) + q1-f2 (0.3) + q2-f0 (0.5) = 1.0
    assert matching_weight(q, f, w) == pytest.approx(1.0)
    assert matching_weight(np.zeros(0, int), np.zeros(0, int), np.zeros(0)) == 0.0


@pytest.mark.parametrize("method", ["vote", "bipartite"])
def test_copied_video_ranks_first_over_noise(method: str) -> None:
    rng = np.random.default_rng(0)
    rows = noise_hits(rng, 40, [1, 2, 3, 4], 5) + copy_hits(3, 10, 20, 100, 0.7)
    ranked = rank(method, hits_of(rows), 40, FLOOR, 3)
    assert ranked[0][0] == 3
    # score = summed margin over the floor per query frame, read as a similarity
    assert ranked[0][1] == pytest.approx(20 * (0.7 - FLOOR) / 40 + FLOOR, abs=1e-6)
    assert len(ranked) == 1  # noise never reaches the floor


@pytest.mark.parametrize("method", ["vote", "bipartite"])
def test_two_copied_videos_both_ranked(method: str) -> None:
    rows = copy_hits(5, 0, 10, 0, 0.8) + copy_hits(9, 12, 18, 40, 0.6)
    ranked = rank(method, hits_of(rows), 30, FLOOR, 5)
    assert [v for v, _ in ranked] == [9, 5]  # 18 x 0.3 beats 10 x 0.5 of margin


def test_bipartite_discounts_a_still_that_vote_rewards() -> None:
    # video 7 is a still: all 30 query frames hit its frame 4 at 0.6; video 2 is a real copy of
    # 12 distinct frames at 0.65
    rows = still_hits(7, 0, 30, 4, 0.6) + copy_hits(2, 5, 12, 20, 0.65)
    hits = hits_of(rows)
    assert [v for v, _ in rank("vote", hits, 30, FLOOR, 2)] == [7, 2]
    bip = rank("bipartite", hits, 30, FLOOR, 2)
    assert [v for v, _ in bip] == [2, 7]
    assert dict(bip)[7] == pytest.approx((0.6 - FLOOR) / 30 + FLOOR, abs=1e-6)


def test_pure_noise_gives_no_candidate() -> None:
    rng = np.random.default_rng(1)
    hits = hits_of(noise_hits(rng, 60, [1, 2, 3], 10))
    for method in ("vote", "bipartite", "orb-rerank"):
        assert rank(method, hits, 60, FLOOR, 5) == []


def test_speed_1_2_copy_is_ranked_by_both() -> None:
    # 1.2x: query frames at 2 fps hit reference frames at 1 fps, advancing 0.6 frames a step
    rows = [(q, 4, round(50 + 0.6 * q), 0.7) for q in range(30)]
    rows += copy_hits(8, 0, 6, 0, 0.5)
    for method in ("vote", "bipartite"):
        assert rank(method, hits_of(rows), 30, FLOOR, 2)[0][0] == 4


def test_strongest_pairs_are_distinct_query_frames() -> None:
    rows = [(0, 1, 5, 0.9), (0, 1, 6, 0.8), (1, 1, 7, 0.7), (2, 1, 8, 0.95), (3, 2, 0, 0.99)]
    q, f = strongest_pairs(hits_of(rows), 1, 2)
    assert q.tolist() == [2, 0] and f.tolist() == [8, 5]


def test_geometric_rerank_reorders_checked_candidates_only() -> None:
    rows = copy_hits(1, 0, 10, 0, 0.8) + copy_hits(2, 10, 8, 0, 0.7) + copy_hits(3, 20, 3, 0,
                                                                               0.6)
    hits = hits_of(rows)
    ranked = rank("vote", hits, 30, FLOOR, 3)
    assert [v for v, _ in ranked] == [1, 2, 3]
    seen: list[tuple[int | None, list[float]]] = []

    def frames(rowid: int | None, times: Sequence[float]) -> list[np.ndarray | None]:
        seen.append((rowid, list(times)))
        return [np.full((4, 4, 3), rowid or 0, np.uint8) for _ in times]

    def verify(qf: Sequence[np.ndarray | None], rf: Sequence[np.ndarray | None]) -> float:
        return 0.9 if rf[0] is not None and rf[0][0, 0, 0] == 2 else 0.1  # only video 2 passes

    q_times = np.arange(30) / 2.0
    out, checked = rerank_geometric(ranked, hits, q_times, lambda r: np.arange(100.0), frames,
                                    verify, top=2)
    assert [v for v, _ in out] == [2, 1, 3]  # the third was not checked: it keeps its place
    assert checked == {1: 0.1, 2: 0.9}
    assert dict(out) == dict(ranked)  # scores are the vote scores
    # query frames are asked at the query times of the strongest hits, references at theirs
    assert (None, [0.0, 0.5, 1.0]) in seen and (1, [0.0, 1.0, 2.0]) in seen


def test_unknown_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="stage-1"):
        rank("nope", hits_of([]), 1, FLOOR, 1)


def test_orb_rerank_without_pixels_refuses_instead_of_voting() -> None:
    hits = hits_of(copy_hits(1, 0, 10, 0, 0.8))
    orb = ranker("orb-rerank", FLOOR, 3, 3, lambda key: np.arange(100.0))
    with pytest.raises(ConfigError, match=r"orb-rerank.*needs the query's video file"):
        orb.rank(RankInput(hits, np.arange(10) / 2.0))
