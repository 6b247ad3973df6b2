"""Temporal Hough voting alignment on hand-made similarity matrices with known answers."""

from dataclasses import replace

import numpy as np
import pytest

from tests.align.planted import PARAMS, grid, noise, plant
from vidtrace.align.hough import align_hough, peaks, speed_grid, vote


def test_speed_grid_covers_the_bounds_with_exact_common_speeds() -> None:
    speeds = speed_grid(0.5, 2.0)
    assert speeds[0] == 0.5 and speeds[-1] == 2.0
    assert 1.0 in speeds and 1.2 in speeds
    assert np.all(speeds[1:] / speeds[:-1] <= 1.031)
    assert speed_grid(1.0, 1.0).tolist() == [1.0]


def test_votes_peak_at_the_line_of_the_hits() -> None:
    qt = np.array([0.0, 1.0, 2.0, 3.0, 1.5])
    rt = np.array([10.0, 11.2, 12.4, 13.6, 40.0])  # four hits on ref = 1.2 q + 10, one not
    speeds = speed_grid(0.5, 2.0)
    acc, b0 = vote(qt, rt, np.ones(5), speeds, 1.0)
    assert acc.sum() == pytest.approx(5 * len(speeds))  # every hit votes once per speed
    k, j = peaks(acc, 0.5, 10)[0]
    assert speeds[k] == 1.2 and b0 + j == pytest.approx(10.0)
    assert acc[k, j] == pytest.approx(4.0)


def test_adjacent_segments_do_not_share_query_rows() -> None:
    rng = np.random.default_rng(7)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 60.0, 1.0, rng)
    plant(S, qt, 20.0, 35.0, 220.0, 1.0, rng)
    segs = sorted(align_hough(qt, rt, S, PARAMS, 40.0, 300.0), key=lambda g: g.query_start)
    assert [round(g.ref_start) for g in segs] == [60, 220]
    assert abs(segs[0].query_end - 20) <= 1 and abs(segs[1].query_start - 20) <= 1
    assert segs[0].query_end <= segs[1].query_start


def test_segments_on_one_line_split_at_a_dissimilar_stretch() -> None:
    # one peak, two copies: ref 110-120 s at query 10-20 s and ref 130-140 s at query 30-40 s
    rng = np.random.default_rng(10)
    qt, rt = grid(50, 200)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 10.0, 20.0, 110.0, 1.0, rng)
    plant(S, qt, 30.0, 40.0, 130.0, 1.0, rng)
    segs = sorted(align_hough(qt, rt, S, PARAMS, 50.0, 200.0), key=lambda g: g.query_start)
    assert [(round(g.query_start), round(g.query_end)) for g in segs] == [(10, 20), (30, 40)]


def test_short_dropout_keeps_one_segment() -> None:
    rng = np.random.default_rng(9)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 8.0, 16.0, 150.0, 1.0, rng)
    plant(S, qt, 17.0, 28.0, 159.0, 1.0, rng)  # 1 s of query unmatched, same line
    (g,) = align_hough(qt, rt, S, PARAMS, 40.0, 300.0)
    assert abs(g.query_start - 8) <= 0.5 and abs(g.query_end - 28) <= 0.5
    assert g.n_hits == 38


def test_outliers_do_not_change_the_answer() -> None:
    rng = np.random.default_rng(4)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 10.0, 25.0, 100.0, 1.0, rng)
    (clean,) = align_hough(qt, rt, S, PARAMS, 40.0, 300.0)
    S[2, 90] = S[16, 250] = S[36, 140] = S[52, 20] = 0.9  # isolated, before, inside, after
    (g,) = align_hough(qt, rt, S, PARAMS, 40.0, 300.0)
    assert abs(g.query_start - 10) <= 0.5 and abs(g.query_end - 25) <= 0.5
    assert abs(g.ref_start - clean.ref_start) <= 0.1 and abs(g.ref_end - clean.ref_end) <= 0.1
    assert g.n_hits == clean.n_hits == 30


def test_a_one_frame_reference_gives_nothing() -> None:
    qt, rt = np.arange(40) / 2, np.zeros(1)
    S = np.full((40, 1), 0.9, dtype=np.float32)
    assert align_hough(qt, rt, S, PARAMS, 20.0, 1.0) == []


def test_a_long_weak_copy_is_kept_and_short_chance_lines_are_not() -> None:
    # a 600 s reference of harsh background (test_methods' pure noise: mean 0.15, sd 0.1) and
    # a 20 s copy along 1x scoring about 0.39: between a long segment's threshold (0.30) and
    # a 3-frame one's (0.42). The threshold by matched frames keeps the copy and nothing else;
    # one flat threshold either loses it (0.42) or lets chance lines of 3-5 frames in (0.30)
    qt, rt = grid(60, 600)
    by_frames = replace(PARAMS, threshold=0.30, short_threshold=0.42)
    chance = 0
    for seed in range(4):
        rng = np.random.default_rng(seed)
        S = rng.normal(0.15, 0.1, (len(qt), len(rt))).astype(np.float32)
        for i, t in enumerate(qt):
            if 20 <= t < 40:
                S[i, round(300 + t - 20)] = 0.39 + rng.normal(0, 0.03)
        (g,) = align_hough(qt, rt, S, by_frames, 60.0, 600.0)
        assert abs(g.query_start - 20) <= 2 and abs(g.query_end - 40) <= 1
        assert abs(g.ref_start - 300) <= 2 and 0.30 < g.score < 0.42 and g.n_hits >= 35
        assert align_hough(qt, rt, S, replace(PARAMS, threshold=0.42, short_threshold=0.42),
                           60.0, 600.0) == []
        flat = align_hough(qt, rt, S, replace(by_frames, short_threshold=0.30), 60.0, 600.0)
        assert g in flat
        chance += sum(x.n_hits <= 5 for x in flat)
    assert chance >= 3


def test_a_weak_match_between_two_stills_is_not_a_copy() -> None:
    # one still shot of the query (5 s, 10 frames) about 0.39 alike to one still of the
    # reference (4 s): every line through the block matches, so its frames are one
    # observation, not ten. By independent frames it would need only 0.370 (10 frames) and be
    # reported; the threshold falls only past 3 x min_hits frames, so it needs 0.42
    qt, rt = grid(60, 600)
    rng = np.random.default_rng(7)
    S = noise(rng, len(qt), len(rt))
    block = (qt >= 20) & (qt < 25)
    S[np.ix_(block, (rt >= 300) & (rt < 304))] = 0.39 + rng.normal(0, 0.01, (10, 4))
    p = replace(PARAMS, threshold=0.31, short_threshold=0.42)
    assert align_hough(qt, rt, S, p, 60.0, 600.0) == []
    (g,) = align_hough(qt, rt, S, replace(p, short_threshold=0.31), 60.0, 600.0)
    assert g.query_start >= 19.5 and g.query_end <= 25.5 and g.n_hits >= 8
