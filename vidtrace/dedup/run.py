"""Finding the copies inside a collection (dedup/, above the API): describe every video once,
match each against all the others, merge, group.

Every video is a reference of a library (a temporary one, or one kept with `--lib` so a second
run describes only new files). Each reference's stored frames are then its own query: the
matcher of `vidtrace query` (match/) runs on them against the library seen without that
reference (`WithoutReferences`), so nothing is described twice and nothing matches itself.
The cost is one query per video: k-NN search of its frames, then alignment of at most
`max_candidates` other videos, never all N - 1 (docs/dedup.md).
"""

import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from vidtrace.api import AddStatus, Library
from vidtrace.dedup.exclude import OnlyReference, WithoutReferences
from vidtrace.dedup.overlaps import (
    ORIGINAL_RULE,
    Finding,
    Group,
    Overlap,
    VideoFacts,
    group_videos,
    implied_pairs,
    merge_findings,
)
from vidtrace.dedup.refine import refine_overlap
from vidtrace.dedup.views import inset_views
from vidtrace.errors import VidtraceError
from vidtrace.fsutil import file_sha256
from vidtrace.library.store import ReadStore
from vidtrace.match import Matcher
from vidtrace.settings import (
    DEFAULT_LIBRARY,
    DEFAULT_QUERY,
    FineMode,
    LibrarySettings,
    QuerySettings,
    Stage1,
)
from vidtrace.types import FrameSet, Reference
from vidtrace.video.described import InsetView, QueryViews
from vidtrace.video.files import expand_video_paths

DEFAULT_MIN_DURATION_S = 3.0
# every video is a query as well as a reference: a library made for dedup describes it once, at
# the rate queries are described at (docs/dedup.md)
DEDUP_LIBRARY = DEFAULT_LIBRARY.with_changes(index_fps=DEFAULT_QUERY.query_fps)
Tick = Callable[[int, int], None]  # (videos done, videos in all)


@dataclass(frozen=True)
class DedupResult:
    """The copies inside a collection: `videos` by name (a file as given, or a reference id),
    the `overlaps` of every unordered pair, the `groups` of connected videos; the files that
    could not be read (`failed`, name -> one-line error); the threshold and shortest overlap
    used; seconds spent describing new files (`described` of them) and matching."""

    videos: Mapping[str, VideoFacts]
    overlaps: list[Overlap]
    groups: list[Group]
    min_duration: float
    threshold: float
    describe_s: float = 0.0
    match_s: float = 0.0
    failed: Mapping[str, str] = field(default_factory=dict)
    described: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "videos": len(self.videos),
            "min_duration": self.min_duration,
            "threshold": self.threshold,
            "original_rule": ORIGINAL_RULE,
            "pairs": [o.to_json() for o in self.overlaps],
            "groups": [g.to_json(self.videos) for g in self.groups],
            "failed": [{"video": k, "error": v} for k, v in self.failed.items()],
            "described": self.described,
            "describe_s": round(self.describe_s, 3),
            "match_s": round(self.match_s, 3),
        }


def dedup_settings(lib: Library, base: QuerySettings | None = None) -> QuerySettings:
    """`base` (default: the library's query defaults) for queries made of stored frames: at
    the rate and sampling the references were stored at, its inset and canvas views made from
    the files (views.py) but no mirrored one (every frame described again), no fine
    refinement, and vote instead of orb-rerank (which decodes again)."""
    s = base or lib.query_defaults
    return s.with_changes(
        query_fps=lib.settings.index_fps,
        query_sampling=lib.settings.index_sampling,
        mirror_view=False,
        fine=FineMode.OFF,
        stage1=Stage1.VOTE if s.stage1 is Stage1.ORB_RERANK else s.stage1,
    )


def find_findings(
    lib: Library,
    refs: Sequence[Reference],
    settings: QuerySettings,
    progress: Tick | None = None,
    aligned: list[int] | None = None,
    insets: Mapping[str, InsetView] | None = None,
) -> list[Finding]:
    """Each of `refs` queried with its stored frames (and its inset view in `insets`, by
    video id) against the others of `refs` (the rest of the library and itself hidden), in
    one snapshot of the store. `aligned`, when given, gets the number of other videos
    aligned for each query (at most `max_candidates`)."""
    store = lib.store
    findings: list[Finding] = []
    with store.snapshot():
        wanted = {r.key for r in refs}
        outside = [r for r in store.references() if r.key not in wanted]
        for i, ref in enumerate(refs):
            view = WithoutReferences(store, [*outside, ref])
            found, candidates = _query(lib, ref, view, settings, insets)
            findings += found
            if aligned is not None and candidates is not None:
                aligned.append(candidates)
            if progress:
                progress(i + 1, len(refs))
    return findings


