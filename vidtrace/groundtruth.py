"""Reading and writing ground truth and prediction files.

Ground truth is one JSON document (format "vidtrace-groundtruth", version 1):
    {"format": "vidtrace-groundtruth", "version": 1,
     "queries": [{"query": "queries/q0001.mp4", "duration": 42.0,
                  "edits": [{"kind": "scale", "factor": 0.5}],
                  "segments": [{"reference": "ref03", "query_start": 3.0, "query_end": 21.0,
                                "reference_start": 140.0, "reference_end": 158.0}]}]}
Query paths are relative to the ground-truth file's folder. Predictions are what
`vidtrace query --json` prints: one JSON object per line, {"query": path, "matches": [...]}.
Queries are paired between the two by file name (`Path(query).name`).
"""

import json
from pathlib import Path
from typing import Any

from vidtrace.errors import VidtraceError
from vidtrace.fsutil import write_atomic
from vidtrace.types import CopySegment, Match, QueryTruth

GT_FORMAT = "vidtrace-groundtruth"
GT_VERSION = 1


def segment_to_json(seg: CopySegment) -> dict[str, Any]:
    return {
        "reference": seg.ref_id,
        "query_start": round(seg.query_start, 3),
        "query_end": round(seg.query_end, 3),
        "reference_start": round(seg.ref_start, 3),
        "reference_end": round(seg.ref_end, 3),
    }


def write_ground_truth(path: str | Path, queries: list[QueryTruth]) -> None:
    """Write `queries` as a ground-truth file (atomically, fsynced: vidtrace.fsutil)."""
    doc = {
        "format": GT_FORMAT,
        "version": GT_VERSION,
        "queries": [
            {
                "query": q.query,
                "duration": round(q.duration, 3),
                "edits": list(q.edits),
                "segments": [segment_to_json(s) for s in q.segments],
            }
            for q in queries
        ],
    }
    write_atomic(Path(path), json.dumps(doc, indent=1).encode())


def read_ground_truth(path: str | Path) -> list[QueryTruth]:
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except FileNotFoundError as e:
        raise VidtraceError(f"{p}: no such ground-truth file") from e
    except json.JSONDecodeError as e:
        raise VidtraceError(f"{p}: not a JSON ground-truth file ({e})") from e
    if not isinstance(doc, dict) or doc.get("format") != GT_FORMAT:
        raise VidtraceError(f"{p}: not a vidtrace ground-truth file (no format {GT_FORMAT!r})")
    if doc.get("version") != GT_VERSION:
        raise VidtraceError(
            f"{p}: ground-truth version {doc.get('version')} is not supported "
            f"(this vidtrace reads version {GT_VERSION}); rebuild it with `vidtrace synth`"
        )
    out = []
    for q in doc["queries"]:
        segs = tuple(
            CopySegment(s["reference"], float(s["query_start"]), float(s["query_end"]),
                        float(s["reference_start"]), float(s["reference_end"]))
            for s in q["segments"]
        )
        out.append(QueryTruth(q["query"], float(q["duration"]), segs, tuple(q.get("edits", []))))
    return out


def match_from_json(m: dict[str, Any]) -> Match:
    """A match from its `Match.to_json` form (evidence and frames optional: older files)."""
    return Match(str(m["reference"]), float(m["query_start"]), float(m["query_end"]),
                 float(m["reference_start"]), float(m["reference_end"]), float(m["score"]),
                 tuple(str(e) for e in m.get("evidence", ("video",))),
                 int(m.get("frames", 0)))


def read_predictions(path: str | Path) -> dict[str, list[Match] | None]:
    """Predictions per query file name; None for a query that reported an error."""
    p = Path(path)
    out: dict[str, list[Match] | None] = {}
    try:
        lines = p.read_text().splitlines()
    except FileNotFoundError as e:
        raise VidtraceError(f"{p}: no such predictions file") from e
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            name = Path(row["query"]).name
            out[name] = None if "error" in row else [match_from_json(m) for m in row["matches"]]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise VidtraceError(
                f"{p}:{n}: not a `vidtrace query --json` line ({type(e).__name__}: {e})"
            ) from e
    return out
