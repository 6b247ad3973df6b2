"""Matching a query's soundtrack against stored fingerprints (audio): votes over (reference,
speed, time offset), then the copied segments along each winning line.

A copy played `s` times faster by resampling (pitch changes with it) has its peaks at
frequency s * f and time t / s; one time-stretched with the pitch kept has them at f and
t / s. For every speed `s` of a grid over [min_speed, max_speed] (about 2 % steps, 1.0 on it)
and both kinds of speed change (a *variant*: time scale s, frequency scale s or 1) the
query's peaks are mapped back to the reference's scale (f / s or f, t * s) and hashed as
references are (landmarks.py); all hashes of all variants are looked up at once. A hit votes
for (reference, variant, offset) with offset = reference time - s * query time, in
`offset_bin_s` bins. Each line with enough votes gives its inlier hits; their query times,
split where they leave a gap over `max_gap_s`, are the segments. Not handled: pitch shifts
at unchanged speed, and speeds off the grid by more than the hash buckets absorb (about 1 %).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vidtrace.audio.landmarks import FRAME_S, QueryPeaks, pair_hashes

# lookup(hashes uint32[u]) -> (hash uint32[m], reference key int64[m], tick int64[m]): every
# stored print with one of the hashes (ticks of FRAME_S seconds)
PrintLookup = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]

_OFFSET_SHIFT = 1 << 22  # offset bins are stored shifted to be non-negative


@dataclass(frozen=True)
class AudioParams:
    """How soundtracks are matched: the speed grid (reference seconds per query second,
    multiplicative steps of `speed_step`), the offset bin, and what a segment needs: `min_votes`
    hits on its line and `min_duration_s` of query; hits further apart than `max_gap_s` split a
    line into segments."""

    min_speed: float = 0.8
    max_speed: float = 1.5
    speed_step: float = 0.02
    offset_bin_s: float = 0.1
    min_votes: int = 20
    min_duration_s: float = 4.0
    max_gap_s: float = 3.0
    max_lines: int = 30
    keep_pitch: bool = True

    def variants(self) -> tuple[np.ndarray, np.ndarray]:
        """(time scale float64[V], frequency scale float64[V]) of every variant searched:
        each speed of the grid with its pitch moved (frequency scale = speed), then, with
        `keep_pitch`, each speed but 1.0 with its pitch kept (frequency scale 1)."""
        speeds = self.speeds()
        if not self.keep_pitch:
            return speeds, speeds.copy()
        kept = speeds[np.abs(speeds - 1.0) > 1e-9]
        return np.concatenate([speeds, kept]), np.concatenate([speeds, np.ones(len(kept))])

    def speeds(self) -> np.ndarray:
        """The speed grid, float64[S], ascending, 1.0 included."""
        step = np.log1p(self.speed_step)
        lo = int(np.floor(np.log(self.min_speed) / step + 1e-9))
        hi = int(np.ceil(np.log(self.max_speed) / step - 1e-9))
        grid = np.exp(np.arange(lo, hi + 1) * step)
        return grid[(grid >= self.min_speed * 0.999) & (grid <= self.max_speed * 1.001)]


@dataclass(frozen=True)
class AudioSegment:
    """Query [query_start, query_end] sounds like reference `ref_key` [ref_start, ref_end] at
    `speed` (reference s per query s; `keeps_pitch`: a time stretch, else a resampling that
    moved the pitch with the speed): `votes` hits on the line, `score` the share of the
    query's hashes in the segment that hit it (0-1)."""

    ref_key: int
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    speed: float
    votes: int
    score: float
    keeps_pitch: bool = False

    @property
    def duration(self) -> float:
        return self.query_end - self.query_start


@dataclass(frozen=True)
class _Hits:
    """Flat arrays of the query's hashes that hit stored prints."""

    speed: np.ndarray  # int64: index of the variant (AudioParams.variants)
    ref_key: np.ndarray  # int64
    query_s: np.ndarray  # float64: the query anchor's time
    offset_s: np.ndarray  # float64: reference time - speed * query time


