"""Stage 7 (learn): training pairs made by vidtrace's own transformation engine.

A pair is (anchor, copy): a reference frame and the frame of an edited copy that shows it. For
each segment (a random stretch of a random reference file) one edit kind is chosen, cycling
through every kind the engine knows (picture-in-picture, speed and frame-rate changes, re-encoding
included) so each kind gets pairs, and 0-`max_extra` edits of other kinds are added to it. The
chain is rendered by `vidtrace.synth.render_copy` (a real encode), the copy is decoded at `fps`
frames per second the way a query is (vidtrace.video), and each copy frame is paired with the
reference frame at the time the ground truth maps it to (reference start + query time x speed).
Both sides are prepared as the pipeline prepares frames (border crop, square resize) and
described by the backbone descriptor, and, when a `teacher` descriptor is given, by the teacher
too (issue 20: a head on sscd-fast distilled toward sscd's vectors of the original frames). The
vectors are kept in a `PairSet`, saved as a feature cache (.npz), so training and ablations
rerun without decoding.

`split_footage` divides reference files by a hash of their NAME into a training third and a
held-out two thirds, so a head can be evaluated on footage it never saw.
"""

import hashlib
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.descriptors import Descriptor, create_descriptor
from vidtrace.errors import ConfigError, VidtraceError
from vidtrace.fsutil import write_atomic
from vidtrace.settings import DEFAULT_RUN, Metric, RunSettings
from vidtrace.synth import Edit, EditKind, EditPool, random_edit, random_panzoom, render_copy
from vidtrace.synth.panzoom import render_panzoom
from vidtrace.synth.videoio import source_info
from vidtrace.video.borders import prepare_frame
from vidtrace.video.decode import iter_frames
from vidtrace.video.seek import frames_at

# Called with (stage, done, total): stage "pairs" counts pairs made out of the total asked for.
Progress = Callable[[str, int, int], None]
# Called with a reference file that cannot be used, and why; it is skipped.
OnError = Callable[[Path, Exception], None]

CACHE_FORMAT = "vidtrace-pairs"
CACHE_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: no teacher vectors
MIN_SOURCE_S = 3.0  # shorter files give too few pairs to be worth a segment
PANZOOM_S = (10.0, 14.0)  # length of the pan/zoom footage made from one photo
MAX_PHOTOS = 8


def _no_teacher() -> np.ndarray:
    return np.zeros((0, 0), np.float32)


