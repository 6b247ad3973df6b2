"""VSC 2022 match rows: the matching-track predictions CSV and the ground-truth CSVs.

A header line, then one row per copied segment:

    query_id,ref_id,query_start,query_end,ref_start,ref_end,score
    Q100001,R200023,12.0,31.5,140.0,159.5,0.87

Ids are video file names without their suffix; times are seconds; a higher score is surer. These
are the column names of the facebookresearch/vsc2022 codebase (`vsc/metrics.py`, `Match`); the
DrivenData competition files spelt the reference columns `reference_id`, `reference_start`,
`reference_end` (`Naming.DRIVENDATA`). Both spellings are read, in any column order, with extra
columns ignored. Ground-truth files have the same rows without a meaningful score; the
descriptor-track ground truth has only `query_id` and a reference id column (one row per copied
pair, and in DrivenData's files a row with an empty reference for a query without a copy).
"""

import csv
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from vidtrace.errors import VidtraceError
from vidtrace.formats.truth import LoadedTruth, Pair, TruthFormat, format_error, video_id
from vidtrace.types import CopySegment, Match, QueryTruth


class Naming(StrEnum):
    """Which column names a written CSV uses."""

    VSC2022 = "vsc2022"  # query_id,ref_id,query_start,query_end,ref_start,ref_end,score
    DRIVENDATA = "drivendata"  # query_id,reference_id,...,reference_start,reference_end,score


FIELDS = ("query_id", "ref_id", "query_start", "query_end", "ref_start", "ref_end", "score")
TIME_FIELDS = ("query_start", "query_end", "ref_start", "ref_end")
_DRIVENDATA = {"ref_id": "reference_id", "ref_start": "reference_start",
               "ref_end": "reference_end"}
_ALIASES = {v: k for k, v in _DRIVENDATA.items()}


def header(naming: Naming = Naming.VSC2022) -> list[str]:
    """The column names written for `naming`, in order."""
    if naming is Naming.DRIVENDATA:
        return [_DRIVENDATA.get(f, f) for f in FIELDS]
    return list(FIELDS)


def _row(query: str, m: Match) -> list[str]:
    times = (m.query_start, m.query_end, m.ref_start, m.ref_end)
    return [query, m.ref_id, *(f"{float(t):.3f}" for t in times), f"{float(m.score):.6f}"]


class VscMatchWriter:
    """Writes match rows to an open text stream as they come (the header first): what
    `vidtrace query --format vsc` prints, one query at a time."""

    def __init__(self, stream: TextIO, naming: Naming = Naming.VSC2022) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._stream = stream
        self._writer.writerow(header(naming))
        self.rows = 0

    def write(self, query: str | Path, matches: Iterable[Match]) -> int:
        """Write one row per match of the query video `query` (a path or an id; the id written
        is its name without suffix); returns the number of rows."""
        qid = video_id(query)
        n = 0
        for m in matches:
            self._writer.writerow(_row(qid, m))
            n += 1
        self._stream.flush()
        self.rows += n
        return n


def write_vsc_matches(path: str | Path, predictions: Mapping[str, Sequence[Match] | None],
                      naming: Naming = Naming.VSC2022) -> int:
    """Write `predictions` (matches per query file name or id; None = a failed query, no rows)
    as a VSC 2022 matching-track CSV, atomically; returns the number of rows."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = VscMatchWriter(f, naming)
        for query, matches in predictions.items():
            writer.write(query, matches or [])
    tmp.replace(p)
    return writer.rows


def _rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with canonical column names) of a VSC CSV; raises VidtraceError naming
    the file when it is missing or lacks a `required` column."""
    try:
        f = open(path, newline="")  # noqa: SIM115 - closed below, the generator owns it
    except FileNotFoundError as e:
        raise format_error(path, None, "no such file") from e
    with f:
        reader = csv.reader(f)
        names = [_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in next(reader, [])]
        missing = [c for c in required if c not in names]
        if missing:
            raise format_error(path, 1, f"not a VSC 2022 CSV: no column {', '.join(missing)} "
                               f"(header: {','.join(names) or 'empty'})")
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num, {k: v.strip() for k, v in zip(names, values, strict=False)}


