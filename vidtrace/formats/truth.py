"""What a ground-truth file of any format is read into (`LoadedTruth`), and the small helpers the
format readers share: ids from file names, one-line errors that name the file and line."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from vidtrace.errors import VidtraceError
from vidtrace.types import Match, QueryTruth

Pair = tuple[str, str]
"""(query id, reference id): a query video and a reference video it may copy."""


class TruthFormat(StrEnum):
    """The ground-truth formats vidtrace reads (`vidtrace.formats.detect`)."""

    VIDTRACE = "vidtrace"  # vidtrace's own JSON (vidtrace.groundtruth)
    VSC_MATCHING = "vsc-matching"  # VSC 2022 CSV with segment rows
    VSC_PAIRS = "vsc-pairs"  # VSC 2022 descriptor-track CSV: (query, reference) pairs only
    VCSL = "vcsl"  # VCSL label JSON: {"QUERY-REF": [[q_start, r_start, q_end, r_end], ...]}


@dataclass(frozen=True)
class LoadedTruth:
    """A ground-truth file, whatever its format.

    queries: segment-level truth per query, what vidtrace's metrics take; empty for a format
        without segments (VSC_PAIRS). For VSC and VCSL files `QueryTruth.query` is the query id
        (a file stem) and `duration` the end of its last copied segment unless a metadata file
        gave the real duration.
    pairs: every (query id, reference id) pair that holds a copy. Query ids are file stems.
    query_ids: every query the file (and metadata) names, negatives included where the format
        lists them.
    pair_boxes: VCSL only, the boxes of every labelled pair as float64 (n, 4) rows
        [query_start, query_end, ref_start, ref_end] in seconds (n may be 0); what VCSL's own
        metric scores, degenerate boxes included.
    skipped: boxes left out of `queries` because an interval was empty (end <= start).
    """

    path: Path
    format: TruthFormat
    queries: tuple[QueryTruth, ...]
    pairs: frozenset[Pair]
    query_ids: frozenset[str]
    pair_boxes: Mapping[Pair, np.ndarray] | None = field(default=None, compare=False)
    skipped: int = 0

    @property
    def has_segments(self) -> bool:
        return self.format is not TruthFormat.VSC_PAIRS


def video_id(name: str | Path) -> str:
    """The id of a video in the field's formats: its file name without the suffix
    ("queries/Q100001.mp4" -> "Q100001"); an id without a suffix stays as it is."""
    return Path(name).stem


def format_error(path: Path, line: int | None, message: str) -> VidtraceError:
    """`path:line: message` (or `path: message`) as the error the CLI prints on one line."""
    where = f"{path}:{line}" if line is not None else str(path)
    return VidtraceError(f"{where}: {message}")


def keyed_by_id(truth: Sequence[QueryTruth], predictions: Mapping[str, Sequence[Match] | None]
                ) -> tuple[list[QueryTruth], dict[str, Sequence[Match] | None]]:
    """`truth` with every query renamed to its id (`video_id`) and `predictions` keyed by id, so
    a vidtrace JSON ground truth pairs with VSC CSV predictions and VSC/VCSL truth with
    `vidtrace query --json` lines. Raises VidtraceError when two names share an id."""
    seen: dict[str, str] = {}

    def key(name: str, what: str) -> str:
        vid = video_id(name)
        if seen.get(f"{what}:{vid}", name) != name:
            raise VidtraceError(
                f"{what} {seen[f'{what}:{vid}']!r} and {name!r} have the same id {vid!r}; "
                "files are paired by name without suffix, so rename one")
        seen[f"{what}:{vid}"] = name
        return vid

    renamed = [replace(q, query=key(q.query, "ground-truth query")) for q in truth]
    rekeyed = {key(name, "predicted query"): m for name, m in predictions.items()}
    return renamed, rekeyed
