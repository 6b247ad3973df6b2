"""VCSL annotation files (ant-research/VCSL, the segment-level copy localisation benchmark).

- Label file (`label_file_uuid_total.json`; the same layout holds VCSL predictions): one JSON
  object, a key per labelled pair "QUERY-REFERENCE" (two ids joined by "-"), the value a list
  of copied-segment boxes [query_start, ref_start, query_end, ref_end]. The values are frame
  indices at VCSL's sampling rate of 1 frame/s, i.e. seconds (`fps` converts otherwise). Note
  the order: both starts first, then both ends (VCSL's `vta.py` documents its output as
  [query_min, ref_min, query_max, ref_max]); vidtrace's own order is
  [query_start, query_end, ref_start, ref_end].
- Pair file (`pair_file_{train,val,test}.csv`): `query_id,reference_id` rows, the pairs of one
  split; VCSL evaluates the labelled pairs that are also in the split's pair file.
- Group file (`split_meta_pairs.json`): {"train"|"val"|"test": {group: ["QUERY-REF", ...]}},
  the pairs of each query set; VCSL averages precision and recall within each group, then over
  groups (`vidtrace.evaluate.vcsl`).
"""

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.errors import VidtraceError
from vidtrace.formats.truth import LoadedTruth, Pair, TruthFormat, format_error, video_id
from vidtrace.types import CopySegment, Match, QueryTruth

SPLITS = ("train", "val", "test")


def pair_key(pair: Pair) -> str:
    """"QUERY-REF", the key of a pair in VCSL's files."""
    return f"{pair[0]}-{pair[1]}"


def parse_pair_key(key: str) -> Pair | None:
    """(query id, reference id) of a "QUERY-REF" key, None unless it has exactly one "-" with
    an id on each side (VCSL's ids are 32 hex digits without dashes)."""
    parts = key.split("-")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def is_box_list(value: Any) -> bool:
    """True for a list of [a, b, c, d] number lists (possibly empty), a VCSL label value."""
    return isinstance(value, list) and all(
        isinstance(b, list) and len(b) == 4
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in b)
        for b in value)


def looks_like_vcsl(doc: Any) -> bool:
    """True when a parsed JSON document has VCSL's label layout (checked on its first 100
    entries)."""
    if not isinstance(doc, dict) or not doc:
        return False
    items = list(doc.items())[:100]
    return all(parse_pair_key(k) is not None and is_box_list(v) for k, v in items)


def boxes_from_vcsl(rows: Sequence[Sequence[float]], fps: float = 1.0) -> np.ndarray:
    """VCSL boxes [q_start, r_start, q_end, r_end] (frame indices at `fps`) as vidtrace rows
    [query_start, query_end, ref_start, ref_end] in seconds, float64 (n, 4)."""
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 4) / fps
    return arr[:, [0, 2, 1, 3]]


def read_vcsl_labels(path: str | Path, fps: float = 1.0) -> dict[Pair, np.ndarray]:
    """The boxes of every labelled pair of a VCSL label (or prediction) file, as vidtrace rows
    [query_start, query_end, ref_start, ref_end] in seconds (`boxes_from_vcsl`)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except FileNotFoundError as e:
        raise format_error(p, None, "no such VCSL file") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise format_error(p, None, f"not a JSON file ({e})") from e
    if not isinstance(doc, dict):
        raise format_error(p, None, "not a VCSL label file: the JSON is not an object")
    out: dict[Pair, np.ndarray] = {}
    for key, value in doc.items():
        pair = parse_pair_key(key)
        if pair is None:
            raise format_error(p, None, f"not a VCSL label file: key {key!r} is not "
                               "QUERY-REFERENCE (two ids joined by one '-')")
        if not is_box_list(value):
            raise format_error(p, None, f"not a VCSL label file: {key!r} is not a list of "
                               "[q_start, r_start, q_end, r_end] boxes")
        out[pair] = boxes_from_vcsl(value, fps)
    return out


def read_vcsl_pairs(path: str | Path) -> set[Pair]:
    """The (query_id, reference_id) rows of a VCSL pair file (`pair_file_test.csv`)."""
    p = Path(path)
    try:
        with open(p, newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"query_id", "reference_id"} <= set(
                    reader.fieldnames):
                raise format_error(p, 1, "not a VCSL pair file (needs columns query_id, "
                                   "reference_id)")
            return {(row["query_id"].strip(), row["reference_id"].strip()) for row in reader}
    except FileNotFoundError as e:
        raise format_error(p, None, "no such pair file") from e


def read_vcsl_groups(path: str | Path) -> dict[str, list[Pair]]:
    """The query-set groups of VCSL's `split_meta_pairs.json` (all splits merged), or of a file
    holding one split's {group: [pairs]}; pairs are "QUERY-REF" strings or [query, ref] lists."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except FileNotFoundError as e:
        raise format_error(p, None, "no such group file") from e
    except json.JSONDecodeError as e:
        raise format_error(p, None, f"not a JSON file ({e})") from e
    if isinstance(doc, dict) and doc and set(doc) <= set(SPLITS):
        doc = {f"{split}/{g}": members for split, groups in doc.items()
               for g, members in groups.items()}
    if not isinstance(doc, dict):
        raise format_error(p, None, "not a VCSL group file: the JSON is not an object")
    out: dict[str, list[Pair]] = {}
    for group, members in doc.items():
        pairs = [parse_pair_key(m) if isinstance(m, str) else
                 (str(m[0]), str(m[1])) if isinstance(m, list) and len(m) == 2 else None
                 for m in (members if isinstance(members, list) else [None])]
        if any(pair is None for pair in pairs):
            raise format_error(p, None, f"group {group!r} is not a list of QUERY-REF pairs")
        out[str(group)] = [pair for pair in pairs if pair is not None]
    return out