def _number(path: Path, line: int, row: dict[str, str], key: str) -> float:
    try:
        value = float(row[key])
    except (KeyError, ValueError) as e:
        raise format_error(path, line, f"{key} is not a number: {row.get(key)!r}") from e
    if not math.isfinite(value):
        raise format_error(path, line, f"{key} is not finite: {row[key]!r}")
    return value


def _match(path: Path, line: int, row: dict[str, str], score: bool) -> Match:
    q0, q1, r0, r1 = (_number(path, line, row, k) for k in TIME_FIELDS)
    if q1 < q0 or r1 < r0:
        raise format_error(path, line, "a segment ends before it starts")
    return Match(row["ref_id"], q0, q1, r0, r1, _number(path, line, row, "score") if score
                 else 1.0)


def read_vsc_matches(path: str | Path) -> dict[str, list[Match]]:
    """A VSC 2022 matching-track predictions CSV as matches per query id, in file order; a row
    with an empty reference id names a query without matches. Raises VidtraceError naming the
    file and line of a bad row."""
    p = Path(path)
    out: dict[str, list[Match]] = {}
    for line, row in _rows(p, FIELDS):
        matches = out.setdefault(row["query_id"], [])
        if row["ref_id"]:
            matches.append(_match(p, line, row, score=True))
    return out


def _durations(path: Path) -> dict[str, float]:
    """video_id -> duration_sec of a VSC 2022 metadata CSV (`*_query_metadata.csv`)."""
    out: dict[str, float] = {}
    try:
        f = open(path, newline="")  # noqa: SIM115
    except FileNotFoundError as e:
        raise format_error(path, None, "no such metadata file") from e
    with f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"video_id", "duration_sec"} <= set(reader.fieldnames):
            raise format_error(path, 1, "not a VSC 2022 metadata CSV (needs columns video_id "
                               "and duration_sec)")
        for row in reader:
            out[row["video_id"]] = _number(path, reader.line_num, row, "duration_sec")
    return out


def read_vsc_ground_truth(path: str | Path, query_metadata: str | Path | None = None
                          ) -> LoadedTruth:
    """A VSC 2022 ground-truth CSV: segment rows (matching track; format VSC_MATCHING) or
    (query_id, reference id) pairs only (descriptor track; VSC_PAIRS).

    A VSC ground truth lists only queries with copies (and, in DrivenData's pair files, rows with
    an empty reference for some others). `query_metadata` (the dataset's
    `*_query_metadata.csv`: video_id, duration_sec) adds every query it lists, copies or not,
    with its real duration; without it a query's duration is the end of its last segment.
    """
    p = Path(path)
    try:
        with open(p, newline="") as f:
            first = next(csv.reader(f), [])
    except FileNotFoundError as e:
        raise format_error(p, None, "no such ground-truth file") from e
    names = {_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in first}
    segments = set(TIME_FIELDS) <= names
    required = ("query_id", "ref_id", *TIME_FIELDS) if segments else ("query_id", "ref_id")
    per_query: dict[str, list[CopySegment]] = {}
    pairs: set[Pair] = set()
    skipped = 0
    for line, row in _rows(p, required):
        qid, ref = row["query_id"], row["ref_id"]
        per_query.setdefault(qid, [])
        if not ref:
            continue
        pairs.add((qid, ref))
        if segments:
            m = _match(p, line, row, score=False)
            if m.query_end > m.query_start and m.ref_end > m.ref_start:
                per_query[qid].append(CopySegment(ref, m.query_start, m.query_end,
                                                  m.ref_start, m.ref_end))
            else:
                skipped += 1
    durations = _durations(Path(query_metadata)) if query_metadata is not None else {}
    for qid in durations:
        per_query.setdefault(qid, [])
    queries = tuple(
        QueryTruth(qid, durations.get(qid, max((s.query_end for s in segs), default=0.0)),
                   tuple(segs))
        for qid, segs in per_query.items()) if segments else ()
    fmt = TruthFormat.VSC_MATCHING if segments else TruthFormat.VSC_PAIRS
    if not per_query:
        raise VidtraceError(f"{p}: a VSC 2022 ground-truth CSV without a single row")
    return LoadedTruth(p, fmt, queries, frozenset(pairs), frozenset(per_query), skipped=skipped)
