"""Matching a soundtrack by offset votes (audio/match.py): planted copies with known offsets
and speeds in hand-made sound, looked up in an in-memory inverted index."""

import numpy as np
import pytest

from vidtrace.audio.decode import SAMPLE_RATE
from vidtrace.audio.landmarks import fingerprint, query_peaks
from vidtrace.audio.match import AudioParams, match_audio
from vidtrace.synth.soundtrack import noisy, resampled, stretched
from vidtrace.types import AudioPrints

from .test_landmarks import tone_bursts


def lookup_of(prints: dict[int, AudioPrints]):  # type: ignore[no-untyped-def]
    """The store's `print_hits` over `prints` (reference key -> prints), in memory."""
    h = np.concatenate([p.hashes for p in prints.values()])
    k = np.concatenate([np.full(len(p), key, np.int64) for key, p in prints.items()])
    t = np.concatenate([p.ticks.astype(np.int64) for p in prints.values()])

    def lookup(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hit = np.isin(h, hashes)
        return h[hit], k[hit], t[hit]

    return lookup


@pytest.fixture(scope="module")
def references() -> dict[int, np.ndarray]:
    """Three 40 s references of tone bursts (seeds 10, 11, 12) at 8 kHz."""
    return {key: tone_bursts(40, seed=10 + key) for key in range(3)}


@pytest.fixture(scope="module")
def lookup(references: dict[int, np.ndarray]):  # type: ignore[no-untyped-def]
    return lookup_of({k: fingerprint(x) for k, x in references.items()})


def test_a_planted_copy_is_found_with_its_offsets(references, lookup) -> None:  # type: ignore[no-untyped-def]
    # query: 3 s of other sound, then reference 1 seconds 12-27, then 2 s of other sound
    other = tone_bursts(5, seed=99)
    x = references[1][12 * SAMPLE_RATE:27 * SAMPLE_RATE]
    query = np.concatenate([other[:3 * SAMPLE_RATE], x, other[3 * SAMPLE_RATE:]])
    found = match_audio(query_peaks(query), lookup)
    assert len(found) == 1
    g = found[0]
    assert g.ref_key == 1 and g.speed == pytest.approx(1.0)
    assert g.query_start == pytest.approx(3.0, abs=0.5)
    assert g.query_end == pytest.approx(18.0, abs=0.6)
    assert g.ref_start == pytest.approx(12.0, abs=0.5) and g.ref_end == pytest.approx(27.0, abs=0.6)
    assert g.score > 0.3


@pytest.mark.parametrize("speed", [0.85, 1.2, 1.45])
def test_a_resampled_copy_is_found_at_its_speed(references, lookup, speed: float) -> None:  # type: ignore[no-untyped-def]
    """Played `speed` times faster by resampling (pitch up as well), with noise at 10 dB SNR:
    query [0, 20 / speed] <- reference 2 [10, 30]."""
    x = resampled(references[2][10 * SAMPLE_RATE:30 * SAMPLE_RATE], speed)
    found = match_audio(query_peaks(noisy(x, 10.0, seed=3)), lookup)
    assert found and found[0].ref_key == 2
    g = found[0]
    assert g.speed == pytest.approx(speed, rel=0.015)
    assert g.query_start == pytest.approx(0.0, abs=1.0)
    assert g.query_end == pytest.approx(20 / speed, abs=1.0)
    assert g.ref_start == pytest.approx(10.0, abs=1.0) and g.ref_end == pytest.approx(30.0, abs=1.0)


def test_speeds_outside_the_grid_are_not_found(references, lookup) -> None:  # type: ignore[no-untyped-def]
    x = resampled(references[0][5 * SAMPLE_RATE:25 * SAMPLE_RATE], 1.8)
    assert match_audio(query_peaks(x), lookup) == []
    assert match_audio(query_peaks(x), lookup, AudioParams(max_speed=1.9))[0].ref_key == 0


def test_unrelated_sound_matches_nothing(lookup) -> None:  # type: ignore[no-untyped-def]
    assert match_audio(query_peaks(tone_bursts(30, seed=77)), lookup) == []


def test_a_copy_shorter_than_the_minimum_is_not_a_segment(references, lookup) -> None:  # type: ignore[no-untyped-def]
    x = references[1][4 * SAMPLE_RATE:7 * SAMPLE_RATE]  # 3 s < 4 s
    assert match_audio(query_peaks(x), lookup) == []
    assert len(match_audio(query_peaks(x), lookup, AudioParams(min_duration_s=2.0))) == 1


@pytest.mark.parametrize("speed", [0.85, 1.2, 1.45])
def test_a_time_stretched_copy_is_found_at_its_speed(references, lookup, speed: float) -> None:  # type: ignore[no-untyped-def]
    """Time-stretched `speed` times faster with the pitch kept (WSOLA), noise at 10 dB SNR:
    query [0, 20 / speed] <- reference 2 [10, 30], found only when pitch-kept speeds are
    searched."""
    x = stretched(references[2][10 * SAMPLE_RATE:30 * SAMPLE_RATE], speed, SAMPLE_RATE)
    peaks = query_peaks(noisy(x, 10.0, seed=3))
    found = match_audio(peaks, lookup)
    assert found and found[0].ref_key == 2 and found[0].keeps_pitch
    g = found[0]
    assert g.speed == pytest.approx(speed, rel=0.015)
    assert g.query_start == pytest.approx(0.0, abs=1.0)
    assert g.query_end == pytest.approx(20 / speed, abs=1.0)
    assert g.ref_start == pytest.approx(10.0, abs=1.0) and g.ref_end == pytest.approx(30.0, abs=1.0)
    assert match_audio(peaks, lookup, AudioParams(keep_pitch=False)) == []


def test_the_variants_are_each_speed_with_and_without_its_pitch() -> None:
    p = AudioParams()
    speeds, pitches = p.variants()
    grid = p.speeds()
    assert len(speeds) == 2 * len(grid) - 1  # 1.0 once: there both kinds are the same
    assert np.array_equal(speeds[:len(grid)], grid) and np.array_equal(pitches[:len(grid)], grid)
    assert np.all(pitches[len(grid):] == 1.0) and 1.0 not in speeds[len(grid):]
    only_moved = AudioParams(keep_pitch=False).variants()
    assert np.array_equal(only_moved[0], grid) and np.array_equal(only_moved[1], grid)
