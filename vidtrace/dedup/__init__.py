"""Finding the copies inside a collection, with no reference library (above the API).

`dedup_paths(paths)` describes every video file once (into a temporary library, or one kept
between runs), matches each video against all the others with the matcher of `vidtrace query`
(never against itself: exclude.py), merges the two ways each shared stretch is found into one
overlap per pair and groups the videos connected by shared footage, suggesting an original
for each group (overlaps.py). `dedup_library(lib)` does the same over a library's references
(the service's `POST /v1/dedup`). Method and limits: docs/dedup.md.
"""

from vidtrace.dedup.overlaps import ORIGINAL_RULE, Group, Overlap, VideoFacts
from vidtrace.dedup.run import (
    DEFAULT_MIN_DURATION_S,
    DedupResult,
    dedup_library,
    dedup_paths,
    dedup_settings,
)

__all__ = [
    "DEFAULT_MIN_DURATION_S",
    "ORIGINAL_RULE",
    "DedupResult",
    "Group",
    "Overlap",
    "VideoFacts",
    "dedup_library",
    "dedup_paths",
    "dedup_settings",
]
