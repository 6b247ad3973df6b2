"""Fusing sound and picture (match/, docs/audio.md): the matches of one query from the
segments stage 2 aligned on the picture and the segments its soundtrack matched.

- A picture segment and a sound segment of the same reference *agree* when they share at
  least `min_agree_s` of query time and put the same query instant within `AGREE_TOL_S` of
  the same reference instant. Agreement reinforces: the picture's score s becomes
  1 - (1 - s)(1 - a), a the sound's confidence, and the match's evidence is video + audio. A
  picture segment without sound behind it keeps its score (a muted or replaced soundtrack
  changes nothing).
- A picture segment is kept when its (reinforced) score reaches the threshold for its matched
  frames (`Threshold`: a short segment needs more than a long one).
- A sound segment that agrees with a picture segment whose reinforced score stays under the
  threshold was weighed with it and is not reported alone (its confidence is at most that
  score): a threshold a user raises holds for copies with sound too.
- A sound segment that agrees with no picture segment is a sound-only match (evidence
  audio) when no other reference sounds the same over that time: a sound segment is dropped
  when it shares most of its query time with a sound segment of another reference that the
  picture confirms, or with one of another reference that is not clearly stronger or weaker
  (`CLEAR_MARGIN` x the votes): two references sharing a music track are then not both
  reported, and neither is when the picture cannot tell them apart.
"""

import math
from dataclasses import dataclass

from vidtrace.audio.match import AudioSegment, overlap
from vidtrace.types import Match, Reference, Threshold

AGREE_TOL_S = 2.0
CLEAR_MARGIN = 1.5
VOTES_SCALE = 40.0  # votes of a sound segment at which its confidence is 1 - 1/e


def confidence(segment: AudioSegment) -> float:
    """A sound segment's confidence in [0, 1): 1 - exp(-votes / VOTES_SCALE). Unrelated
    soundtracks gave at most 9 votes on any line (docs/audio.md), 0.20."""
    return 1.0 - math.exp(-segment.votes / VOTES_SCALE)


@dataclass(frozen=True)
class Picture:
    """A picture segment of stage 2: its reference, boundaries, speed and score."""

    reference: Reference
    match: Match
    speed: float


def agree(p: Picture, a: AudioSegment, min_agree_s: float) -> bool:
    """Whether picture segment `p` and sound segment `a` lie on one line of one reference."""
    m = p.match
    if p.reference.key != a.ref_key:
        return False
    lo, hi = max(m.query_start, a.query_start), min(m.query_end, a.query_end)
    if hi - lo < min(min_agree_s, 0.5 * a.duration):
        return False
    mid = 0.5 * (lo + hi)
    by_picture = m.ref_start + (mid - m.query_start) * p.speed
    by_sound = a.ref_start + (mid - a.query_start) * a.speed
    return abs(by_picture - by_sound) <= AGREE_TOL_S


@dataclass(frozen=True)
class Fused:
    """One fused match and what supports it: `picture`, the index of its picture segment in
    the list given to `fuse_traced` (None for a sound-only match), and `sounds`, the indices
    of the sound segments behind it (agreeing with the picture, or the one sound segment)."""

    match: Match
    picture: int | None
    sounds: tuple[int, ...]


def fuse(pictures: list[Picture], sounds: list[AudioSegment], names: dict[int, str],
         floor: Threshold, min_agree_s: float) -> list[Match]:
    """The matches, best score first: picture segments reinforced by agreeing sound and kept
    by `floor` (by their score and matched frames), then sound-only segments that no other
    reference contests. `names`: the reference id of every key in `sounds`."""
    return [f.match for f in fuse_traced(pictures, sounds, names, floor, min_agree_s)]


def fuse_traced(pictures: list[Picture], sounds: list[AudioSegment], names: dict[int, str],
                floor: Threshold, min_agree_s: float) -> list[Fused]:
    """`fuse`, each match with the picture and sound segments behind it (evidence pages)."""
    fused: list[Fused] = []
    confirmed: set[int] = set()  # sounds that agree with a picture match kept
    weighed: set[int] = set()  # sounds that agree with a picture segment under the floor
    for n, p in enumerate(pictures):
        support = [i for i, a in enumerate(sounds) if agree(p, a, min_agree_s)]
        score = p.match.score
        if support:
            best = max(confidence(sounds[i]) for i in support)
            score = 1.0 - (1.0 - score) * (1.0 - best)
        if not floor.keeps(score, p.match.frames):
            weighed.update(support)
            continue
        if support:
            confirmed.update(support)
            m = Match(p.match.ref_id, p.match.query_start, p.match.query_end,
                      p.match.ref_start, p.match.ref_end, score, ("video", "audio"),
                      p.match.frames)
            fused.append(Fused(m, n, tuple(support)))
        else:
            fused.append(Fused(p.match, n, ()))
    for i, a in enumerate(sounds):
        if i in confirmed or i in weighed:
            continue
        if not _contested(i, sounds, confirmed):
            m = Match(names[a.ref_key], a.query_start, a.query_end, a.ref_start, a.ref_end,
                      confidence(a), ("audio",))
            fused.append(Fused(m, None, (i,)))
    return sorted(fused, key=lambda f: -f.match.score)


def _contested(i: int, sounds: list[AudioSegment], confirmed: set[int]) -> bool:
    """Whether another reference sounds like sound segment `i` over most of its time: one
    the picture confirmed, or one not clearly weaker."""
    a = sounds[i]
    for j, b in enumerate(sounds):
        if j == i or b.ref_key == a.ref_key or overlap(a, b) <= 0.5:
            continue
        if j in confirmed or a.votes < CLEAR_MARGIN * b.votes:
            return True
    return False
