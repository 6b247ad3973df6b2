"""From one-way findings to the answer of `vidtrace dedup` (dedup/): overlaps, groups, originals.

Pure functions on small records (no store, no files). Each video of a collection was matched
against the others, so shared footage between A and B is usually found twice: querying A finds
it in B, querying B finds it in A. `merge_findings` turns both into one `Overlap` per stretch
of shared footage of each unordered pair; `group_videos` joins videos connected by overlaps
(connected components) and suggests each group's original by `ORIGINAL_RULE`.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from vidtrace.linked import linked_groups

ORIGINAL_RULE = (
    "most shared footage (whole seconds), then the longest (tenths of a second), "
    "then the highest resolution, then the earliest modification time, then the "
    "name"
)


@dataclass(frozen=True)
class Finding:
    """One way: `query` [query_start, query_end] s is a copy of `ref` [ref_start, ref_end] s
    (a `Match` of video `query` against the others)."""

    query: str
    ref: str
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    score: float


@dataclass(frozen=True)
class Overlap:
    """Video `a` [a_start, a_end] s and video `b` [b_start, b_end] s show the same footage
    (`a` < `b` by name). `score`: the better score of the two ways; `both_ways`: found by
    querying a and by querying b; `identical`: the two files have the same bytes."""

    a: str
    a_start: float
    a_end: float
    b: str
    b_start: float
    b_end: float
    score: float
    both_ways: bool
    identical: bool = False

    @property
    def duration(self) -> float:
        """The shorter of the two spans, seconds."""
        return min(self.a_end - self.a_start, self.b_end - self.b_start)

    @property
    def longest(self) -> float:
        """The longer of the two spans, seconds."""
        return max(self.a_end - self.a_start, self.b_end - self.b_start)

    @property
    def speed(self) -> float:
        """Seconds of b per second of a along the overlap (1.0 at the same speed)."""
        span = self.a_end - self.a_start
        return (self.b_end - self.b_start) / span if span > 0 else 1.0

    def to_json(self) -> dict[str, object]:
        return {
            "a": self.a,
            "a_start": round(self.a_start, 3),
            "a_end": round(self.a_end, 3),
            "b": self.b,
            "b_start": round(self.b_start, 3),
            "b_end": round(self.b_end, 3),
            "score": round(self.score, 4),
            "speed": round(self.speed, 3),
            "both_ways": self.both_ways,
            "identical": self.identical,
        }


@dataclass(frozen=True)
class VideoFacts:
    """What the original rule reads of a video: length in seconds, display size in pixels and
    modification time (None when the file cannot be read now)."""

    name: str
    duration: float
    width: int | None = None
    height: int | None = None
    mtime: float | None = None


@dataclass(frozen=True)
class Group:
    """Videos connected by shared footage. `shared[name]`: the merged spans (start, end) s of
    that video that other members also show; `original`: the suggestion of ORIGINAL_RULE."""

    members: tuple[str, ...]
    shared: Mapping[str, tuple[tuple[float, float], ...]]
    original: str

    def shared_s(self, name: str) -> float:
        return sum(e - s for s, e in self.shared[name])

    def to_json(self, facts: Mapping[str, VideoFacts]) -> dict[str, object]:
        def member(name: str) -> dict[str, object]:
            f = facts[name]
            return {
                "video": name,
                "duration": round(f.duration, 3),
                "width": f.width,
                "height": f.height,
                "shared_s": round(self.shared_s(name), 3),
                "shared": [[round(s, 3), round(e, 3)] for s, e in self.shared[name]],
            }

        return {
            "original": self.original,
            "rule": ORIGINAL_RULE,
            "members": [member(n) for n in self.members],
        }


def _intersect(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return min(a[1], b[1]) - max(a[0], b[0]) > 0


Span4 = tuple[float, float, float, float]  # a_start, a_end, b_start, b_end


def merge_findings(findings: Iterable[Finding], min_duration: float) -> list[Overlap]:
    """One overlap per stretch of footage shared by an unordered pair of videos, longest
    first. Findings of a pair whose spans intersect on both videos are one stretch (either
    way, or split in pieces by one way); its boundaries are those of the way with the best
    score, its pieces joined (first start to last end). Overlaps shorter than `min_duration`
    s on either video are dropped."""
    by_pair: dict[tuple[str, str], list[tuple[Span4, float, int]]] = defaultdict(list)
    for f in findings:
        if f.query == f.ref:
            continue
        if f.query < f.ref:
            span = (f.query_start, f.query_end, f.ref_start, f.ref_end)
            by_pair[f.query, f.ref].append((span, f.score, 0))
        else:
            span = (f.ref_start, f.ref_end, f.query_start, f.query_end)
            by_pair[f.ref, f.query].append((span, f.score, 1))
    out = []
    for (a, b), items in sorted(by_pair.items()):
        for cluster in _clusters([s for s, _, _ in items]):
            ways: dict[int, list[Span4]] = defaultdict(list)
            for i in cluster:
                ways[items[i][2]].append(items[i][0])
            # the better-scoring way: the other one is often a line at a wrong speed on a
            # short or static stretch, so averaging the two would spoil the good one
            best = max(ways, key=lambda w: max(items[i][1] for i in cluster if items[i][2] == w))
            spans = ways[best]
            a0, a1, b0, b1 = (
                min(s[0] for s in spans),
                max(s[1] for s in spans),
                min(s[2] for s in spans),
                max(s[3] for s in spans),
            )
            overlap = Overlap(
                a, a0, a1, b, b0, b1, max(items[i][1] for i in cluster), len(ways) == 2
            )
            if overlap.duration >= min_duration:
                out.append(overlap)
    return sorted(out, key=lambda o: (-o.duration, o.a, o.b, o.a_start))


def _clusters(spans: list[Span4]) -> list[list[int]]:
    """Indices of `spans` joined when they intersect on both videos (transitively)."""
    return linked_groups(len(spans), lambda i, j: _intersect(spans[i][:2], spans[j][:2])
                         and _intersect(spans[i][2:], spans[j][2:]))


def implied_pairs(overlaps: Iterable[Overlap], min_duration: float) -> list[tuple[str, str]]:
    """Unordered pairs (x, y), x < y, with no overlap of their own, that both overlap a third
    video on spans of it intersecting for at least `min_duration` s: footage they both copy,
    which a query may have missed when stronger copies filled its k nearest neighbours or
    its `max_candidates`. A compilation's two halves (spans apart) imply nothing."""
    overlaps = list(overlaps)
    have = {(o.a, o.b) for o in overlaps}
    seen: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for o in overlaps:
        seen[o.a].append((o.b, o.a_start, o.a_end))
        seen[o.b].append((o.a, o.b_start, o.b_end))
    out = set()
    for spans in seen.values():
        for (x, s1, e1), (y, s2, e2) in combinations(spans, 2):
            pair = (min(x, y), max(x, y))
            if x != y and pair not in have and min(e1, e2) - max(s1, s2) >= min_duration:
                out.add(pair)
    return sorted(out)


