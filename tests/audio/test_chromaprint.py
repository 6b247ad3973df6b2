"""The Chromaprint comparison matcher (audio/chromaprint.py) on real recordings: an excerpt
found at its offsets through noise and a pitch-kept speed change, unrelated sound not
matched. Skips where the system library is missing (.ci/run installs Debian's)."""

import numpy as np
import pytest

from vidtrace.audio import chromaprint as cp
from vidtrace.audio.decode import decode_audio
from vidtrace.synth.soundtrack import noisy, stretched

from ..test_sound import shared_audio

pytestmark = pytest.mark.skipif(cp.version() is None, reason="the system Chromaprint library "
                                "is missing (Debian: apt-get install libchromaprint1)")
R = cp.RATE


def sound(name: str, start: float, end: float) -> np.ndarray:
    x = decode_audio(shared_audio(name), R)
    assert x is not None
    return x[int(start * R):int(end * R)]


@pytest.fixture(scope="module")
def matcher() -> cp.ChromaprintMatcher:
    refs = {"ragtime": sound("music_lena_orsa_pistachio_ragtime.m4a", 0, 30),
            "breakdown": sound("music_brad_sucks_total_breakdown.m4a", 0, 30)}
    return cp.ChromaprintMatcher({k: cp.raw_print(v) for k, v in refs.items()})


def test_raw_print_has_an_item_every_eighth_of_a_second() -> None:
    p = cp.raw_print(sound("music_lena_orsa_pistachio_ragtime.m4a", 0, 10))
    assert p.items.dtype == np.uint32
    assert 0.1 < p.item_s < 0.15
    assert 10 / p.item_s - 30 < len(p.items) <= 10 / p.item_s


@pytest.mark.parametrize("edit", ["noise", "stretch"])
def test_an_excerpt_is_found_at_its_offsets(matcher: cp.ChromaprintMatcher, edit: str) -> None:
    q = sound("music_lena_orsa_pistachio_ragtime.m4a", 12.0, 20.0)
    speed = 1.0
    if edit == "noise":
        q = noisy(q, 5.0)
    else:
        speed = 1.2
        q = stretched(q, speed, R)
    found = matcher.match(q)
    assert [m.ref_id for m in found] == ["ragtime"]
    m = found[0]
    assert m.score >= matcher.min_score
    assert m.ref_start == pytest.approx(12.0, abs=1.0)
    assert m.ref_end == pytest.approx(20.0, abs=1.5)
    assert m.query_end - m.query_start >= 0.7 * 8.0 / speed
    assert m.speed == pytest.approx(speed, abs=0.1)


def test_unrelated_sound_is_not_matched(matcher: cp.ChromaprintMatcher) -> None:
    assert matcher.match(sound("ambient_nps_humpback_whale_song.m4a", 5.0, 13.0)) == []
    assert matcher.match(sound("speech_espeak_de_fr_es_it_nl.m4a", 5.0, 13.0)) == []
