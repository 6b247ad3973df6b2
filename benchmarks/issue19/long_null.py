"""The null on long real references (docs/align.md, "The threshold"): how high chance lines
through a long reference of real footage score, by their matched frames. `null_scores.py`'s
references are single clips under a minute; a chance line gets far more room in a long one.

Each half of `null_scores.halves` becomes one long reference: its clips end to end as they
are, then again mirrored, then again in grey (three times the half, about 18 minutes). The
queries are `null_scores.queries` of the other half (reused from its WORK_FOLDER). No query
copies anything of the reference, so every segment stage 2 places (before any threshold) is a
false match; each is written with its score and matched frames, and the summary counts the
queries that each threshold would give a match: flat ones, and by matched frames
(`vidtrace.types.Threshold`) with a short threshold of 0.42. Usage:
    python benchmarks/issue19/long_null.py ../shared/data/videos WORK_FOLDER OUT.json
"""

import json
import sys
from pathlib import Path
from typing import Any

from null_scores import halves, probe_duration, queries

from vidtrace.api import Library
from vidtrace.synth.appearance import Grayscale
from vidtrace.synth.geometry import HFlip
from vidtrace.synth.render import FillerPiece, compose_query
from vidtrace.types import Threshold

SHORT = 0.42
LONG = (0.25, 0.28, 0.30, 0.32, 0.34, 0.36, 0.42)


def long_reference(clips: list[Path], target: Path) -> Path:
    """`clips` end to end, as they are, mirrored, then grey, in one file."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for n, edits in enumerate(((), (HFlip(),), (Grayscale(),))):
        part = target.with_name(f"{target.stem}-part{n}.mp4")
        if not part.exists():
            compose_query([FillerPiece(p, 0.0, probe_duration(p)) for p in clips], part,
                          edits=edits, fps=25.0)
        parts.append(FillerPiece(part, 0.0, probe_duration(part)))
    compose_query(parts, target, fps=25.0)
    return target


def main(folder: Path, work: Path, out_path: Path) -> None:
    sides = halves(folder)
    rows: list[dict[str, Any]] = []
    for i, (refs, others) in enumerate((sides, sides[::-1])):
        ref = long_reference(refs, work / f"long-{i}" / f"long-{i}.mp4")
        lib_path = work / f"long-library-{i}"
        if not (lib_path / "complete").exists():
            with Library.create(lib_path) as lib:
                lib.add([ref])
            (lib_path / "complete").touch()
        with Library.open(lib_path) as lib:
            duration = lib.videos()[0].duration
            for q, kinds in queries(others, work / f"queries-{i}", 2):
                trace = lib.trace(lib.describe_query(q), query_path=q)
                segs = [{"score": round(a.segment.score, 4), "frames": a.segment.n_hits,
                         "query_s": round(a.segment.query_end - a.segment.query_start, 2)}
                        for a in trace.aligned]
                rows.append({"query": q.name, "edits": kinds, "reference": i,
                             "reference_s": round(duration, 1), "segments": segs})
                print(json.dumps(rows[-1]), flush=True)
    summary: dict[str, Any] = {"queries": len(rows),
                               "reference_s": sorted({r["reference_s"] for r in rows}),
                               "segments": sum(len(r["segments"]) for r in rows)}
    for long in LONG:
        flat, by_frames = Threshold(long), Threshold(long, SHORT)
        summary[f"{long:.2f}"] = {
            "flat": sum(any(flat.keeps(s["score"], s["frames"]) for s in r["segments"])
                        for r in rows),
            "by_frames": sum(any(by_frames.keeps(s["score"], s["frames"])
                                 for s in r["segments"]) for r in rows)}
    summary["top"] = sorted(({"score": s["score"], "frames": s["frames"]}
                             for r in rows for s in r["segments"]),
                            key=lambda s: -s["score"])[:10]
    summary["segments_by_frames"] = {
        k: sum(lo <= s["frames"] < hi for r in rows for s in r["segments"])
        for k, (lo, hi) in {"3-5": (3, 6), "6-11": (6, 12), "12-23": (12, 24),
                            "24+": (24, 10**9)}.items()}
    out_path.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
