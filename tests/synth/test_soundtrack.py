"""Sound edits of the transformation engine (synth/soundtrack.py) on hand-made sound: a time
stretch keeps the pitch and moves events in time; a mix sets the second track's level."""

import numpy as np
import pytest

from vidtrace.errors import ConfigError
from vidtrace.synth.soundtrack import RATE, mixed, resampled, stretched


def _tone(hz: float, seconds: float) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(round(seconds * RATE)) / RATE).astype(np.float32)


def _dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / RATE)[np.argmax(spectrum)])


def _onset(x: np.ndarray, hz: float) -> float:
    """The time (s) of the middle of the first 512-sample window where `hz` is at least half
    as loud as in the loudest."""
    size, hop = 512, 128
    k = round(hz * size / RATE)
    energy = [np.abs(np.fft.rfft(x[i:i + size] * np.hanning(size)))[k]
              for i in range(0, len(x) - size, hop)]
    first = int(np.argmax(np.asarray(energy) >= 0.5 * max(energy)))
    return (first * hop + size / 2) / RATE


@pytest.mark.parametrize("speed", [0.8, 1.2, 1.5])
def test_a_stretch_keeps_the_pitch_and_scales_time(speed: float) -> None:
    """A 440 Hz tone with a 2 kHz burst at 2.0-2.1 s: after the stretch the tone is still
    440 Hz (a resampling moves it to 440 x speed), the length is 5 s / speed and the burst
    starts at 2.0 s / speed."""
    x = 0.5 * _tone(440.0, 5.0)
    burst = slice(2 * RATE, round(2.1 * RATE))
    x[burst] += 0.5 * _tone(2000.0, 0.1)[: burst.stop - burst.start]
    y = stretched(x, speed)
    assert len(y) == round(len(x) / speed)
    assert _dominant_hz(y[RATE // 2: 3 * RATE // 2]) == pytest.approx(440.0, abs=2.0)
    assert _dominant_hz(resampled(x, speed)[RATE // 2: 3 * RATE // 2]) == pytest.approx(
        440.0 * speed, rel=0.01)
    assert _onset(y, 2000.0) == pytest.approx(2.0 / speed, abs=0.03)
    assert _onset(x, 2000.0) == pytest.approx(2.0, abs=0.03)
    # the waveform joins without gaps: the tone's level stays that of the input
    level = np.sqrt(np.mean(y[RATE // 2: -RATE // 2] ** 2))
    assert level == pytest.approx(0.5 / np.sqrt(2), rel=0.08)


def test_a_stretch_outside_its_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="stretch speed"):
        stretched(_tone(440.0, 1.0), 5.0)


def test_a_mix_sets_the_second_track_at_its_level() -> None:
    x, other = _tone(440.0, 2.0), 3.0 * _tone(1000.0, 0.5)  # looped to the first's length
    for level_db in (-10.0, 0.0, 6.0):
        y = mixed(x, other, level_db)
        assert len(y) == len(x)
        added = y - x
        ratio = 10 * np.log10(np.mean(added ** 2) / np.mean(x ** 2))
        assert ratio == pytest.approx(level_db, abs=0.1)
        assert _dominant_hz(added) == pytest.approx(1000.0, abs=2.0)
