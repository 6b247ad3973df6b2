"""Tell ground-truth and prediction formats apart from the file itself, and read any of them.

Ground truth: vidtrace's JSON (an object with "format": "vidtrace-groundtruth"), a VSC 2022 CSV
(a header with query_id and ref_id or reference_id; with the four time columns it holds
segments, without them pairs), or a VCSL label JSON (an object of "QUERY-REF" keys whose values
are lists of 4-number boxes). Predictions: `vidtrace query --json` lines, a VSC 2022 matching
CSV, or a VCSL prediction JSON (the label layout, without scores). Anything else is a
VidtraceError naming the file and the formats accepted.
"""

import csv
import io
import json
from enum import StrEnum
from pathlib import Path

from vidtrace.errors import VidtraceError
from vidtrace.formats.truth import LoadedTruth, TruthFormat, video_id
from vidtrace.formats.vcsl import looks_like_vcsl, read_vcsl_ground_truth, read_vcsl_labels
from vidtrace.formats.vsc import TIME_FIELDS, read_vsc_ground_truth, read_vsc_matches
from vidtrace.groundtruth import GT_FORMAT, read_ground_truth, read_predictions
from vidtrace.types import Match

TRUTH_FORMATS = (
    "vidtrace ground-truth JSON (written by `vidtrace synth` and `vidtrace bench`), "
    "a VSC 2022 ground-truth CSV (header query_id,ref_id[,query_start,query_end,ref_start,"
    "ref_end]) or a VCSL label JSON ({\"QUERY-REF\": [[q_start, r_start, q_end, r_end], ...]})")
PREDICTION_FORMATS = (
    "`vidtrace query --json` lines, a VSC 2022 matching CSV (header query_id,ref_id,"
    "query_start,query_end,ref_start,ref_end,score) or a VCSL prediction JSON")


class PredictionFormat(StrEnum):
    VIDTRACE = "vidtrace"  # `vidtrace query --json` lines, keyed by query file name
    VSC = "vsc"  # VSC 2022 matching CSV, keyed by query id
    VCSL = "vcsl"  # VCSL prediction JSON, keyed by query id, every score 1


def _head(path: Path, what: str) -> str:
    """The first 64 KiB of a text file, a VidtraceError when it is missing or not text."""
    if path.is_dir():
        raise VidtraceError(f"{path}: is a folder; give the {what} file")
    try:
        with open(path, "rb") as f:
            raw = f.read(65536)
    except FileNotFoundError as e:
        raise VidtraceError(f"{path}: no such {what} file") from e
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if len(raw) == 65536 and e.start >= len(raw) - 3:  # a character cut by the 64 KiB
            return raw[:e.start].decode("utf-8-sig")
        raise VidtraceError(f"{path}: not a text file, so not a {what} file") from None


def _csv_columns(text: str) -> set[str]:
    first = next(csv.reader(io.StringIO(text.splitlines()[0] if text.strip() else "")), [])
    return {c.strip().lower() for c in first}


def detect_truth_format(path: str | Path) -> TruthFormat:
    """The ground-truth format of the file at `path`; VidtraceError naming the file and the
    formats vidtrace reads when it is none of them."""
    p = Path(path)
    text = _head(p, "ground-truth")
    unknown = VidtraceError(f"{p}: not a ground-truth format vidtrace reads; give {TRUTH_FORMATS}")
    if not text.strip():
        raise VidtraceError(f"{p}: empty file; give {TRUTH_FORMATS}")
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(p.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as e:
            raise VidtraceError(f"{p}: not valid JSON ({e}); give {TRUTH_FORMATS}") from e
        if isinstance(doc, dict) and doc.get("format") == GT_FORMAT:
            return TruthFormat.VIDTRACE
        if looks_like_vcsl(doc):
            return TruthFormat.VCSL
        raise unknown
    columns = _csv_columns(text)
    if "query_id" in columns and columns & {"ref_id", "reference_id"}:
        times = {c.replace("reference_", "ref_") for c in columns}
        return TruthFormat.VSC_MATCHING if set(TIME_FIELDS) <= times else TruthFormat.VSC_PAIRS
    raise unknown


def read_any_ground_truth(path: str | Path, query_metadata: str | Path | None = None,
                          vcsl_pairs: str | Path | None = None) -> LoadedTruth:
    """Read a ground-truth file of any format vidtrace knows (`detect_truth_format`).

    query_metadata: VSC 2022 only, the queries' metadata CSV (every query, negatives included,
    with its duration). vcsl_pairs: VCSL only, a split's pair file (only its labelled pairs are
    kept). Giving either for another format is a VidtraceError.
    """
    p = Path(path)
    fmt = detect_truth_format(p)
    vsc = fmt in (TruthFormat.VSC_MATCHING, TruthFormat.VSC_PAIRS)
    if query_metadata is not None and not vsc:
        raise VidtraceError(f"{p}: query metadata goes with a VSC 2022 ground truth, this is "
                            f"{fmt.value}")
    if vcsl_pairs is not None and fmt is not TruthFormat.VCSL:
        raise VidtraceError(f"{p}: a VCSL pair file goes with a VCSL label file, this is "
                            f"{fmt.value}")
    if vsc:
        return read_vsc_ground_truth(p, query_metadata)
    if fmt is TruthFormat.VCSL:
        return read_vcsl_ground_truth(p, vcsl_pairs)
    queries = tuple(read_ground_truth(p))
    pairs = frozenset((video_id(q.query), s.ref_id) for q in queries for s in q.segments)
    return LoadedTruth(p, fmt, queries, pairs, frozenset(video_id(q.query) for q in queries))


def _vcsl_predictions(path: Path) -> dict[str, list[Match] | None]:
    out: dict[str, list[Match]] = {}
    for (qid, ref), rows in read_vcsl_labels(path).items():
        out.setdefault(qid, []).extend(
            Match(ref, float(qs), float(qe), float(rs), float(re), 1.0)
            for qs, qe, rs, re in rows)
    result: dict[str, list[Match] | None] = {}
    result.update(out)
    return result


def read_any_predictions(path: str | Path) -> tuple[PredictionFormat,
                                                    dict[str, list[Match] | None]]:
    """Predictions of any format vidtrace knows, with the format: matches per query file name
    (`vidtrace query --json`) or per query id (VSC CSV, VCSL JSON); None marks a query that
    failed. VidtraceError naming the file and the formats accepted for anything else."""
    p = Path(path)
    text = _head(p, "predictions")
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if first.startswith("{"):
        try:
            row = json.loads(first)
        except json.JSONDecodeError:
            row = None
        if isinstance(row, dict) and "query" in row:
            return PredictionFormat.VIDTRACE, read_predictions(p)
        try:
            doc = json.loads(p.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as e:
            raise VidtraceError(f"{p}: not valid JSON ({e}); give {PREDICTION_FORMATS}") from e
        if looks_like_vcsl(doc):
            return PredictionFormat.VCSL, _vcsl_predictions(p)
    elif "query_id" in _csv_columns(text):
        matches: dict[str, list[Match] | None] = dict(read_vsc_matches(p))
        return PredictionFormat.VSC, matches
    raise VidtraceError(f"{p}: not a predictions format vidtrace reads; give "
                        f"{PREDICTION_FORMATS}")
