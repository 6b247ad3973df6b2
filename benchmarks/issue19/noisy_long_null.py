"""A harder null for the threshold by matched frames (docs/align.md, "The threshold"): long
queries of unrelated footage under heavy noise against `long_null.py`'s first long reference.
A noisy frame is close to many frames (0.35-0.40 to a still, low-texture shot), so a long noisy
query is where a long chance segment would appear if one can. Queries: 'His Girl Friday'
(mdn_friday_1940, the one clip that got a segment in long_null.py: 12 frames, 0.349) looped ten
times under three edit chains, and the other half's clips in 60 s pieces under two. Prints
every segment stage 2 places (query start, end, reference start, score, matched frames, and
what the default threshold needs for them). Usage, after long_null.py:
    python benchmarks/issue19/noisy_long_null.py ../shared/data/videos WORK_FOLDER
"""

import sys
from pathlib import Path

from null_scores import halves, probe_duration

from vidtrace.api import Library
from vidtrace.settings import DEFAULT_QUERY
from vidtrace.synth.appearance import Grayscale, Noise
from vidtrace.synth.geometry import Scale
from vidtrace.synth.overlay import Text
from vidtrace.synth.render import FillerPiece, compose_query

CHAINS = {"noise20": [Noise(20.0, 1)],
          "noise20-scale0.4-text": [Noise(20.0, 2), Text(), Scale(0.4)],
          "grey-noise20": [Grayscale(), Noise(20.0, 3)]}


def queries(others: list[Path], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = []
    friday = next(p for p in others if "friday" in p.name)
    for name, chain in CHAINS.items():
        target = out / f"friday-x10-{name}.mp4"
        if not target.exists():
            compose_query([FillerPiece(friday, 0.0, probe_duration(friday))] * 10, target,
                          edits=chain)
        made.append(target)
    pieces: list[FillerPiece] = []
    length, k = 0.0, 0
    for p in others:
        d = min(probe_duration(p), 20.0)
        pieces.append(FillerPiece(p, 0.0, d))
        length += d
        if length >= 60:
            for name in ("noise20", "grey-noise20"):
                target = out / f"chunk{k}-{name}.mp4"
                if not target.exists():
                    compose_query(pieces, target, edits=CHAINS[name])
                made.append(target)
            pieces, length, k = [], 0.0, k + 1
    return made


def main(folder: Path, work: Path) -> None:
    _, others = halves(folder)
    rule = DEFAULT_QUERY.threshold()
    with Library.open(work / "long-library-0") as lib:
        for q in queries(others, work / "noisy-queries"):
            trace = lib.trace(lib.describe_query(q), query_path=q)
            print(q.name, [(round(a.segment.query_start, 1), round(a.segment.query_end, 1),
                            round(a.segment.ref_start, 1), round(a.segment.score, 3),
                            a.segment.n_hits, round(rule.required(a.segment.n_hits), 3))
                           for a in trace.aligned], flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
