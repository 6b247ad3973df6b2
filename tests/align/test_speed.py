"""A segment's speed from distinct evidence (speed.py, rule 0 of evidence.settle), on planted
similarity matrices: stills whose speed the footage does not determine, and copies whose speed
it does."""

import numpy as np
import pytest

from tests.align.planted import PARAMS, grid, noise, plant
from vidtrace.align import AlignInput, Segment, aligner
from vidtrace.align.evidence import settle
from vidtrace.align.speed import distinct_evidence, settle_speed
from vidtrace.settings import Stage2


def _still(rng: np.random.Generator, qt: np.ndarray, rt: np.ndarray, q: tuple[float, float],
           r: tuple[float, float], S: np.ndarray) -> None:
    """Query times in [q) all alike (about 0.6) to reference times in [r): a still shot."""
    rows = (qt >= q[0]) & (qt < q[1])
    cols = (rt >= r[0]) & (rt < r[1])
    S[np.ix_(rows, cols)] = 0.6 + rng.normal(0, 0.03, (rows.sum(), cols.sum()))


def test_distinct_evidence_counts_a_reference_sample_once() -> None:
    qt, rt = grid(10, 30)
    S = np.zeros((len(qt), len(rt)), dtype=np.float32)
    S[:, 10:20] = 0.7  # every query frame alike reference 10-19 s
    rows = np.arange(len(qt))
    held = distinct_evidence(qt, rt, S, rows, 1.0, np.array([10.0]), PARAMS)
    assert held.tolist() == [[10.0, 10.0]]  # 20 rows of 0.5 s, 10 samples of 1 s
    held = distinct_evidence(qt, rt, S, rows, 0.5, np.array([10.0, 25.0]), PARAMS)
    # at 0.5x the same 20 rows show 5 reference samples (10-14 s), each four times;
    # at offset 25 s the line runs on to 30 s, past the still and the reference
    assert held.tolist() == [[10.0, 5.0], [0.0, 0.0]]


@pytest.mark.parametrize("seed", range(4))
def test_a_still_the_reference_shows_longer_gives_speed_one_not_the_slowest(seed: int
                                                                            ) -> None:
    # a screen recording: query 2-22 s all alike the reference's 5-36 s, no frame more than
    # another. Every line from 0.5x to 1.5x crosses all 20 s of the query inside the still;
    # the slowest collects the most Hough votes (each reference frame four times). Only 1x
    # holds 20 s of evidence on both sides.
    rng = np.random.default_rng(seed)
    qt, rt = grid(24, 40)
    S = noise(rng, len(qt), len(rt))
    _still(rng, qt, rt, (2.0, 22.0), (5.0, 36.0), S)
    (g,) = aligner(Stage2.HOUGH, PARAMS).align(AlignInput(qt, rt, S, 24.0, 40.0))
    assert g.speed == 1.0
    assert abs(g.query_start - 2.0) <= 0.5 and abs(g.query_end - 22.0) <= 0.5
    # inside the still, give or take the sample either side that near_match accepts
    assert g.ref_start >= 5.0 - 1.5 and g.ref_end <= 36.0 + 1.5


@pytest.mark.parametrize("speed", [0.5, 0.6, 0.8])
def test_a_slow_copy_of_moving_footage_keeps_its_speed(speed: float) -> None:
    # every query frame matches one reference frame: lines at other speeds leave the copy
    rng = np.random.default_rng(int(speed * 10))
    qt, rt = grid(30, 60)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 25.0, 20.0, speed, rng)
    seg = Segment(5.0, 25.0, 20.0, 20.0 + 20.0 * speed, 0.75, 40, speed)
    assert settle_speed(seg, qt, rt, S, PARAMS) == seg
    (g,) = settle([seg], qt, rt, S, PARAMS, 60.0)
    assert g.speed == pytest.approx(speed)


def test_a_still_the_query_shows_longer_keeps_the_line_that_explains_it() -> None:
    # query 0-20 s all alike reference 10-20 s: a line at 1x explains only half the query;
    # no line closer to 1 holds as many query frames, so the slow line stays (the footage
    # cannot tell a slowed copy from a copy with a longer still)
    rng = np.random.default_rng(2)
    qt, rt = grid(24, 30)
    S = noise(rng, len(qt), len(rt))
    _still(rng, qt, rt, (0.0, 20.0), (10.0, 20.0), S)
    seg = Segment(0.0, 20.0, 10.0, 20.0, 0.6, 40, 0.5)
    assert settle_speed(seg, qt, rt, S, PARAMS) == seg


def test_a_slowed_segment_on_a_still_moves_to_the_centred_line_at_speed_one() -> None:
    # the segment any method could propose at 0.5x through a still the reference shows for
    # 30 s; at 1x the line through its centre (query 10 s, reference 20 s) holds twice the
    # reference evidence and all its query frames
    rng = np.random.default_rng(4)
    qt, rt = grid(24, 40)
    S = noise(rng, len(qt), len(rt))
    _still(rng, qt, rt, (2.0, 18.0), (5.0, 35.0), S)
    seg = Segment(2.0, 18.0, 16.0, 24.0, 0.6, 32, 0.5)
    g = settle_speed(seg, qt, rt, S, PARAMS)
    assert g.speed == 1.0
    assert g.ref_start + (10.0 - g.query_start) == pytest.approx(20.0, abs=0.05)
    (s,) = settle([seg], qt, rt, S, PARAMS, 40.0)
    assert s.speed == 1.0 and s.query_end - s.query_start == pytest.approx(16.0, abs=0.6)
