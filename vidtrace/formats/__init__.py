"""The field's file formats, in and out: the Meta Video Similarity Challenge 2022 (VSC 2022)
matching-track CSV and descriptor-track .npz, and the VCSL annotation files.

This package only reads and writes files; it converts them to and from vidtrace's records
(`Match`, `FrameSet`, `QueryTruth`) and knows nothing of the pipeline. The metrics that score
these formats to their published definitions live in `vidtrace.evaluate` (`vsc`, `pairs`,
`vcsl`). Layouts, with where each fact comes from, are in docs/benchmarks.md.

- `vsc`: VSC 2022 match rows (predictions and ground truth), `write_vsc_matches`,
  `read_vsc_matches`, `read_vsc_ground_truth`.
- `descriptors`: the VSC 2022 descriptor-track .npz, `write_vsc_descriptors`,
  `read_vsc_descriptors`.
- `vcsl`: VCSL label files, pair lists and query-set groups, `read_vcsl_ground_truth`,
  `write_vcsl_boxes`.
- `detect`: `read_any_ground_truth` and `read_any_predictions`, which tell the formats apart
  from the file itself.
"""

from vidtrace.formats.descriptors import read_vsc_descriptors, write_vsc_descriptors
from vidtrace.formats.detect import (
    LoadedTruth,
    TruthFormat,
    read_any_ground_truth,
    read_any_predictions,
)
from vidtrace.formats.vcsl import read_vcsl_ground_truth, write_vcsl_boxes
from vidtrace.formats.vsc import (
    VscMatchWriter,
    read_vsc_ground_truth,
    read_vsc_matches,
    write_vsc_matches,
)

__all__ = [
    "LoadedTruth",
    "TruthFormat",
    "VscMatchWriter",
    "read_any_ground_truth",
    "read_any_predictions",
    "read_vcsl_ground_truth",
    "read_vsc_descriptors",
    "read_vsc_ground_truth",
    "read_vsc_matches",
    "write_vcsl_boxes",
    "write_vsc_descriptors",
    "write_vsc_matches",
]