@dataclass(frozen=True)
class PairSet:
    """N (anchor, copy) pairs. anchors, copies: float32[N, d] backbone vectors; kinds: str[N]
    the edit kind the pair's segment was made for; video_ids: str[N]; times: float64[N]
    reference seconds of the anchor; copy_times: float64[N] seconds in the copy; segments:
    int64[N] which rendered segment the pair comes from; `backbone` and `backbone_version` name
    the descriptor that made the vectors. `teacher_anchors`, `teacher_copies`: float32[N, e] the
    same frames described by the descriptor `teacher` (version `teacher_version`), e = 0 and
    teacher "" when the pairs were made without one."""

    anchors: np.ndarray
    copies: np.ndarray
    kinds: np.ndarray
    video_ids: np.ndarray
    times: np.ndarray
    copy_times: np.ndarray
    segments: np.ndarray
    backbone: str
    backbone_version: str
    teacher_anchors: np.ndarray = field(default_factory=_no_teacher)
    teacher_copies: np.ndarray = field(default_factory=_no_teacher)
    teacher: str = ""
    teacher_version: str = ""

    def __post_init__(self) -> None:
        n = len(self.anchors)
        if self.anchors.ndim != 2 or self.copies.shape != self.anchors.shape:
            raise ValueError(f"anchors and copies must be float32[N, d] of one shape, got "
                             f"{list(self.anchors.shape)} and {list(self.copies.shape)}")
        for name in ("teacher_anchors", "teacher_copies"):  # none: [N, 0], so subset() works
            if getattr(self, name).shape == (0, 0):
                object.__setattr__(self, name, np.zeros((n, 0), np.float32))
        t = self.teacher_anchors
        if t.ndim != 2 or len(t) != n or self.teacher_copies.shape != t.shape:
            raise ValueError(f"teacher_anchors and teacher_copies must be float32[{n}, e] of one "
                             f"shape, got {list(t.shape)} and {list(self.teacher_copies.shape)}")
        if n and bool(t.shape[1]) != bool(self.teacher):
            raise ValueError("teacher vectors need a teacher name, and a teacher name vectors")
        for name in ("kinds", "video_ids", "times", "copy_times", "segments"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape [{n}], got "
                                 f"{list(getattr(self, name).shape)}")

    def __len__(self) -> int:
        return len(self.anchors)

    @property
    def dim(self) -> int:
        return int(self.anchors.shape[1])

    def subset(self, rows: np.ndarray) -> "PairSet":
        """The pairs at `rows` (indices or a bool mask)."""
        return PairSet(self.anchors[rows], self.copies[rows], self.kinds[rows],
                       self.video_ids[rows], self.times[rows], self.copy_times[rows],
                       self.segments[rows], self.backbone, self.backbone_version,
                       self.teacher_anchors[rows], self.teacher_copies[rows], self.teacher,
                       self.teacher_version)

    def as_teacher(self) -> "PairSet":
        """The same pairs described by the teacher (as their backbone), without a teacher;
        ConfigError when the pairs have none."""
        if not self.teacher:
            raise ConfigError(f"these {self.backbone} pairs were made without a teacher "
                              "descriptor; make them again with one (make_pairs(teacher=...))")
        return PairSet(self.teacher_anchors, self.teacher_copies, self.kinds, self.video_ids,
                       self.times, self.copy_times, self.segments, self.teacher,
                       self.teacher_version)

    def held_back(self, fraction: float = 0.2) -> tuple["PairSet", "PairSet"]:
        """(training pairs, held-back pairs): every segment whose index is a multiple of
        round(1 / fraction) is held back whole, so no held-back frame was seen in training
        (its video may have been, at other moments)."""
        if not 0 < fraction < 1:
            raise ConfigError(f"the held-back fraction must be in (0, 1), got {fraction}")
        back = self.segments % max(2, round(1 / fraction)) == 0
        return self.subset(~back), self.subset(back)

    def save(self, path: str | Path) -> Path:
        """Write the feature cache `path` (.npz of flat arrays, atomically); returns it."""
        import io

        meta = {"format": CACHE_FORMAT, "version": CACHE_VERSION, "backbone": self.backbone,
                "backbone_version": self.backbone_version, "teacher": self.teacher,
                "teacher_version": self.teacher_version}
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta)), anchors=self.anchors,
                 copies=self.copies, kinds=self.kinds.astype(str),
                 video_ids=self.video_ids.astype(str), times=self.times,
                 copy_times=self.copy_times, segments=self.segments,
                 teacher_anchors=self.teacher_anchors, teacher_copies=self.teacher_copies)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, buffer.getvalue())
        return out

    @classmethod
    def load(cls, path: str | Path) -> "PairSet":
        """A feature cache written by `save`; ConfigError naming the file and the fix."""
        p = Path(path)
        fix = "delete it to make the pairs again"
        try:
            with np.load(p, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
            meta = json.loads(str(data.pop("meta")))
        except FileNotFoundError:
            raise ConfigError(f"{p}: no such pair cache; check the path") from None
        except (OSError, ValueError, KeyError, EOFError) as e:
            raise ConfigError(f"{p}: not a readable pair cache ({e}); {fix}") from e
        if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT or meta.get(
                "version") not in READABLE_VERSIONS:
            raise ConfigError(f"{p}: not a vidtrace pair cache of version {CACHE_VERSION}; {fix}")
        try:
            n = len(data["anchors"])
            empty = np.zeros((n, 0), np.float32)
            return cls(data["anchors"].astype(np.float32), data["copies"].astype(np.float32),
                       data["kinds"], data["video_ids"], data["times"], data["copy_times"],
                       data["segments"].astype(np.int64), str(meta["backbone"]),
                       str(meta["backbone_version"]),
                       data.get("teacher_anchors", empty).astype(np.float32),
                       data.get("teacher_copies", empty).astype(np.float32),
                       str(meta.get("teacher", "")), str(meta.get("teacher_version", "")))
        except (KeyError, ValueError) as e:
            raise ConfigError(f"{p}: damaged pair cache ({e}); {fix}") from e


def split_footage(files: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(train, held_out): a file is in `train` when the sha1 of its file NAME (not its path) is
    0 modulo 3, about a third of the files; the split is the same on every machine."""
    train: list[Path] = []
    held_out: list[Path] = []
    for f in files:
        digest = int(hashlib.sha1(Path(f).name.encode()).hexdigest(), 16)
        (train if digest % 3 == 0 else held_out).append(Path(f))
    return train, held_out


@dataclass(frozen=True)
class PairSpec:
    """How pairs are made: about `n_pairs` pairs from segments of `segment_s` (min, max)
    seconds, copy frames sampled at `fps`; each segment's chain is one edit of the kind being
    cycled through (`kinds`, default every kind) plus 0-`max_extra` edits of other kinds; copies
    are rendered with the short side `render_short_side` pixels."""

    n_pairs: int = 600
    segment_s: tuple[float, float] = (8.0, 12.0)
    fps: float = 2.0
    kinds: tuple[EditKind, ...] = tuple(EditKind)
    max_extra: int = 2
    render_short_side: int = 360
    seed: int = 0

    def __post_init__(self) -> None:
        lo, hi = self.segment_s
        if self.n_pairs <= 0 or not 0 < lo <= hi or self.fps <= 0 or self.max_extra < 0:
            raise ConfigError("pairs: n_pairs, fps and the segment lengths must be positive "
                              "(min <= max) and max_extra at least 0")
        if not self.kinds:
            raise ConfigError("pairs: give at least one edit kind")


def make_pairs(
    files: Sequence[Path], spec: PairSpec = PairSpec(), *, photos: Sequence[Path] = (),
    backbone: str | Descriptor = "sscd", teacher: str | Descriptor | None = None,
    settings: RunSettings = DEFAULT_RUN, progress: Progress | None = None,
    on_error: OnError | None = None,
) -> PairSet:
    """Pairs from reference `files` (and pan/zoom footage made from up to MAX_PHOTOS `photos`),
    described by `backbone` (a name or a descriptor) and, when given, by `teacher` too, frames
    prepared with `settings` (short_side, max_long_side, input_size, crop_borders,
    batch_size). Deterministic for `spec.seed`. Files that cannot be used are given to
    `on_error` and skipped."""
    d, name = _backbone(backbone, settings)
    t, t_name = _backbone(teacher, settings) if teacher is not None else (None, "")
    rng = np.random.default_rng(spec.seed)
    with tempfile.TemporaryDirectory(prefix="vidtrace-pairs-") as tmp:
        work = Path(tmp)
        sources = _sources(files, photos, rng, work, on_error)
        if len(sources) < 2:
            raise ConfigError(f"pairs need at least two usable reference videos (of "
                              f"{MIN_SOURCE_S:.0f} s or more), found {len(sources)}")
        made: list[dict[str, Any]] = []
        n, segment = 0, 0
        order: list[EditKind] = []
        while n < spec.n_pairs:
            if not order:
                order = [spec.kinds[int(i)] for i in rng.permutation(len(spec.kinds))]
            kind = order.pop(0)
            source = sources[int(rng.integers(len(sources)))]
            try:
                part = _segment(source, sources, kind, spec, rng, segment, work, (d, t),
                                settings)
            except VidtraceError as e:
                if on_error is not None:
                    on_error(source[0], e)
                part = None
            if part is not None:
                made.append(part)
                n += len(part["times"])
            segment += 1
            if segment > 4 * spec.n_pairs:
                raise ConfigError("pairs: the reference videos give no usable copy frames")
            if progress is not None:
                progress("pairs", min(n, spec.n_pairs), spec.n_pairs)
    return _joined(made, (name, d.version), (t_name, t.version if t else ""), spec.n_pairs)


def _backbone(backbone: str | Descriptor, settings: RunSettings) -> tuple[Descriptor, str]:
    """(descriptor, name) of a backbone given by name or instance; ConfigError unless it is an
    inner-product backend that learns nothing."""
    d = (create_descriptor(backbone, settings.resources.thread_count)
         if isinstance(backbone, str) else backbone)
    name = backbone if isinstance(backbone, str) else d.name
    if d.trainable or d.metric != Metric.INNER_PRODUCT:
        raise ConfigError(f"backbone {name}: a head is trained on the inner-product vectors of "
                          "a backend that learns nothing itself, such as sscd or sscd-fast")
    return d, name


def _sources(files: Sequence[Path], photos: Sequence[Path], rng: np.random.Generator,
             work: Path, on_error: OnError | None) -> list[tuple[Path, str, float]]:
    """(path, video id, duration_s) of every usable reference, pan/zoom footage included."""
    sources: list[tuple[Path, str, float]] = []
    for f in files:
        try:
            duration = source_info(f).duration
        except VidtraceError as e:
            if on_error is not None:
                on_error(Path(f), e)
            continue
        if duration >= MIN_SOURCE_S:
            sources.append((Path(f), Path(f).stem, duration))
    chosen = sorted(photos)
    if len(chosen) > MAX_PHOTOS:
        chosen = [chosen[int(i)] for i in np.sort(rng.choice(len(chosen), MAX_PHOTOS, False))]
    for i, photo in enumerate(chosen):
        out = work / f"panzoom-{i}.mp4"
        try:
            duration = render_panzoom(random_panzoom(rng, photo, PANZOOM_S), out)
        except VidtraceError as e:
            if on_error is not None:
                on_error(Path(photo), e)
            continue
        sources.append((out, f"photo-{Path(photo).stem}", duration))
    return sources


def _chain(kind: EditKind, spec: PairSpec, rng: np.random.Generator, pool: EditPool
           ) -> list[Edit]:
    """One edit of `kind` and 0-max_extra of other kinds, in random order."""
    others = [k for k in pool.kinds() if k is not kind]
    n_extra = int(rng.integers(0, min(spec.max_extra, len(others)) + 1))
    extra = [others[int(i)] for i in rng.choice(len(others), n_extra, replace=False)]
    kinds = [kind, *extra]
    return [random_edit(kinds[int(i)], rng, pool) for i in rng.permutation(len(kinds))]


def _segment(source: tuple[Path, str, float], sources: list[tuple[Path, str, float]],
             kind: EditKind, spec: PairSpec, rng: np.random.Generator, index: int, work: Path,
             models: tuple[Descriptor, Descriptor | None], settings: RunSettings
             ) -> dict[str, Any] | None:
    """Render one edited segment of `source` (pip backgrounds from the other `sources`) and
    describe its pairs with the backbone and the teacher (`models`); None when it gave no
    pair."""
    path, video_id, duration = source
    length = min(float(rng.uniform(*spec.segment_s)), duration - 0.5)
    start = round(float(rng.uniform(0.0, duration - 0.5 - length)), 3)
    pool = EditPool(backgrounds=[(p, s) for p, _, s in sources if p != path])
    edits = _chain(kind, spec, rng, pool)
    copy = work / f"copy-{index}.mp4"
    s, batch = settings.library, settings.resources.batch_size
    truth = render_copy(path, copy, start=start, end=start + length, edits=edits,
                        seed=int(rng.integers(1, 2**31)), short_side=spec.render_short_side)
    seg = truth.segments[0]
    speed = (seg.ref_end - seg.ref_start) / (seg.query_end - seg.query_start)
    copy_times: list[float] = []
    copy_frames: list[np.ndarray] = []
    for t, image in iter_frames(copy, spec.fps, s.short_side, s.max_long_side):
        if t < seg.query_end - 1e-3:
            copy_times.append(t)
            copy_frames.append(prepare_frame(image, s.input_size, s.crop_borders))
    copy.unlink()
    ref_times = [seg.ref_start + t * speed for t in copy_times]
    anchors = frames_at(path, ref_times, s.short_side, s.max_long_side)
    found = [(i, a) for i, a in enumerate(anchors) if a is not None]  # None: past the end
    if not found:
        return None
    keep = [i for i, _ in found]
    frames = np.stack([prepare_frame(a, s.input_size, s.crop_borders) for _, a in found]
                      + [copy_frames[i] for i in keep])
    d, teacher = models
    vectors = describe_all(d, frames, batch)
    a, c = vectors[:len(keep)], vectors[len(keep):]
    content = a.any(axis=1) & c.any(axis=1)
    taught = (describe_all(teacher, frames, batch) if teacher is not None
              else np.zeros((len(frames), 0), np.float32))
    return {"anchors": a[content], "copies": c[content],
            "teacher_anchors": taught[:len(keep)][content],
            "teacher_copies": taught[len(keep):][content],
            "times": np.asarray(ref_times)[keep][content],
            "copy_times": np.asarray(copy_times)[keep][content],
            "video_id": video_id, "kind": kind.value, "segment": index}


def describe_all(d: Descriptor, frames: np.ndarray, batch: int) -> np.ndarray:
    """float32[T, dim]: prepared frames uint8[T, H, W, 3] described `batch` at a time."""
    return np.concatenate([d.describe(frames[i:i + batch])
                           for i in range(0, len(frames), batch)]).astype(np.float32)


def _joined(made: list[dict[str, Any]], backbone: tuple[str, str], teacher: tuple[str, str],
            n_pairs: int) -> PairSet:
    counts = [len(m["times"]) for m in made]

    def cat(key: str) -> np.ndarray:
        return np.concatenate([m[key] for m in made])[:n_pairs]

    def rep(key: str) -> np.ndarray:
        return np.repeat([m[key] for m in made], counts)[:n_pairs]

    return PairSet(cat("anchors").astype(np.float32), cat("copies").astype(np.float32),
                   rep("kind").astype(str), rep("video_id").astype(str),
                   cat("times").astype(np.float64), cat("copy_times").astype(np.float64),
                   rep("segment").astype(np.int64), *backbone,
                   cat("teacher_anchors"), cat("teacher_copies"), *teacher)
