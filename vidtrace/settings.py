"""Every default of vidtrace, in three frozen dataclasses shared by the CLI, the service, the
library manifest and the benchmark.

- `LibrarySettings` are fixed when a library is created and kept in its manifest: what is
  stored depends on them (descriptor, sampling, frame size, index kind, fine-rate rows).
- `QuerySettings` say how one run answers queries (query sampling, retrieval, alignment,
  threshold, views). A library keeps its own defaults for them (a calibrated threshold); a
  run may change any of them.
- `Resources` are this process's threads and batch size; they change no result.

Choices are Enums; every value is checked once, when the dataclass is made (type, finite,
range), and a bad one raises ConfigError naming the setting. No default lives elsewhere.
"""

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any, Self

from vidtrace.errors import ConfigError
from vidtrace.types import Threshold


class Metric(StrEnum):
    """How two descriptor vectors are compared."""

    INNER_PRODUCT = "ip"
    HAMMING = "hamming"


class Sampling(StrEnum):
    """Which frames of a video are described (video/decode.py): one every 1/fps s, the key
    frames only (fps caps the rate), or on content change (at least one every 2/fps s)."""

    FIXED = "fixed"
    KEYFRAMES = "keyframes"
    SCENE = "scene"


class IndexType(StrEnum):
    """The search index (library/index.py, docs/speed.md): exact, HNSW graph, IVF-PQ, or chosen
    by size and memory."""

    AUTO = "auto"
    FLAT = "flat"
    HNSW = "hnsw"
    IVFPQ = "ivfpq"


class Stage1(StrEnum):
    """Candidate ranking (retrieve/, docs/strategies.md)."""

    VOTE = "vote"
    BIPARTITE = "bipartite"
    ORB_RERANK = "orb-rerank"


class Stage2(StrEnum):
    """Temporal alignment (align/, docs/strategies.md)."""

    LIS = "lis"
    INTERP = "interp"
    HOUGH = "hough"


class FineMode(StrEnum):
    """Fine-rate refinement of segments (align/fine.py): off, on the rows a library stores at
    its `fine_fps`, or on reference frames decoded at query time at the query's `fine_fps`."""

    OFF = "off"
    LIBRARY = "library"
    DECODE = "decode"


class AudioMode(StrEnum):
    """Whether queries use their soundtrack (audio/, docs/audio.md): with the picture (on),
    not at all (off), or alone (only: the benchmark's audio-only column)."""

    ON = "on"
    OFF = "off"
    ONLY = "only"


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


# Query frames per independent observation along a line: neighbouring frames' similarities to
# the reference are correlated (on real unrelated footage at 2 frames/s, 0.60 one frame apart,
# 0.36 two, 0.26 three, 0.17 four; 3-4 frames per independent one, the lenient end taken;
# benchmarks/issue19/line-correlation.txt, docs/align.md "The threshold"), so the threshold
# falls only past `min_hits` observations, not frames.
FRAMES_PER_OBSERVATION = 3


def short_frames(min_hits: int) -> int:
    """The matched frames up to which a segment needs the short threshold: `min_hits`
    independent observations (`FRAMES_PER_OBSERVATION` frames each)."""
    return min_hits * FRAMES_PER_OBSERVATION


# (lowest, highest) allowed for each number; None: unbounded on that side. Ints are whole.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "index_fps": (1e-3, 120.0), "query_fps": (1e-3, 120.0), "fine_fps": (0.0, 120.0),
    "fine_decode_fps": (1e-3, 120.0),
    "short_side": (16, 4320), "max_long_side": (16, 8192), "input_size": (16, 1024),
    "batch_size": (1, 4096), "threads": (0, 1024), "knn_k": (1, 1000), "nprobe": (1, 65536),
    "hnsw_m": (4, 256), "hnsw_ef_construction": (8, 4096), "ef_search": (1, 65536),
    "max_candidates": (1, 10_000), "rerank_top": (1, 100), "min_hits": (1, 10_000),
    "hit_floor": (-1.0, 1.0), "match_threshold": (0.0, 1.0), "short_threshold": (0.0, 1.0),
    "max_gap_s": (1e-3, 3600.0),
    "min_speed": (0.05, 20.0), "max_speed": (0.05, 20.0),
    "audio_min_s": (0.5, 3600.0), "audio_min_votes": (3, 1_000_000),
}


