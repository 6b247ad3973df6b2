"""Every segment stage 2 keeps for each query of a built benchmark with no threshold, with its
matched frames (`n_hits`) and speed, as JSON lines (one per query, with its ground truth), for
studying threshold rules offline (`length_threshold.py`). Usage:
    python benchmarks/issue19/segments_at_zero.py BENCHMARK_FOLDER LIBRARY_FOLDER OUT.jsonl
LIBRARY_FOLDER: a library of the benchmark's references (`view_latency.py` builds one).
"""

import json
import math
import sys
from pathlib import Path

from vidtrace.api import Library


def main(bench: Path, library: Path, out_path: Path) -> None:
    doc = json.loads((bench / "groundtruth.json").read_text())
    items = doc["queries"] if isinstance(doc, dict) and "queries" in doc else doc
    with Library.open(library) as lib, open(out_path, "w") as out:
        s = lib.query_defaults
        for q in items:
            views = lib.describe_query(bench / q["query"], s)
            trace = lib.trace(views, s, bench / q["query"], threshold=-math.inf)
            kept = {f.match for f in trace.fused}
            segs = [{"ref": a.reference.video_id, "qs": a.match.query_start,
                     "qe": a.match.query_end, "rs": a.match.ref_start, "re": a.match.ref_end,
                     "score": a.match.score, "hits": a.segment.n_hits,
                     "speed": a.segment.speed, "kept": a.match in kept}
                    for a in trace.aligned]
            out.write(json.dumps({"query": q["query"], "truth": q["segments"],
                                  "edits": [e["kind"] for e in q["edits"]],
                                  "segs": segs}) + "\n")
            out.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