def read_vcsl_ground_truth(path: str | Path, pairs: str | Path | None = None,
                           fps: float = 1.0) -> LoadedTruth:
    """A VCSL label file as ground truth; with `pairs` (a split's pair file) only the labelled
    pairs listed there. Degenerate boxes (an empty interval) stay in `pair_boxes`, which VCSL's
    metric scores, and are left out of the per-query `queries` (counted in `skipped`)."""
    p = Path(path)
    labels = read_vcsl_labels(p, fps)
    if pairs is not None:
        wanted = read_vcsl_pairs(pairs)
        labels = {pair: b for pair, b in labels.items() if pair in wanted}
        if not labels:
            raise VidtraceError(f"{pairs}: none of its pairs is labelled in {p}")
    per_query: dict[str, list[CopySegment]] = {}
    skipped = 0
    for (qid, ref), rows in labels.items():
        segs = per_query.setdefault(qid, [])
        for qs, qe, rs, re in rows:
            if qe > qs and re > rs:
                segs.append(CopySegment(ref, float(qs), float(qe), float(rs), float(re)))
            else:
                skipped += 1
    queries = tuple(QueryTruth(qid, max((s.query_end for s in segs), default=0.0), tuple(segs))
                    for qid, segs in per_query.items())
    return LoadedTruth(p, TruthFormat.VCSL, queries,
                       frozenset(pair for pair, b in labels.items() if len(b)),
                       frozenset(per_query), pair_boxes=labels, skipped=skipped)


def vcsl_boxes_from_matches(predictions: Mapping[str, Sequence[Match] | None],
                            pairs: Sequence[Pair] = ()) -> dict[Pair, np.ndarray]:
    """Predicted matches per query (file name or id) as boxes per (query id, reference id),
    vidtrace rows [query_start, query_end, ref_start, ref_end]; each pair of `pairs` is present,
    empty when nothing was predicted on it (VCSL's evaluator needs a key per labelled pair)."""
    out: dict[Pair, list[list[float]]] = {pair: [] for pair in pairs}
    for name, matches in predictions.items():
        for m in matches or []:
            out.setdefault((video_id(name), m.ref_id), []).append(
                [m.query_start, m.query_end, m.ref_start, m.ref_end])
    return {pair: np.asarray(b, dtype=np.float64).reshape(-1, 4) for pair, b in out.items()}


def write_vcsl_boxes(path: str | Path, boxes: Mapping[Pair, np.ndarray], fps: float = 1.0
                     ) -> None:
    """Write boxes per pair (vidtrace rows, seconds) in VCSL's label layout, the layout of a
    VCSL prediction file too: {"QUERY-REF": [[q_start, r_start, q_end, r_end], ...]} at `fps`
    (atomically)."""
    doc = {}
    for pair, rows in boxes.items():
        if parse_pair_key(pair_key(pair)) != pair:
            raise VidtraceError(f"ids {pair} cannot be written as one VCSL key QUERY-REF "
                                "(an id holds a '-')")
        arr = np.asarray(rows, dtype=np.float64).reshape(-1, 4) * fps
        doc[pair_key(pair)] = [[round(float(v), 3) for v in r] for r in arr[:, [0, 2, 1, 3]]]
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(p)