def find_implied(lib: Library, refs: Sequence[Reference], pairs: Sequence[tuple[str, str]],
                 settings: QuerySettings, insets: Mapping[str, InsetView] | None = None
                 ) -> list[Finding]:
    """Each pair of video ids of `refs` (overlaps.implied_pairs) aligned both ways, each video
    queried against the other alone (`OnlyReference`): the matcher and threshold of
    `find_findings` without stage 1's competition from the rest of the collection."""
    by_id = {r.video_id: r for r in refs}
    findings: list[Finding] = []
    with lib.store.snapshot():
        for x, y in pairs:
            for query, ref in ((by_id[x], by_id[y]), (by_id[y], by_id[x])):
                view = OnlyReference(lib.store, ref.key)
                findings += _query(lib, query, view, settings, insets)[0]
    return findings


def _query(lib: Library, ref: Reference, view: ReadStore, settings: QuerySettings,
           insets: Mapping[str, InsetView] | None = None) -> tuple[list[Finding], int | None]:
    """`ref`'s stored frames (with its view in `insets`) matched against `view`: its findings
    and the number of videos stage 1 chose to align (None when it has no frames)."""
    times, vectors = lib.store.frames(ref.key)
    if not len(times):
        return [], None
    query = FrameSet(ref.video_id, times, vectors, max(ref.duration, times[-1]))
    inset = (insets or {}).get(ref.video_id)
    views = QueryViews(query, inset) if inset is not None else QueryViews.of(query)
    trace = Matcher(view, settings, lib.settings.index_fps).trace(views)
    found = [Finding(ref.video_id, m.ref_id, m.query_start, m.query_end, m.ref_start,
                     m.ref_end, m.score) for m in trace.matches]
    return found, len(trace.candidates)


def find_overlaps(lib: Library, refs: Sequence[Reference], settings: QuerySettings,
                  min_duration: float, progress: Tick | None = None,
                  aligned: list[int] | None = None) -> list[Overlap]:
    """The overlaps among `refs` (video ids): their inset views made from their files
    (views.py), each queried against the others (`find_findings`), then the pairs their
    overlaps imply aligned directly (`find_implied`), all merged and refined
    (`overlaps_of`), longest first."""
    insets = inset_views(lib, refs, settings)
    found = overlaps_of(lib, refs, find_findings(lib, refs, settings, progress, aligned, insets),
                        min_duration, insets)
    implied = find_implied(lib, refs, implied_pairs(found, min_duration), settings, insets)
    found += overlaps_of(lib, refs, implied, min_duration, insets)
    return sorted(found, key=lambda o: (-o.duration, o.a, o.b, o.a_start))


def overlaps_of(lib: Library, refs: Sequence[Reference], findings: list[Finding],
                min_duration: float, insets: Mapping[str, InsetView] | None = None
                ) -> list[Overlap]:
    """`findings` (between video ids of `refs`) merged into overlaps, each placed on the line
    and ends the stored frames of both videos support best (refine.py; a frame with an inset
    view in `insets` as the view nearer the other video), those at least `min_duration` s
    long (and found at least that long on one video before refinement) kept, longest first."""
    by_id = {r.video_id: r for r in refs}
    frames: dict[str, FrameSet] = {}

    def of(video_id: str) -> FrameSet:
        if video_id not in frames:
            ref = by_id[video_id]
            times, vectors = lib.store.frames(ref.key)
            frames[video_id] = FrameSet(video_id, times, vectors, max(ref.duration, *times[-1:]))
        return frames[video_id]

    def facing(video_id: str, other: str) -> FrameSet:
        seen, inset = of(video_id), (insets or {}).get(video_id)
        if inset is None:
            return seen
        best = QueryViews(seen, inset).best_vectors(of(other).vectors)
        return FrameSet(video_id, seen.times, best, seen.duration)

    # the matcher's own finding must reach `min_duration` on its longer side: refinement
    # places an overlap better but also lengthens a short false finding
    found = [o for o in merge_findings(findings, 0.0) if o.longest >= min_duration]
    with lib.store.snapshot():
        out = [refine_overlap(o, facing(o.a, o.b), facing(o.b, o.a)) for o in found]
    out = [o for o in out if o.duration >= min_duration]
    return sorted(out, key=lambda o: (-o.duration, o.a, o.b, o.a_start))


def video_facts(name: str, path: str | Path, duration: float) -> VideoFacts:
    """`name`'s facts for the original rule, read from the file at `path` when it can be."""
    from vidtrace.video import probe

    try:
        info = probe(path)
        return VideoFacts(name, duration, info.width, info.height, os.stat(path).st_mtime)
    except (VidtraceError, OSError):
        return VideoFacts(name, duration)