def merge_spans(spans: Iterable[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Sorted, disjoint spans covering the same seconds as `spans`."""
    out: list[tuple[float, float]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def group_videos(overlaps: Iterable[Overlap], facts: Mapping[str, VideoFacts]) -> list[Group]:
    """The connected components of the videos under `overlaps` (two or more members each),
    largest first, each with its shared spans and suggested original (`ORIGINAL_RULE`;
    `facts` must hold every video named in an overlap)."""
    overlaps = list(overlaps)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for o in overlaps:
        ra, rb = root(o.a), root(o.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for o in overlaps:
        spans[o.a].append((o.a_start, o.a_end))
        spans[o.b].append((o.b_start, o.b_end))
    members: dict[str, list[str]] = defaultdict(list)
    for name in sorted(spans):
        members[root(name)].append(name)
    groups = []
    for names in members.values():
        shared = {n: merge_spans(spans[n]) for n in names}
        groups.append(Group(tuple(names), shared, _original(names, shared, facts)))
    return sorted(groups, key=lambda g: (-len(g.members), g.members))


def _original(
    names: list[str],
    shared: Mapping[str, tuple[tuple[float, float], ...]],
    facts: Mapping[str, VideoFacts],
) -> str:
    def key(name: str) -> tuple[float, float, float, float, str]:
        f = facts[name]
        pixels = (f.width or 0) * (f.height or 0)
        held = round(sum(e - s for s, e in shared[name]))
        mtime = f.mtime if f.mtime is not None else float("inf")
        return (-held, -round(f.duration, 1), -pixels, mtime, name)

    return min(names, key=key)
