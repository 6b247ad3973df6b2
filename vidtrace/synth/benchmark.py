"""Building a copy-detection benchmark from real clips (stage 8, synth & eval).

Layout of a benchmark folder:
    references/ref000.mp4 ...   reference videos, each several source clips joined, topped up
                                with pan/zoom moves over photos when the spec asks for it
    fillers/photo000.mp4 ...    pan/zoom videos of photos used as filler (if any)
    queries/q0001.mp4 ...       query videos: copied reference segments spliced with filler,
                                then edited; negatives hold filler only
    groundtruth.json            `vidtrace.groundtruth` format, query paths relative to the folder
    sources.json                what went where: reference spans (clips and pan/zoom moves),
                                filler videos, photo fillers and logo photos
Every source clip and every photo has exactly one role. A clip is part of a reference or filler
(splice material, picture-in-picture backgrounds and foreign insets); clips of a related group
(`vidtrace.synth.related`: one scene filmed twice, a screen recording of another clip) are
all filler, so no filler holds an unlisted copy of a reference. A photo is part of a
reference (only when `BenchmarkSpec.reference_s` is set), a filler video (at most
`photo_fillers` of them), or a logo overlay; photos of a related group (one picture under
several names, `vidtrace.synth.related.related_photos`) are never part of a reference.
Everything follows from `seed` through one numpy Generator.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.groundtruth import write_ground_truth
from vidtrace.synth.base import Edit
from vidtrace.synth.panzoom import Footage, PanZoom, join_footage, random_panzoom, render_panzoom
from vidtrace.synth.randomize import EditPool, random_chain
from vidtrace.synth.related import group_members
from vidtrace.synth.render import CopyPiece, FillerPiece, Piece, compose_query
from vidtrace.synth.videoio import source_info
from vidtrace.types import QueryTruth
from vidtrace.video.files import PHOTO_SUFFIXES, VIDEO_SUFFIXES, list_files

# Pieces stay this far from a clip's stated end, whose rounding can overstate it.
_END_MARGIN_S = 0.2

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BenchmarkSpec:
    """Sizes and ranges of a benchmark. Seconds unless named otherwise.

    reference_share: fraction of the clips that become reference material (the rest is
    filler); max_reference_s: a reference stops taking clips at this length; copy_s and
    filler_s: (min, max) length of a copied segment and of a filler piece; max_copies: copied
    segments in a positive query (1..max_copies); n_edits: (min, max) edits per query.
    Photos: with `reference_s` (min, max) set, each reference is topped up with pan/zoom moves
    over photos (each `panzoom_s` (min, max) long) to a length drawn from that range, as far as
    the photos last; None keeps references to clips. Up to `photo_fillers` photos left over
    become pan/zoom filler videos; the rest are logo overlays.
    Whole copies: the share `whole_share` of positive queries copies a whole reference less
    `trim_s` (min, max) seconds at its head, its tail or both (a third each), and half of them
    open with `opening_s` (min, max) seconds of filler the reference lacks.
    """

    reference_share: float = 0.6
    max_reference_s: float = 180.0
    copy_s: tuple[float, float] = (6.0, 60.0)
    filler_s: tuple[float, float] = (2.0, 12.0)
    max_copies: int = 2
    n_edits: tuple[int, int] = (1, 3)
    reference_size: tuple[int, int] = (640, 360)
    reference_fps: float = 25.0
    reference_crf: int = 18
    query_short_side: int = 360
    query_crf: int = 23
    preset: str = "veryfast"
    reference_s: tuple[float, float] | None = None
    panzoom_s: tuple[float, float] = (4.0, 8.0)
    photo_fillers: int = 0
    whole_share: float = 0.0
    trim_s: tuple[float, float] = (1.0, 5.0)
    opening_s: tuple[float, float] = (2.0, 5.0)

    def __post_init__(self) -> None:
        if not 0 < self.reference_share < 1:
            raise ConfigError("reference_share must be in (0, 1)")
        if not 0 <= self.whole_share <= 1:
            raise ConfigError("whole_share must be in [0, 1]")
        ranges = ["copy_s", "filler_s", "panzoom_s", "trim_s", "opening_s"]
        for name in [*ranges, *(["reference_s"] if self.reference_s is not None else [])]:
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ConfigError(f"{name} must be (min, max) with 0 < min <= max")
        if self.max_copies < 1:
            raise ConfigError("max_copies must be at least 1")
        if self.photo_fillers < 0:
            raise ConfigError("photo_fillers must be 0 or more")

    @classmethod
    def quick(cls) -> "BenchmarkSpec":
        """Short copies and small frames: ~20 queries build in a couple of minutes on 2 cores."""
        return cls(max_reference_s=90.0, copy_s=(6.0, 20.0), filler_s=(2.0, 6.0),
                   query_short_side=240)


def assign_roles(
    clips: Sequence[tuple[Path, float]], rng: np.random.Generator, n_references: int,
    spec: BenchmarkSpec, photos_fill: bool = False, related: Sequence[Sequence[str]] = (),
) -> tuple[list[list[Path]], list[tuple[Path, float]]]:
    """(clip groups, one per reference; filler clips with durations). Clips of a `related`
    group (file-name patterns, `vidtrace.synth.related`) are filler. The others are shuffled;
    the reference share of all clips goes to the shortest group that stays within
    max_reference_s; what does not fit becomes filler. Every group gets a clip, unless
    `photos_fill` (pan/zoom moves will fill the references): then the reference share is kept
    and groups beyond it stay empty."""
    held = set().union(*group_members([p for p, _ in clips], related))
    free = [c for c in clips if c[0] not in held]
    if (n_references < 1 or len(clips) < 2 or not free
            or (not photos_fill and n_references >= len(free))):
        raise ConfigError(f"{len(clips)} source clips ({len(held)} of them in related groups, "
                          f"kept as filler) cannot give {n_references} references and filler; "
                          "give more clips (or photos) or fewer references")
    order = [free[int(i)] for i in rng.permutation(len(free))]
    share = round(spec.reference_share * len(clips))
    n_ref = min(max(share, 1 if photos_fill else n_references), len(free) - (0 if held else 1))
    groups: list[list[Path]] = [[] for _ in range(n_references)]
    totals = [0.0] * n_references
    fillers = [*order[n_ref:], *(c for c in clips if c[0] in held)]
    for j, (path, duration) in enumerate(order[:n_ref]):
        g = j if j < n_references else int(np.argmin(totals))
        if j >= n_references and totals[g] + duration > spec.max_reference_s:
            fillers.append((path, duration))
            continue
        groups[g].append(path)
        totals[g] += duration
    return groups, sorted(fillers)


def _filler(rng: np.random.Generator, fillers: Sequence[tuple[Path, float]],
            length: tuple[float, float]) -> FillerPiece:
    path, duration = fillers[int(rng.integers(len(fillers)))]
    usable = max(0.5, duration - _END_MARGIN_S)
    span = min(float(rng.uniform(*length)), usable)
    start = float(rng.uniform(0.0, usable - span))
    return FillerPiece(path, round(start, 3), round(start + span, 3))


def _copy(rng: np.random.Generator, refs: Sequence[tuple[Path, float]],
          length: tuple[float, float]) -> CopyPiece:
    path, duration = refs[int(rng.integers(len(refs)))]
    usable = duration - _END_MARGIN_S
    span = float(rng.uniform(min(length[0], usable), min(length[1], usable)))
    start = round(float(rng.uniform(0.0, usable - span)), 3)
    return CopyPiece(path, start, round(start + span, 3))


def _whole(rng: np.random.Generator, refs: Sequence[tuple[Path, float]],
           fillers: Sequence[tuple[Path, float]], spec: BenchmarkSpec) -> list[Piece]:
    """A whole reference less `trim_s` seconds at its head, tail or both, after an opening of
    filler (`opening_s`) half of the time."""
    path, duration = refs[int(rng.integers(len(refs)))]
    usable = duration - _END_MARGIN_S
    where = int(rng.integers(3))  # 0: head trimmed, 1: tail trimmed, 2: both
    head = float(rng.uniform(*spec.trim_s)) if where != 1 else 0.0
    tail = float(rng.uniform(*spec.trim_s)) if where != 0 else 0.0
    start, end = round(min(head, usable / 3), 3), round(usable - min(tail, usable / 3), 3)
    pieces: list[Piece] = []
    if rng.random() < 0.5:
        pieces.append(_filler(rng, fillers, spec.opening_s))
    return [*pieces, CopyPiece(path, start, end)]


def plan_query(
    rng: np.random.Generator, negative: bool, refs: Sequence[tuple[Path, float]],
    fillers: Sequence[tuple[Path, float]], pool: EditPool, spec: BenchmarkSpec,
    whole: bool = False,
) -> tuple[list[Piece], list[Edit]]:
    """Pieces and edit chain of one query. A negative is 1-3 filler pieces as long as copies;
    a `whole` positive copies a whole trimmed reference (`_whole`); another positive is
    1..max_copies copies, each slot before/between/after them holding filler with probability
    0.6."""
    pieces: list[Piece] = []
    if whole and not negative:
        pieces = _whole(rng, refs, fillers, spec)
    elif negative:
        for _ in range(int(rng.integers(1, 4))):
            pieces.append(_filler(rng, fillers, spec.copy_s))
    else:
        n_copies = int(rng.integers(1, spec.max_copies + 1))
        for i in range(n_copies + 1):
            if rng.random() < 0.6:
                pieces.append(_filler(rng, fillers, spec.filler_s))
            if i < n_copies:
                pieces.append(_copy(rng, refs, spec.copy_s))
    chain = random_chain(rng, pool, *spec.n_edits)
    return pieces, chain


def assign_photos(
    groups: Sequence[Sequence[Path]], durations: dict[Path, float], photos: Sequence[Path],
    rng: np.random.Generator, spec: BenchmarkSpec,
) -> tuple[list[list[Footage]], list[Path]]:
    """(reference groups topped up with pan/zoom moves; the photos left over, shuffled).

    With `spec.reference_s` set, each reference draws a target length from it; photos, taken
    in a shuffled order, go one at a time to the reference furthest below its target, as a
    random move inserted at a random place, until every target is met or the photos run out.
    `durations`: seconds of each clip in `groups`.
    """
    order = [photos[int(i)] for i in rng.permutation(len(photos))]
    out: list[list[Footage]] = [list(g) for g in groups]
    if spec.reference_s is None or not out:
        return out, order
    targets = rng.uniform(*spec.reference_s, size=len(out))
    totals = np.array([sum(durations[p] for p in g) for g in groups], dtype=np.float64)
    while order and np.any(totals < targets):
        j = int(np.argmax(targets - totals))
        move = random_panzoom(rng, order.pop(0), spec.panzoom_s)
        out[j].insert(int(rng.integers(len(out[j]) + 1)), move)
        totals[j] += move.duration_s
    return out, order


def build_benchmark(
    sources: Path | Sequence[Path], out_dir: Path, *, seed: int = 0, n_references: int = 3,
    n_queries: int = 20, negative_share: float = 0.2, photos: Path | Sequence[Path] | None = None,
    spec: BenchmarkSpec | None = None, progress: Progress | None = None,
    related: Sequence[Sequence[str]] = (),
) -> Path:
    """Build a benchmark in `out_dir` (see the module docstring) and return its ground-truth
    path. `sources`: a folder of clips or a list of files; `photos`: a folder or list of photos
    for pan/zoom footage and logos (None: none; text logos only). `progress(stage, done, total)`
    is called after each video, stages "references", "fillers" and "queries". `related`:
    groups of file-name patterns of clips or photos that show the same thing (clips kept as
    filler, photos out of references: filler or logos; see `vidtrace.synth.related`).
    Whole-reference copies are named queries/qNNNN-whole.mp4."""
    spec = spec or BenchmarkSpec()
    if n_queries < 1 or not 0 <= negative_share <= 1:
        raise ConfigError("n_queries must be at least 1 and negative_share in [0, 1]")
    clips = [(p, source_info(p).duration) for p in list_files(sources, VIDEO_SUFFIXES)]
    rng = np.random.default_rng(seed)
    photo_files = [] if photos is None else list_files(photos, PHOTO_SUFFIXES)
    photos_fill = spec.reference_s is not None and bool(photo_files)
    groups, fillers = assign_roles(clips, rng, n_references, spec, photos_fill, related)
    # photos of a related group (one picture under several names) stay out of references
    held_photos = set().union(*group_members(photo_files, related))
    parts, spare = assign_photos(groups, dict(clips),
                                 [p for p in photo_files if p not in held_photos], rng, spec)
    spare = sorted(held_photos) + spare
    if not all(parts):
        raise ConfigError(f"{len(clips)} clips and {len(photo_files)} photos cannot fill "
                          f"{n_references} references; give more footage or fewer references")
    filler_moves = [random_panzoom(rng, p, spec.panzoom_s) for p in spare[:spec.photo_fillers]]
    logos = sorted(spare[spec.photo_fillers:])
    out_dir = Path(out_dir)
    for sub in ("references", "fillers", "queries"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    refs, spans = _render_references(parts, out_dir, spec, progress)
    photo_fillers = _render_fillers(filler_moves, out_dir, spec, progress)
    fillers = sorted([*fillers, *((path, length) for path, length, _ in photo_fillers)])
    _write_sources(out_dir / "sources.json", seed, spans, fillers, photo_fillers, logos,
                   group_members([p for p, _ in clips], related))

    pool = EditPool(backgrounds=fillers, photos=logos)
    n_negative = round(negative_share * n_queries)
    negatives = set(rng.choice(n_queries, n_negative, replace=False).tolist())
    positives = [q for q in range(n_queries) if q not in negatives]
    n_whole = round(spec.whole_share * len(positives))
    wholes = set(rng.choice(positives, n_whole, replace=False).tolist()) if n_whole else set()
    plans = [plan_query(rng, q in negatives, refs, fillers, pool, spec, q in wholes)
             for q in range(n_queries)]
    truths: list[QueryTruth] = []
    for q, (pieces, chain) in enumerate(plans):
        name = f"queries/q{q + 1:04d}{'-whole' if q in wholes else ''}.mp4"
        truths.append(compose_query(
            pieces, out_dir / name, edits=chain, crf=spec.query_crf,
            short_side=spec.query_short_side, preset=spec.preset, query=name,
        ))
        if progress:
            progress("queries", q + 1, n_queries)
    gt_path = out_dir / "groundtruth.json"
    write_ground_truth(gt_path, truths)
    return gt_path


def _render_references(
    groups: Sequence[Sequence[Footage]], out_dir: Path, spec: BenchmarkSpec,
    progress: Progress | None,
) -> tuple[list[tuple[Path, float]], dict[str, list[tuple[Footage, float, float]]]]:
    refs: list[tuple[Path, float]] = []
    spans: dict[str, list[tuple[Footage, float, float]]] = {}
    for j, group in enumerate(groups):
        path = out_dir / "references" / f"ref{j:03d}.mp4"
        spans[path.stem] = join_footage(group, path, fps=spec.reference_fps,
                                        size=spec.reference_size, crf=spec.reference_crf,
                                        preset=spec.preset)
        refs.append((path, spans[path.stem][-1][2]))
        if progress:
            progress("references", j + 1, len(groups))
    return refs, spans


def _render_fillers(
    moves: Sequence[PanZoom], out_dir: Path, spec: BenchmarkSpec, progress: Progress | None,
) -> list[tuple[Path, float, PanZoom]]:
    """Each move written as fillers/photoNNN.mp4: (path, length in seconds, move)."""
    done: list[tuple[Path, float, PanZoom]] = []
    for i, move in enumerate(moves):
        path = out_dir / "fillers" / f"photo{i:03d}.mp4"
        length = render_panzoom(move, path, fps=spec.reference_fps, size=spec.reference_size,
                                crf=spec.reference_crf, preset=spec.preset)
        done.append((path, length, move))
        if progress:
            progress("fillers", i + 1, len(moves))
    return done


def _span_json(part: Footage, start: float, end: float) -> dict[str, object]:
    doc: dict[str, object] = {"source": str(part.photo if isinstance(part, PanZoom) else part),
                              "start": round(start, 3), "end": round(end, 3)}
    if isinstance(part, PanZoom):
        doc["panzoom"] = part.to_json()
    return doc


def _write_sources(
    path: Path, seed: int, spans: dict[str, list[tuple[Footage, float, float]]],
    fillers: Sequence[tuple[Path, float]], photo_fillers: Sequence[tuple[Path, float, PanZoom]],
    logos: Sequence[Path], related: Sequence[set[Path]] = (),
) -> None:
    doc = {
        "seed": seed,
        "references": {ref_id: [_span_json(*span) for span in parts]
                       for ref_id, parts in spans.items()},
        "fillers": [str(p) for p, _ in fillers],
        "photo_fillers": [{"video": str(p), "panzoom": move.to_json()}
                          for p, _, move in photo_fillers],
        "logo_photos": [str(p) for p in logos],
        "related_fillers": [sorted(str(p) for p in group) for group in related],
    }
    path.write_text(json.dumps(doc, indent=1))