def _query_hashes(query: QueryPeaks, speeds: np.ndarray, pitches: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash uint32[m], variant index int64[m], query anchor time float64[m]) of every
    variant (time scale `speeds[i]`, frequency scale `pitches[i]`)."""
    hashes, speed_i, times = [], [], []
    frames = query.times / FRAME_S
    for i, (s, p) in enumerate(zip(speeds, pitches, strict=True)):
        h, anchor = pair_hashes(frames * s, query.freqs / p)
        hashes.append(h)
        speed_i.append(np.full(len(h), i, np.int64))
        times.append(query.times[anchor])
    return np.concatenate(hashes), np.concatenate(speed_i), np.concatenate(times)


def _hits(query: QueryPeaks, lookup: PrintLookup, speeds: np.ndarray, pitches: np.ndarray
          ) -> tuple[_Hits, np.ndarray, np.ndarray]:
    """The hits of every query hash in every variant, and (variant index, anchor time) of
    every query hash (to count the hashes a segment could have had)."""
    qh, qs, qt = _query_hashes(query, speeds, pitches)
    h, key, tick = lookup(np.unique(qh))
    order = np.argsort(h, kind="stable")
    h, key, tick = h[order], key[order], tick[order]
    lo = np.searchsorted(h, qh, side="left")
    n = np.searchsorted(h, qh, side="right") - lo
    rows = np.repeat(np.arange(len(qh)), n)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    stored = starts + np.arange(len(rows))
    s = speeds[qs[rows]]
    offset = tick[stored] * FRAME_S - s * qt[rows]
    return _Hits(qs[rows], key[stored].astype(np.int64), qt[rows], offset), qs, qt


def _lines(hits: _Hits, p: AudioParams) -> list[tuple[int, int, float]]:
    """(speed index, reference key, offset s) of the best-voted lines, best first: bins with at
    least `min_votes` hits counting both neighbour bins, one per neighbourhood."""
    obin = np.rint(hits.offset_s / p.offset_bin_s).astype(np.int64) + _OFFSET_SHIFT
    keys = ((hits.ref_key * 256 + hits.speed) << 23) + obin
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    near = counts.copy()
    for d in (-1, 1):
        j = np.searchsorted(uniq, uniq + d)
        found = (j < len(uniq)) & (uniq[np.minimum(j, len(uniq) - 1)] == uniq + d)
        near[found] += counts[j[found]]
    lines: list[tuple[int, int, float]] = []
    taken: set[tuple[int, int, int]] = set()
    for u in np.argsort(-near, kind="stable"):
        if near[u] < p.min_votes or len(lines) >= p.max_lines:
            break
        k = int(uniq[u])
        ref, speed, b = k >> 31, (k >> 23) & 255, k & ((1 << 23) - 1)
        if any((ref, speed, b + d) in taken for d in range(-3, 4)):
            continue
        taken.add((ref, speed, b))
        mask = np.abs(inverse - u) <= 1  # the bin and, where present, its neighbours
        mask &= np.isin(keys, [k - 1, k, k + 1])
        lines.append((speed, ref, float(np.median(hits.offset_s[mask]))))
    return lines


def match_audio(query: QueryPeaks, lookup: PrintLookup, params: AudioParams = AudioParams()
                ) -> list[AudioSegment]:
    """The segments of the query's soundtrack found in the store, most votes first; at most
    one per reference over any stretch of query time (the best speed and offset)."""
    if len(query) < 2:
        return []
    speeds, pitches = params.variants()
    hits, q_speed, q_time = _hits(query, lookup, speeds, pitches)
    if len(hits.ref_key) == 0:
        return []
    # votes are keyed by dense reference numbers: a store's keys may be any int64 (Milvus's
    # are 60-bit content hashes), too wide to pack with the variant and offset
    keys, dense = np.unique(hits.ref_key, return_inverse=True)
    hits = _Hits(hits.speed, dense.astype(np.int64), hits.query_s, hits.offset_s)
    found: list[AudioSegment] = []
    for speed_i, ref, offset in _lines(hits, params):
        on = ((hits.speed == speed_i) & (hits.ref_key == ref)
              & (np.abs(hits.offset_s - offset) <= 1.5 * params.offset_bin_s))
        s, kept = float(speeds[speed_i]), bool(pitches[speed_i] != speeds[speed_i])
        asked = np.sort(q_time[q_speed == speed_i])
        found.extend(_segments(np.sort(hits.query_s[on]), asked, int(keys[ref]), s, kept,
                               offset, params))
    return _strongest(found)


def _segments(times: np.ndarray, asked: np.ndarray, ref: int, speed: float, kept: bool,
              offset: float, p: AudioParams) -> list[AudioSegment]:
    """The runs of a line's inlier query times (sorted) without a gap over `max_gap_s` that
    are long and voted enough; `asked`: the sorted anchor times of all query hashes."""
    cuts = np.nonzero(np.diff(times) > p.max_gap_s)[0] + 1
    out = []
    for run in np.split(times, cuts):
        start, end = float(run[0]), float(run[-1])
        if len(run) < p.min_votes or end - start < p.min_duration_s:
            continue
        total = np.searchsorted(asked, end, "right") - np.searchsorted(asked, start, "left")
        out.append(AudioSegment(ref, start, end, offset + speed * start, offset + speed * end,
                                speed, len(run), len(run) / max(int(total), 1), kept))
    return out


def _strongest(segments: list[AudioSegment]) -> list[AudioSegment]:
    """The segments, most votes first, without one that covers mostly the query time of a
    stronger one on the same reference (a neighbouring speed or offset of the same copy)."""
    kept: list[AudioSegment] = []
    for g in sorted(segments, key=lambda g: -g.votes):
        if not any(k.ref_key == g.ref_key and overlap(k, g) > 0.5 for k in kept):
            kept.append(g)
    return kept


def overlap(a: AudioSegment, b: AudioSegment) -> float:
    """The query time two segments share, as a share of the shorter one (0-1)."""
    inter = min(a.query_end, b.query_end) - max(a.query_start, b.query_start)
    shorter = min(a.duration, b.duration)
    return max(inter, 0.0) / shorter if shorter > 0 else 0.0