class _Checked:
    """Validation shared by the settings dataclasses: numbers typed, finite and in range
    (`_RANGES`), Enums made from their values, booleans real booleans."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            kind = f.type
            if isinstance(kind, type) and issubclass(kind, StrEnum):
                try:
                    object.__setattr__(self, f.name, kind(value))
                except ValueError:
                    choices = ", ".join(m.value for m in kind)
                    raise ConfigError(f"setting {f.name} must be one of {choices}, got "
                                      f"{value!r}") from None
            elif kind is bool:
                if not isinstance(value, bool):
                    raise ConfigError(f"setting {f.name} must be true or false, got {value!r}")
            elif kind in (int, float):
                object.__setattr__(self, f.name, _number(f.name, value, kind))
            elif kind is str and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"setting {f.name} must be a non-empty text, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (Enums as their text)."""
        items = asdict(self).items()  # type: ignore[call-overload]
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in items}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "settings") -> Self:
        """Settings from a stored dict: unknown keys (from newer versions) are ignored, a
        missing key takes its default, a wrong value is a ConfigError naming `where`."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected an object of settings, got {data!r}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except ConfigError as e:
            raise ConfigError(f"{where}: {e}") from None

    def with_changes(self, **changes: Any) -> Self:
        unknown = set(changes) - {f.name for f in fields(self)}  # type: ignore[arg-type]
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)  # type: ignore[type-var]


def _number(name: str, value: object, kind: type) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"setting {name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"setting {name} must be a finite number, got {value!r}")
    if kind is int:
        if value != int(value):
            raise ConfigError(f"setting {name} must be a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    lo, hi = _RANGES.get(name, (None, None))
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"setting {name} must lie in [{lo:g}, {hi:g}], got {value!r}")
    return value


@dataclass(frozen=True)
class LibrarySettings(_Checked):
    """What a library stores, fixed when it is created (kept in its manifest).

    `descriptor`: the backend (descriptors/registry.py: a name, a fusion "sscd+sift-fv", or a
    trained head "learned:PATH.npz"). References are sampled at `index_fps` frames per second
    with `index_sampling`. Frames are resized on decode so the short side is `short_side`
    pixels, the long side at most `max_long_side` (aspect kept); uniform borders are cropped
    (`crop_borders`) and the frame is resized to `input_size` x `input_size`
    (docs/preprocessing.md); queries are prepared the same way. `index_type` chooses the search
    index (IndexType); an hnsw index links each frame to `hnsw_m` neighbours (2 x `hnsw_m` on
    its lowest layer), found with a candidate list of `hnsw_ef_construction`. With `fine_fps` >
    0 every reference is also stored at that finer rate, for stage 2's fine refinement
    (FineMode.LIBRARY).
    """

    descriptor: str = "sscd"
    index_fps: float = 1.0
    index_sampling: Sampling = Sampling.FIXED
    short_side: int = 288
    max_long_side: int = 512
    input_size: int = 224
    crop_borders: bool = True
    index_type: IndexType = IndexType.AUTO
    fine_fps: float = 0.0
    hnsw_m: int = 32  # docs/speed.md: recall and memory of M 32, efConstruction 64
    hnsw_ef_construction: int = 64

    def refuse_changes(self, wanted: Mapping[str, object], where: str) -> None:
        """ConfigError when a setting in `wanted` differs from this one: a library keeps the
        settings it was created with."""
        asked = LibrarySettings(**{**self.to_dict(), **wanted}).to_dict()
        for key, value in self.to_dict().items():
            if key in wanted and asked[key] != value:
                raise ConfigError(f"{where}: was built with {key} = {value!r}, not "
                                  f"{asked[key]!r}; settings apply to new libraries only "
                                  "(index into another folder)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_long_side < self.short_side:
            raise ConfigError("setting max_long_side must be at least short_side")
        if 0 < self.fine_fps < self.index_fps:
            raise ConfigError(f"setting fine_fps ({self.fine_fps:g}) must be 0 (none) or at "
                              f"least index_fps ({self.index_fps:g})")


@dataclass(frozen=True)
class QuerySettings(_Checked):
    """How queries are answered; a library keeps defaults for them, a run may change any.

    Queries are sampled at `query_fps` with `query_sampling`. Retrieval (stage 1): the `knn_k`
    nearest reference frames of each query frame (an ivfpq index visits `nprobe` lists, an hnsw
    index keeps `ef_search` candidates); hits
    below `hit_floor` cosine similarity are ignored; `stage1` ranks the references
    ("orb-rerank" checks the best `rerank_top` of "vote" geometrically) and the best
    `max_candidates` are aligned. Alignment (stage 2, `stage2`): a chain of hits may skip at
    most `max_gap_s` seconds of query; the speed ratio reference/query lies in [`min_speed`,
    `max_speed`]; a segment needs `min_hits` matched frames and a score of at least
    `match_threshold` when it is long, rising to `short_threshold` for one of up to
    3 x `min_hits` matched frames (`threshold()`; docs/align.md, "The threshold"). `fine`
    refines segments at a finer reference rate (FineMode; `fine_decode_fps` is the rate decoded
    at query time).
    Views (docs/pip.md, views.md):
    with `pip_view` a picture-in-picture inset found in 10 s windows is described as a second
    view of its frames, and the widest strip of the frame beside it as a third (a copy under a
    foreign inset); with `canvas_view`, else the picture inside a blurred canvas; with
    `mirror_view` every frame flipped left to right; with `turn_view`, the frames of 10 s
    windows whose picture is turned in the frame (a rotated copy) turned back, and the inset or
    canvas's picture found in them, for frames that match no reference yet
    (docs/views-generalise.md, "Turned pictures"; docs/views.md). A query frame then
    matches a reference frame by the best of its views. The pip view raised F1@3s on both
    benchmark splits with no false positive added; it costs about 1.4 ms of detection per query
    frame and up to two more descriptor passes per frame of a window with an inset (the inset
    and the picture beside it, each only where the frame matches no reference yet).
    Sound (`audio`, AudioMode): the query's soundtrack is matched against the references'
    audio prints; a sound segment needs `audio_min_votes` hashes on one line over at least
    `audio_min_s` seconds, and is reported alone only when no other reference sounds the same
    over that time (docs/audio.md).
    """

    query_fps: float = 2.0
    query_sampling: Sampling = Sampling.FIXED
    knn_k: int = 10
    nprobe: int = 64  # benchmarks/speed.json, docs/speed.md: 1.000 of copied frames at 50 h
    ef_search: int = 128  # benchmarks/speed-search.json, docs/speed.md
    hit_floor: float = 0.3
    stage1: Stage1 = Stage1.VOTE
    rerank_top: int = 3
    max_candidates: int = 8
    stage2: Stage2 = Stage2.HOUGH
    max_gap_s: float = 6.0
    min_speed: float = 0.5
    max_speed: float = 2.0
    min_hits: int = 3
    # docs/align.md, "The threshold": match_threshold calibrated on the calibration split
    # (benchmarks/issue19/calibration-length-seed2.json); short_threshold keeps a chance line
    # of a few frames through a long reference out (tests/align/test_methods.py)
    match_threshold: float = 0.31
    short_threshold: float = 0.42
    fine: FineMode = FineMode.OFF
    fine_decode_fps: float = 5.0
    pip_view: bool = True
    canvas_view: bool = True
    mirror_view: bool = False
    turn_view: bool = True
    audio: AudioMode = AudioMode.ON
    audio_min_s: float = 4.0
    audio_min_votes: int = 20

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_speed > self.max_speed:
            raise ConfigError("setting min_speed must not exceed max_speed")
        if self.fine_decode_fps <= 0:
            raise ConfigError("setting fine_decode_fps must be a positive rate")

    @property
    def views(self) -> bool:
        """Whether any extra view of the query frames is described."""
        return self.pip_view or self.canvas_view or self.mirror_view or self.turn_view

    def threshold(self, long: float | None = None) -> Threshold:
        """The score a segment needs by its matched frames: `match_threshold` (or `long`)
        for a long segment, `short_threshold` for one of up to `short_frames(min_hits)`."""
        return Threshold(self.match_threshold if long is None else long, self.short_threshold,
                         short_frames(self.min_hits))

    def without_views(self) -> "QuerySettings":
        """These settings with every extra view off: the whole frames alone (`views` False)."""
        return self.with_changes(pip_view=False, canvas_view=False, mirror_view=False,
                                 turn_view=False)


@dataclass(frozen=True)
class Resources(_Checked):
    """This process's share of the machine: `threads` for the descriptor (0: every core it may
    run on) and `batch_size` frames described at once. Results do not depend on them."""

    threads: int = 0
    batch_size: int = 16

    @property
    def thread_count(self) -> int:
        """Threads to use: `threads`, or every core the process may run on when it is 0."""
        return self.threads or usable_cores()


DEFAULT_LIBRARY = LibrarySettings()
DEFAULT_QUERY = QuerySettings()
DEFAULT_RESOURCES = Resources()

# The threshold by matched frames (match_threshold 0.31, short_threshold 0.42) was calibrated
# on sscd's similarities. A library of any other descriptor starts with one flat threshold,
# FLAT_THRESHOLD (sscd's flat default before the rule, what every library had then), until
# `vidtrace calibrate` chooses its own (docs/align.md, "The threshold"; docs/backends.md).
FLAT_THRESHOLD = 0.42


def threshold_rule_applies(descriptor: str) -> bool:
    """Whether the default thresholds by matched frames are on `descriptor`'s scale."""
    return descriptor == DEFAULT_LIBRARY.descriptor


