"""dedup/refine.py: an overlap's line and ends placed again on both videos' frames, on frame
vectors made by hand (still shots, moving footage, a copy at 1.25x, an embedded copy)."""

from collections.abc import Callable

import numpy as np

from vidtrace.dedup.overlaps import Overlap
from vidtrace.dedup.refine import refine_overlap
from vidtrace.types import FrameSet

DIM = 64
Footage = Callable[[np.ndarray], np.ndarray]  # source seconds float64[T] -> float32[T, DIM]


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _still(*shots: tuple[float, np.ndarray]) -> Footage:
    """Still shots: shot k shows one picture from its start second to the next shot's."""
    starts = np.array([s for s, _ in shots])
    pictures = np.stack([p for _, p in shots])
    return lambda t: pictures[np.searchsorted(starts, t, side="right") - 1]


def _moving(keys: np.ndarray) -> Footage:
    """Footage that turns from key picture k to k + 1 over second k (keys float32[n, DIM])."""
    def at(t: np.ndarray) -> np.ndarray:
        k = np.clip(np.floor(t).astype(int), 0, len(keys) - 2)
        w = (t - k)[:, None]
        return _unit((1 - w) * keys[k] + w * keys[k + 1])
    return at


def _copy(name: str, pieces: list[tuple[Footage, float, float]], rng: np.random.Generator,
          speed: float = 1.0) -> FrameSet:
    """A video sampled at 2 frames/s showing pieces (footage, from s, to s) one after the
    other at `speed` seconds of footage per second, each frame with its own noise."""
    times, vectors, clock = [], [], 0.0
    for footage, start, end in pieces:
        t = np.arange(0.0, (end - start) / speed - 1e-9, 0.5)
        times.append(clock + t)
        vectors.append(footage(start + speed * t))
        clock += (end - start) / speed
    v = np.concatenate(vectors)
    noisy = _unit(v + 0.3 * rng.standard_normal(v.shape) / np.sqrt(DIM))
    return FrameSet(name, np.concatenate(times), noisy, clock)


def _error(o: Overlap, truth: tuple[float, float, float, float]) -> float:
    return float(np.max(np.abs(np.array([o.a_start, o.a_end, o.b_start, o.b_end]) - truth)))


def test_still_shots_found_at_a_slow_speed_come_back_at_1x_with_their_ends() -> None:
    rng = np.random.default_rng(0)
    source = _still((0.0, _unit(rng.standard_normal(DIM))), (4.0, _unit(rng.standard_normal(DIM))))
    a = _copy("a", [(source, 0.0, 8.0)], rng)  # the original
    b = _copy("b", [(source, 2.0, 6.0)], rng)  # its middle half: a 2-6 is b 0-4
    # the aligner's line through the one cut that pins it, at 0.57x (the longest line)
    found = Overlap("a", 0.86, 7.88, "b", 0.0, 4.0, 0.8, False)
    o = refine_overlap(found, a, b)
    assert _error(o, (2.0, 6.0, 0.0, 4.0)) <= 0.5, o
    assert abs(o.speed - 1.0) < 1e-9 and (o.score, o.both_ways) == (0.8, False)


def test_a_copy_at_another_speed_keeps_its_speed() -> None:
    rng = np.random.default_rng(1)
    source = _moving(_unit(rng.standard_normal((12, DIM))))
    a = _copy("a", [(source, 0.0, 10.0)], rng, speed=1.25)  # 8 s: a t shows source 1.25 t
    b = _copy("b", [(source, 0.0, 10.0)], rng)
    found = Overlap("a", 0.5, 7.0, "b", 0.6, 8.8, 0.8, True)  # its ends short by a second
    o = refine_overlap(found, a, b)
    assert _error(o, (0.0, 8.0, 0.0, 10.0)) <= 0.5, o
    assert abs(o.speed - 1.25) < 0.02


def test_ends_move_to_where_an_embedded_copy_meets_its_fillers() -> None:
    rng = np.random.default_rng(2)
    source = _moving(_unit(rng.standard_normal((12, DIM))))
    filler = _moving(_unit(rng.standard_normal((12, DIM))))
    a = _copy("a", [(source, 0.0, 10.0)], rng)
    b = _copy("b", [(filler, 0.0, 2.0), (source, 3.0, 8.0), (filler, 5.0, 7.0)], rng)
    for found in (Overlap("a", 2.0, 9.0, "b", 1.0, 8.0, 0.7, True),   # a second too early
                  Overlap("a", 4.0, 6.5, "b", 3.0, 5.5, 0.7, True)):  # too short either side
        o = refine_overlap(found, a, b)
        assert _error(o, (3.0, 8.0, 2.0, 7.0)) <= 0.5, (found, o)


def test_a_pair_with_no_contrast_is_kept_as_found() -> None:
    rng = np.random.default_rng(3)
    source = _still((0.0, _unit(rng.standard_normal(DIM))))
    a, b = _copy("a", [(source, 0.0, 8.0)], rng), _copy("b", [(source, 0.0, 4.0)], rng)
    found = Overlap("a", 1.0, 7.0, "b", 0.0, 4.0, 0.9, True)
    assert refine_overlap(found, a, b) == found  # any line fits one still shot
