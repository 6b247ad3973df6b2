"""Line and end refinement on hand-made similarity matrices."""

import numpy as np

from vidtrace.align.refine import line_similarity, refine_ends, refine_line

Q = np.arange(40) / 2  # query sampled at 2 frames/s
R = np.arange(100.0)  # reference at 1 frame/s


def copy_matrix(offset: float, speed: float, static: tuple[int, int] | None = None
                ) -> np.ndarray:
    """Similarity 0.8 where reference time = speed * query time + offset (nearest sample),
    0.1 elsewhere; with `static`, reference frames in that range all look alike (a still shot),
    so every query frame mapped into it is equally similar to all of them."""
    S = np.full((len(Q), len(R)), 0.1, dtype=np.float32)
    for i, t in enumerate(Q):
        j = round(speed * t + offset)
        S[i, j] = 0.8
        if static and static[0] <= j <= static[1]:
            S[i, static[0]:static[1] + 1] = 0.8
    return S


def test_line_similarity_interpolates_between_samples() -> None:
    S = np.zeros((1, 3), dtype=np.float32)
    S[0] = [0.2, 0.6, 1.0]
    x = np.array([0.25, 1.5, 5.0])
    got = line_similarity(np.array([0.0, 1.0, 2.0]), S, np.zeros(3, dtype=int), x, x)
    assert np.allclose(got, [0.3, 0.8, -1.0])


def test_refine_line_pins_the_offset_despite_a_still_shot() -> None:
    S = copy_matrix(30.0, 1.0, static=(35, 40))
    a, b = refine_line(Q, R, S, np.arange(len(Q)), 1.07, 29.0, 0.5, 2.0)
    assert abs(a - 1.0) < 0.011 and abs(b - 30.0) <= 0.3


def test_refine_line_finds_speed_near_the_chain_estimate() -> None:
    S = copy_matrix(10.0, 1.2)
    a, b = refine_line(Q, R, S, np.arange(len(Q)), 1.15, 10.5, 0.5, 2.0)
    assert abs(a - 1.2) < 0.011 and abs(b - 10.0) <= 0.3


def test_refine_ends_extends_and_trims_along_the_line() -> None:
    S = copy_matrix(30.0, 1.0)
    S[:6] = 0.1  # query rows 0-5 (0-2.5 s) are not a copy
    lo, hi = refine_ends(Q, R, S, 2, 30, 1.0, 30.0, 0.3, (0, len(Q) - 1))
    assert (lo, hi) == (6, len(Q) - 1)
    lo, hi = refine_ends(Q, R, S, 10, 30, 1.0, 30.0, 0.3, (8, 35))
    assert (lo, hi) == (8, 35)  # stops at the rows another segment holds
