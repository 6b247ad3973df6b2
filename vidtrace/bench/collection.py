"""A collection with copies inside it, made by the transformation engine, and the score of
`vidtrace dedup` on it (the `vidtrace bench --dedup` real-footage row and the dedup tests).

Each family is one source clip: its "original" (the first `family_s` seconds, re-encoded) and
four copies: a trim (the middle half), a crop (the whole, cropped and re-encoded), a re-encode
(the whole, scaled to 70 % at low quality) and an embedding (the source's 20-80 % between
`FILLER_S` seconds of two clips of its own). Unrelated videos are clips of other sources.
Every video's ground truth maps its seconds to its family's source (`QueryTruth`), so the
footage two videos share is where their source spans intersect.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from vidtrace.dedup import DedupResult, Overlap
from vidtrace.errors import ConfigError
from vidtrace.groundtruth import read_ground_truth, write_ground_truth
from vidtrace.types import QueryTruth

FILLER_S = 2.0
TRUTH_FILE = "truth.json"
COPIES = ("original", "trim", "crop", "reencode", "embedded")


@dataclass(frozen=True)
class CollectionSpec:
    """Family sources (each at least `family_s` s long), two filler clips per family, the
    unrelated clips (their first `family_s` s each, or all of a shorter one); frames are
    written at `fps` with the short side `short_side` px."""

    families: tuple[Path, ...]
    fillers: tuple[Path, ...]
    unrelated: tuple[Path, ...]
    family_s: float = 10.0
    fps: float = 10.0
    short_side: int = 240

    def __post_init__(self) -> None:
        if len(self.fillers) < 2 * len(self.families):
            raise ConfigError(
                f"a collection of {len(self.families)} families needs "
                f"{2 * len(self.families)} filler clips, got {len(self.fillers)}"
            )
        used = [*self.families, *self.fillers, *self.unrelated]
        if len({Path(p).resolve() for p in used}) != len(used):
            raise ConfigError("a collection's families, fillers and unrelated clips must differ")


def _pieces(source: Path, copy: str, fillers: tuple[Path, Path], length: float) -> list:
    from vidtrace.synth import CopyPiece, FillerPiece

    if copy == "trim":
        return [CopyPiece(source, 0.25 * length, 0.75 * length)]
    if copy == "embedded":
        return [
            FillerPiece(fillers[0], 0.0, FILLER_S),
            CopyPiece(source, 0.2 * length, 0.8 * length),
            FillerPiece(fillers[1], 0.0, FILLER_S),
        ]
    return [CopyPiece(source, 0.0, length)]


def _edits(copy: str) -> list:
    from vidtrace.synth import Crop, Reencode, Scale

    if copy == "crop":
        return [Crop(0.1, 0.08, 0.85, 0.9)]
    if copy == "reencode":
        return [Scale(0.7), Reencode(crf=38)]
    return []


def build_collection(spec: CollectionSpec, out: Path) -> list[QueryTruth]:
    """The collection's videos written into folder `out` (family videos as
    `<source>_<copy>.mp4`, unrelated ones as `unrelated_<source>.mp4`, originals first) with
    their ground truth in `out/truth.json`; a finished folder is reused as it is."""
    from vidtrace.synth import FillerPiece, compose_query
    from vidtrace.video import probe

    done = out / TRUTH_FILE
    if done.is_file():
        return read_ground_truth(done)
    out.mkdir(parents=True, exist_ok=True)
    truths: list[QueryTruth] = []
    for copy in COPIES:  # every original first: the earliest files of their families
        for i, source in enumerate(spec.families):
            fillers = (spec.fillers[2 * i], spec.fillers[2 * i + 1])
            path = out / f"{Path(source).stem}_{copy}.mp4"
            truths.append(
                compose_query(
                    _pieces(source, copy, fillers, spec.family_s),
                    path,
                    edits=_edits(copy),
                    fps=spec.fps,
                    short_side=spec.short_side,
                )
            )
    for source in spec.unrelated:
        path = out / f"unrelated_{Path(source).stem}.mp4"
        piece = FillerPiece(source, 0.0, min(spec.family_s, probe(source).duration))
        truths.append(compose_query([piece], path, fps=spec.fps, short_side=spec.short_side))
    write_ground_truth(done, truths)
    return truths


def true_overlaps(truths: Sequence[QueryTruth], min_duration: float) -> list[Overlap]:
    """The footage every unordered pair of videos shares, from their ground truth: where
    their spans of one source intersect for at least `min_duration` s (names: file names)."""
    out = []
    for x, y in combinations(sorted(truths, key=lambda t: t.query), 2):
        for sx in x.segments:
            for sy in y.segments:
                lo, hi = max(sx.ref_start, sy.ref_start), min(sx.ref_end, sy.ref_end)
                if sx.ref_id != sy.ref_id or hi - lo < min_duration:
                    continue
                # copies run at the source's speed (no speed edit in a collection)
                a0, b0 = sx.query_start - sx.ref_start, sy.query_start - sy.ref_start
                out.append(Overlap(x.query, a0 + lo, a0 + hi, y.query, b0 + lo, b0 + hi, 1.0, True))
    return out


def family_of(truth: QueryTruth) -> str:
    """The source a video copies, or its own name for an unrelated one."""
    return truth.segments[0].ref_id if truth.segments else truth.query


@dataclass(frozen=True)
class CollectionScore:
    """Pairs: unordered video pairs reported against those that share footage (precision,
    recall, F1); `within_1s`/`within_3s`: true pairs found with all four boundaries within
    1 s / 3 s; `cross_family`: reported pairs of videos of different families; `purity`: the
    share of grouped videos in their group's most common family; `groups_exact`: whether the
    groups are exactly the families."""

    true_pairs: int
    found_pairs: int
    correct_pairs: int
    within_1s: int
    within_3s: int
    cross_family: int
    purity: float
    groups_exact: bool

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "true_pairs": self.true_pairs,
            "found_pairs": self.found_pairs,
            "correct_pairs": self.correct_pairs,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "pairs_f1": round(self.f1, 4),
            "within_1s": self.within_1s,
            "within_3s": self.within_3s,
            "cross_family": self.cross_family,
            "group_purity": round(self.purity, 4),
            "groups_exact": self.groups_exact,
        }


def boundary_error(found: Overlap, truth: Overlap) -> float:
    """The largest of the four boundary differences, seconds."""
    return max(
        abs(found.a_start - truth.a_start),
        abs(found.a_end - truth.a_end),
        abs(found.b_start - truth.b_start),
        abs(found.b_end - truth.b_end),
    )


def score_collection(
    result: DedupResult, truths: Sequence[QueryTruth], min_duration: float
) -> CollectionScore:
    """`result` (videos named by file name or path) against the collection's ground truth."""
    family = {t.query: family_of(t) for t in truths}

    def name(v: str) -> str:
        return Path(v).name

    truth = {(o.a, o.b): o for o in true_overlaps(truths, min_duration)}
    found: dict[tuple[str, str], list[Overlap]] = {}
    for o in result.overlaps:
        a, b = sorted((name(o.a), name(o.b)))
        flipped = name(o.a) != a
        found.setdefault((a, b), []).append(
            Overlap(b, o.b_start, o.b_end, a, o.a_start, o.a_end, o.score, o.both_ways)
            if flipped
            else Overlap(a, o.a_start, o.a_end, b, o.b_start, o.b_end, o.score, o.both_ways)
        )
    correct = [p for p in found if p in truth]
    errors = [min(boundary_error(f, truth[p]) for f in found[p]) for p in correct]
    grouped = [[family[name(m)] for m in g.members] for g in result.groups]
    majority = sum(max(fams.count(f) for f in set(fams)) for fams in grouped)
    members = sum(len(fams) for fams in grouped)
    families: dict[str, set[str]] = {}
    for t in truths:
        if t.segments:
            families.setdefault(family_of(t), set()).add(t.query)
    as_found = sorted(sorted(name(m) for m in g.members) for g in result.groups)
    return CollectionScore(
        true_pairs=len(truth),
        found_pairs=len(found),
        correct_pairs=len(correct),
        within_1s=sum(e <= 1.0 for e in errors),
        within_3s=sum(e <= 3.0 for e in errors),
        cross_family=sum(family[a] != family[b] for a, b in found),
        purity=majority / members if members else 1.0,
        groups_exact=as_found == sorted(sorted(f) for f in families.values()),
    )
