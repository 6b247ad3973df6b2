"""The planted-segment cases every stage-2 method (`vidtrace.settings.Stage2`, made by
`vidtrace.align.aligner`) must pass on hand-made similarity matrices: one suite, run over every
method. Method-specific behaviour is tested beside each method (test_lis.py, test_hough.py,
test_interp.py)."""

import numpy as np
import pytest

from tests.align.planted import PARAMS, grid, noise, plant
from vidtrace.align import AlignInput, Segment, aligner
from vidtrace.errors import ConfigError
from vidtrace.settings import Stage2

METHODS = list(Stage2)


def align(method: Stage2, qt: np.ndarray, rt: np.ndarray, S: np.ndarray) -> list[Segment]:
    return aligner(method, PARAMS).align(AlignInput(qt, rt, S, float(len(qt)) / 2,
                                                    float(len(rt))))


def by_start(segs: list[Segment]) -> list[Segment]:
    return sorted(segs, key=lambda g: g.query_start)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("speed", [1.0, 1.2, 0.8, 1.5, 2.0, 0.5])
def test_planted_segment_found_with_its_boundaries(method: Stage2, speed: float) -> None:
    rng = np.random.default_rng(1)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 8.0, 28.0, 150.0, speed, rng)
    (g,) = align(method, qt, rt, S)
    assert abs(g.query_start - 8.0) <= 1.0 and abs(g.query_end - 28.0) <= 1.0
    assert abs(g.ref_start - 150.0) <= 1.5
    assert abs(g.ref_end - (150.0 + 20.0 * speed)) <= 1.5
    assert abs(g.speed - speed) < 0.05
    assert g.score > 0.6


@pytest.mark.parametrize("method", METHODS)
def test_two_segments_from_different_reference_parts(method: Stage2) -> None:
    rng = np.random.default_rng(2)
    qt, rt = grid(60, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 200.0, 1.0, rng)  # later reference part first
    plant(S, qt, 30.0, 55.0, 40.0, 1.2, rng)
    segs = align(method, qt, rt, S)
    assert segs == sorted(segs, key=lambda g: -g.score)  # best first
    first, second = by_start(segs)
    assert abs(first.query_start - 5) <= 1 and abs(first.ref_start - 200) <= 1.5
    assert abs(second.query_start - 30) <= 1 and abs(second.ref_end - 70) <= 1.5
    assert abs(second.speed - 1.2) < 0.05


@pytest.mark.parametrize("method", METHODS)
def test_adjacent_segments_are_told_apart(method: Stage2) -> None:
    # the query cuts straight from one reference part to another: no gap between the copies
    rng = np.random.default_rng(7)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 60.0, 1.0, rng)
    plant(S, qt, 20.0, 35.0, 220.0, 1.0, rng)
    segs = by_start(align(method, qt, rt, S))
    assert [round(g.ref_start) for g in segs] == [60, 220]
    assert abs(segs[0].query_end - 20) <= 1 and abs(segs[1].query_start - 20) <= 1


@pytest.mark.parametrize("method", METHODS)
def test_looped_copy_gives_two_segments(method: Stage2) -> None:
    rng = np.random.default_rng(8)
    qt, rt = grid(50, 200)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 5.0, 20.0, 100.0, 1.0, rng)  # the same reference part, twice
    plant(S, qt, 30.0, 45.0, 100.0, 1.0, rng)
    segs = by_start(align(method, qt, rt, S))
    assert len(segs) == 2
    assert [abs(g.ref_start - 100) <= 1.5 for g in segs] == [True, True]
    assert abs(segs[0].query_start - 5) <= 1 and abs(segs[1].query_start - 30) <= 1


@pytest.mark.parametrize("method", METHODS)
def test_outliers_do_not_move_the_segment(method: Stage2) -> None:
    rng = np.random.default_rng(4)
    qt, rt = grid(40, 300)
    S = noise(rng, len(qt), len(rt))
    plant(S, qt, 10.0, 25.0, 100.0, 1.0, rng)
    (clean,) = align(method, qt, rt, S)
    S[2, 90] = S[16, 250] = S[36, 140] = S[52, 20] = 0.9  # isolated, before, inside, after
    (g,) = align(method, qt, rt, S)
    assert abs(g.query_start - 10) <= 0.5 and abs(g.query_end - 25) <= 0.5
    assert abs(g.ref_start - clean.ref_start) <= 0.1 and abs(g.ref_end - clean.ref_end) <= 0.1


@pytest.mark.parametrize("method", METHODS)
def test_pure_noise_gives_nothing(method: Stage2) -> None:
    rng = np.random.default_rng(3)
    qt, rt = grid(60, 600)
    S = rng.normal(0.15, 0.1, (len(qt), len(rt))).astype(np.float32)
    assert align(method, qt, rt, S) == []


@pytest.mark.parametrize("method", METHODS)
def test_reversed_copy_is_not_a_forward_segment(method: Stage2) -> None:
    rng = np.random.default_rng(5)
    qt, rt = grid(30, 100)
    S = noise(rng, len(qt), len(rt))
    for i, t in enumerate(qt):  # reference played backwards
        S[i, int(80 - t)] = 0.8
    assert all(g.query_end - g.query_start < 8 for g in align(method, qt, rt, S))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(0, 100), (40, 0), (0, 0)])
def test_empty_matrices_give_nothing(method: Stage2, shape: tuple[int, int]) -> None:
    qt, rt = np.arange(shape[0]) / 2, np.arange(shape[1]) * 1.0
    S = np.full(shape, 0.9, dtype=np.float32)
    assert align(method, qt, rt, S) == []


def test_an_unknown_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"stage-2 method .nope..*lis, interp, hough"):
        aligner("nope", PARAMS)


def test_align_input_checks_its_shapes() -> None:
    with pytest.raises(ValueError, match="S of shape"):
        AlignInput(np.zeros(3), np.zeros(4), np.zeros((4, 3), np.float32), 1.5, 4.0)