def default_query(settings: LibrarySettings) -> QuerySettings:
    """The query defaults a new library of `settings` starts with: its fine mode from
    `fine_fps`, and for a descriptor other than sscd one flat threshold, FLAT_THRESHOLD."""
    fine = FineMode.LIBRARY if settings.fine_fps > 0 else FineMode.OFF
    if threshold_rule_applies(settings.descriptor):
        return DEFAULT_QUERY.with_changes(fine=fine)
    return DEFAULT_QUERY.with_changes(fine=fine, match_threshold=FLAT_THRESHOLD,
                                      short_threshold=FLAT_THRESHOLD)


SETTINGS_CLASSES: tuple[type[_Checked], ...] = (LibrarySettings, QuerySettings, Resources)


def setting_names() -> dict[str, type[_Checked]]:
    """Every setting's name and the dataclass it belongs to."""
    out: dict[str, type[_Checked]] = {}
    for cls in reversed(SETTINGS_CLASSES):
        out |= {f.name: cls for f in fields(cls)}  # type: ignore[arg-type]
    return out


def split_changes(changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any],
                                                     dict[str, Any]]:
    """Flat {name: value} changes (as `vidtrace bench --set` takes them) split into library,
    query and resource changes (no name belongs to two); ConfigError for an unknown name."""
    owner = setting_names()
    unknown = sorted(set(changes) - set(owner))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(owner))}")
    parts: dict[type[_Checked], dict[str, Any]] = {c: {} for c in SETTINGS_CLASSES}
    for name, value in changes.items():
        parts[owner[name]][name] = value
    return parts[LibrarySettings], parts[QuerySettings], parts[Resources]


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """KEY=VALUE texts (`vidtrace bench --set`) as {name: value}, each value read as its
    setting's type (true/false/on/off/1/0 for booleans); ConfigError naming a bad item."""
    owner = setting_names()
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or key not in owner:
            raise ConfigError(f"--set {item!r}: give KEY=VALUE with KEY one of "
                              f"{', '.join(sorted(owner))}")
        kind = next(f.type for f in fields(owner[key]) if f.name == key)  # type: ignore[arg-type]
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0", "on", "off"):
                raise ConfigError(f"--set {item!r}: {text!r} is not true or false")
            out[key] = text.lower() in ("true", "1", "on")
            continue
        try:
            out[key] = kind(text)  # type: ignore[operator]
        except ValueError as e:
            name = getattr(kind, "__name__", str(kind))
            raise ConfigError(f"--set {item!r}: {text!r} is not a valid {name}") from e
    return out


@dataclass(frozen=True)
class RunSettings:
    """All three kinds of settings of one run, as the benchmark harness changes them by name
    (`with_changes`); `to_dict` gives them flat, as reports record them."""

    library: LibrarySettings = DEFAULT_LIBRARY
    query: QuerySettings = DEFAULT_QUERY
    resources: Resources = DEFAULT_RESOURCES

    @classmethod
    def of(cls, **changes: Any) -> "RunSettings":
        return DEFAULT_RUN.with_changes(**changes)

    def with_changes(self, **changes: Any) -> "RunSettings":
        lib, query, res = split_changes(changes)
        return RunSettings(self.library.with_changes(**lib), self.query.with_changes(**query),
                           self.resources.with_changes(**res))

    def to_dict(self) -> dict[str, Any]:
        return self.resources.to_dict() | self.query.to_dict() | self.library.to_dict()


DEFAULT_RUN = RunSettings()
