"""Pairing ground truth with predictions, shared by every metric of the evaluate stage.

Ground truth is a list of `QueryTruth`; predictions are a mapping from a query's file name
(`Path(QueryTruth.query).name`) to its `Match` list. A query missing from the mapping, or mapped to
None (the query failed), counts as a query for which nothing was predicted.
"""

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from vidtrace.errors import VidtraceError
from vidtrace.types import Match, QueryTruth

Predictions = Mapping[str, Sequence[Match] | None]
"""Predicted matches per query file name; None marks a query that reported an error."""


class Segment(Protocol):
    """Anything with a reference id and query/reference intervals in seconds:
    `Match` and `CopySegment` both are."""

    @property
    def ref_id(self) -> str: ...
    @property
    def query_start(self) -> float: ...
    @property
    def query_end(self) -> float: ...
    @property
    def ref_start(self) -> float: ...
    @property
    def ref_end(self) -> float: ...


def query_name(truth: QueryTruth) -> str:
    """The key under which a query's predictions are looked up: its file name."""
    return Path(truth.query).name


def paired(truth: Sequence[QueryTruth], predictions: Predictions) -> list[
        tuple[QueryTruth, list[Match]]]:
    """Each ground-truth query with its predicted matches (an empty list when none or failed).

    Raises VidtraceError when two queries share a file name (their predictions could not be told
    apart) or when a prediction has a non-finite time or score.
    """
    seen: set[str] = set()
    out = []
    for q in truth:
        name = query_name(q)
        if name in seen:
            raise VidtraceError(
                f"ground truth lists query file name {name!r} twice; names must be unique "
                "because predictions are paired with queries by file name"
            )
        seen.add(name)
        matches = list(predictions.get(name) or [])
        for m in matches:
            values = (m.query_start, m.query_end, m.ref_start, m.ref_end, m.score)
            if not all(math.isfinite(v) for v in values):
                raise VidtraceError(f"prediction for query {name!r} has a non-finite value: {m}")
        out.append((q, matches))
    return out


def unknown_queries(truth: Sequence[QueryTruth], predictions: Predictions) -> list[str]:
    """Names in `predictions` that no ground-truth query has (sorted); they are not scored."""
    known = {query_name(q) for q in truth}
    return sorted(name for name in predictions if name not in known)