def dedup_library(
    lib: Library,
    refs: Sequence[Reference] | None = None,
    files: Mapping[str, Sequence[str]] | None = None,
    settings: QuerySettings | None = None,
    min_duration: float = DEFAULT_MIN_DURATION_S,
    progress: Tick | None = None,
) -> DedupResult:
    """The copies among `refs` (default: every reference of the library). Videos are named
    by `files[video_id]` (the files holding that content; files with the same bytes are one
    reference and overlap whole) or, without `files`, by reference id."""
    refs = list(lib.videos() if refs is None else refs)
    s = dedup_settings(lib, settings)
    start = time.perf_counter()
    merged = find_overlaps(lib, refs, s, min_duration, progress)
    names = {r.video_id: list(files[r.video_id]) if files else [r.video_id] for r in refs}
    facts = {
        n: video_facts(n, n if files else r.path, r.duration)
        for r in refs
        for n in names[r.video_id]
    }
    overlaps = [_renamed(o, x, y) for o in merged for x in names[o.a] for y in names[o.b]]
    for r in refs:
        same = sorted(names[r.video_id])
        overlaps += [
            Overlap(x, 0.0, r.duration, y, 0.0, r.duration, 1.0, True, True)
            for i, x in enumerate(same)
            for y in same[i + 1 :]
        ]
    overlaps.sort(key=lambda o: (-o.duration, o.a, o.b, o.a_start))
    return DedupResult(
        facts,
        overlaps,
        group_videos(overlaps, facts),
        min_duration,
        s.match_threshold,
        match_s=time.perf_counter() - start,
    )


def _renamed(o: Overlap, a: str, b: str) -> Overlap:
    """`o` between videos named `a` (its a) and `b` (its b), `a` < `b` again."""
    if a < b:
        return Overlap(a, o.a_start, o.a_end, b, o.b_start, o.b_end, o.score, o.both_ways)
    return Overlap(b, o.b_start, o.b_end, a, o.a_start, o.a_end, o.score, o.both_ways)


def dedup_paths(
    paths: Sequence[Path],
    library: Path | None = None,
    min_duration: float = DEFAULT_MIN_DURATION_S,
    settings: QuerySettings | None = None,
    library_settings: LibrarySettings = DEDUP_LIBRARY,
    jobs: int = 1,
    wait: float = 0.0,
    on_file: Callable[[Path], Callable[[float], None]] | None = None,
    progress: Tick | None = None,
) -> DedupResult:
    """The copies among the video files in `paths` (files and folders). Each file is a
    reference of `library` (created with `library_settings` when missing; default: a
    temporary one) under its
    absolute path as id: a file already described there is not described again, one whose
    bytes changed is described anew. `on_file(path)` gives a seconds callback while a file is
    described; `progress` ticks as videos are matched. Files that cannot be read are listed in
    `failed` and left out."""
    files = expand_video_paths(paths)
    failed: dict[str, str] = {}
    with ExitStack() as stack:
        if library is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vidtrace-dedup-")))
            lib = Library.create(tmp / "library", library_settings)
        else:
            lib = Library.open_or_create(library, library_settings)
        stack.callback(lib.close)
        ids = [str(f.resolve()) for f in files]
        _drop_changed(lib, files, ids, wait)
        start = time.perf_counter()
        added = lib.add(
            files,
            ids,
            on_error=lambda p, e: failed.__setitem__(str(p), str(e)),
            progress=on_file,
            jobs=jobs,
            wait=wait,
        )
        describe_s = time.perf_counter() - start
        holders: dict[str, list[str]] = defaultdict(list)
        for a in added:
            holders[a.video_id].append(a.path)
        refs = [r for r in lib.videos() if r.video_id in holders]
        found = dedup_library(lib, refs, holders, settings, min_duration, progress)
    return DedupResult(
        found.videos,
        found.overlaps,
        found.groups,
        min_duration,
        found.threshold,
        describe_s,
        found.match_s,
        failed,
        sum(a.status is AddStatus.ADDED for a in added),
    )


def _drop_changed(lib: Library, files: Sequence[Path], ids: Sequence[str], wait: float) -> None:
    """Remove the references stored under these files' ids whose files' bytes changed since."""
    for path, vid in zip(files, ids, strict=True):
        ref = lib.store.find(video_id=vid)
        if ref is None:
            continue
        try:
            changed = file_sha256(path) != ref.content_hash
        except OSError:
            continue  # gone or unreadable: adding it reports that
        if changed:
            lib.remove(vid, wait)
