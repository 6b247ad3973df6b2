"""How high unrelated footage scores: the null distribution of segment scores, for choosing a
match threshold with a margin (issue 19). The clips of a footage folder are split in two
halves (related groups of the folder's MANIFEST.md kept in one half); each half in turn is a
library, and every clip of the other half, edited by random chains of the transformation
engine, is queried against it with no threshold. Every segment stage 2 keeps is a false match
(no query copies anything of the library), so the highest score per query is what a threshold
must stay above. Usage:
    python benchmarks/issue19/null_scores.py ../shared/data/videos WORK_FOLDER OUT.json [CHAINS]
CHAINS: random edit chains per query clip (default 2). WORK_FOLDER keeps the libraries and the
rendered queries, so a second run reuses them.
"""

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.api import Library
from vidtrace.synth.randomize import EditPool, random_chain
from vidtrace.synth.related import related_groups
from vidtrace.synth.render import FillerPiece, compose_query
from vidtrace.synth.videoio import source_info

SEED = 19
MAX_QUERY_S = 20.0
EXTENSIONS = (".mp4", ".webm", ".avi", ".ogv", ".mkv", ".mov")


def probe_duration(path: Path) -> float:
    return source_info(path).duration


def halves(folder: Path) -> tuple[list[Path], list[Path]]:
    """The folder's clips in two halves of about equal length, each related group in one."""
    clips = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    units: list[list[Path]] = []
    placed: set[Path] = set()
    for group in related_groups(folder):
        members = [p for p in clips if any(p.match(pattern) for pattern in group)]
        members = [p for p in members if p not in placed]
        if members:
            units.append(members)
            placed.update(members)
    units += [[p] for p in clips if p not in placed]
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(units))
    sides: tuple[list[Path], list[Path]] = ([], [])
    length = [0.0, 0.0]
    for i in order:
        side = int(length[1] < length[0])
        sides[side].extend(units[int(i)])
        length[side] += sum(probe_duration(p) for p in units[int(i)])
    return sides


def library(paths: list[Path], where: Path) -> Path:
    if not (where / "complete").exists():
        with Library.create(where) as lib:
            lib.add(paths)
        (where / "complete").touch()
    return where


def queries(paths: list[Path], where: Path, chains: int) -> list[tuple[Path, list[str]]]:
    """Each clip's first MAX_QUERY_S seconds through `chains` random edit chains; pictures for
    picture-in-picture come from the same half (never from the library's)."""
    where.mkdir(parents=True, exist_ok=True)
    pool = EditPool(backgrounds=[(p, probe_duration(p)) for p in paths])
    rng = np.random.default_rng(SEED + 1)
    out = []
    for p in paths:
        duration = min(MAX_QUERY_S, probe_duration(p))
        for c in range(chains):
            edits = random_chain(rng, pool)
            target = where / f"{p.stem}-{c}.mp4"
            kinds = [str(e.kind) for e in edits]
            if not target.exists():
                compose_query([FillerPiece(p, 0.0, duration)], target, edits=edits,
                              seed=SEED + c)
            out.append((target, kinds))
    return out


def main(folder: Path, work: Path, out_path: Path, chains: int) -> None:
    sides = halves(folder)
    rows: list[dict[str, Any]] = []
    for i, (refs, others) in enumerate((sides, sides[::-1])):
        lib_path = library(refs, work / f"library-{i}")
        with Library.open(lib_path) as lib:
            for q, kinds in queries(others, work / f"queries-{i}", chains):
                trace = lib.trace(lib.describe_query(q), query_path=q, threshold=-math.inf)
                scores = sorted((f.match.score for f in trace.fused), reverse=True)
                rows.append({"query": q.name, "edits": kinds, "library": i,
                             "best": round(scores[0], 4) if scores else None,
                             "segments": len(scores)})
                print(json.dumps(rows[-1]), flush=True)
    best = np.array([r["best"] for r in rows if r["best"] is not None])
    summary = {"queries": len(rows), "with_a_segment": len(best),
               "max": round(float(best.max()), 4) if len(best) else None,
               "above": {str(t): int((best >= t).sum()) for t in (0.25, 0.3, 0.35, 0.38, 0.42)},
               "halves": [[p.name for p in side] for side in sides]}
    out_path.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]),
         int(sys.argv[4]) if len(sys.argv) > 4 else 2)
