"""Fusing picture and sound segments (match/fusion.py) on hand-made segments."""

import pytest

from vidtrace.audio.match import AudioSegment
from vidtrace.match.fusion import Picture, confidence, fuse
from vidtrace.types import Match, Reference, Threshold

NAMES = {1: "ref_a", 2: "ref_b", 3: "ref_c"}


def ref(key: int) -> Reference:
    return Reference(key, NAMES[key], f"/refs/{NAMES[key]}.mp4", "h" * 64, 60.0, 1.0, "sscd", 60)


def picture(key: int, qs: float, qe: float, rs: float, score: float) -> Picture:
    return Picture(ref(key), Match(NAMES[key], qs, qe, rs, rs + (qe - qs), score), 1.0)


def sound(key: int, qs: float, qe: float, rs: float, votes: int) -> AudioSegment:
    return AudioSegment(key, qs, qe, rs, rs + (qe - qs), 1.0, votes, 0.2)


def test_agreeing_sound_reinforces_a_picture_segment() -> None:
    weak = picture(1, 2.0, 14.0, 10.0, 0.30)  # under the threshold alone
    a = sound(1, 2.5, 13.5, 10.6, votes=80)
    alone = fuse([weak], [], NAMES, floor=Threshold(0.42), min_agree_s=4.0)
    assert alone == []
    [m] = fuse([weak], [a], NAMES, floor=Threshold(0.42), min_agree_s=4.0)
    assert m.evidence == ("video", "audio") and m.ref_id == "ref_a"
    assert m.score == pytest.approx(1 - 0.7 * (1 - confidence(a)))
    assert (m.query_start, m.query_end, m.ref_start) == (2.0, 14.0, 10.0)  # the picture's


def test_sound_on_another_line_does_not_reinforce() -> None:
    p = picture(1, 2.0, 14.0, 10.0, 0.30)
    a = sound(1, 2.0, 14.0, 30.0, votes=80)  # same reference, 20 s further on
    found = fuse([p], [a], NAMES, floor=Threshold(0.42), min_agree_s=4.0)
    assert [m.evidence for m in found] == [("audio",)]


def test_a_muted_copy_keeps_the_pictures_match_unchanged() -> None:
    p = picture(2, 0.0, 10.0, 5.0, 0.8)
    assert fuse([p], [], NAMES, floor=Threshold(0.42), min_agree_s=4.0) == [p.match]


def test_a_shared_track_is_reported_for_the_reference_the_picture_agrees_with() -> None:
    p = picture(1, 0.0, 10.0, 20.0, 0.7)
    a = sound(1, 0.0, 10.0, 20.0, votes=60)
    b = sound(2, 0.0, 10.0, 3.0, votes=70)  # the same music in another reference
    found = fuse([p], [a, b], NAMES, floor=Threshold(0.42), min_agree_s=4.0)
    assert [(m.ref_id, m.evidence) for m in found] == [("ref_a", ("video", "audio"))]


def test_a_shared_track_without_picture_reports_neither_unless_one_is_clearly_stronger() -> None:
    a, b = sound(1, 0.0, 10.0, 20.0, votes=60), sound(2, 0.0, 10.0, 3.0, votes=70)
    assert fuse([], [a, b], NAMES, floor=Threshold(0.42), min_agree_s=4.0) == []
    strong = sound(3, 0.0, 10.0, 8.0, votes=200)
    found = fuse([], [a, strong], NAMES, floor=Threshold(0.42), min_agree_s=4.0)
    assert [(m.ref_id, m.evidence) for m in found] == [("ref_c", ("audio",))]
    assert found[0].score == pytest.approx(confidence(strong))


def test_sound_of_another_reference_over_other_time_is_its_own_match() -> None:
    p = picture(1, 0.0, 10.0, 20.0, 0.7)
    b = sound(2, 12.0, 22.0, 3.0, votes=70)  # after the picture's copy
    found = fuse([p], [b], NAMES, floor=Threshold(0.42), min_agree_s=4.0)
    assert {(m.ref_id, m.evidence) for m in found} == {("ref_a", ("video",)),
                                                        ("ref_b", ("audio",))}


def test_a_raised_threshold_holds_for_a_copy_with_its_sound() -> None:
    """A picture segment with agreeing sound that stays under a raised threshold is dropped
    whole: its sound is not reported alone at a lower score."""
    p = picture(1, 0.0, 10.0, 0.0, 0.90)
    a = sound(1, 0.3, 9.8, 0.3, votes=30)
    assert fuse([p], [a], NAMES, floor=Threshold(0.99), min_agree_s=4.0) == []
    [m] = fuse([p], [a], NAMES, floor=Threshold(0.42), min_agree_s=4.0)
    assert m.evidence == ("video", "audio")
    # no picture: sound's own gate
    [alone] = fuse([], [a], NAMES, floor=Threshold(0.99), min_agree_s=4.0)
    assert alone.evidence == ("audio",)
