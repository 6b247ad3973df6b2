"""How often the turned-picture test (`vidtrace.video.turn.turned_angle`) takes a query window
for turned, on a benchmark's queries (rotated copies against every other query) or on untouched
footage, and how close its angle comes to the edit's. Issue 19.

Windows are the query views' own: 10 s (`views.PIP_WINDOW_S`) of frames at the default query
rate and decode size. In a benchmark a query's windows count as rotated when the query has a
rotate edit (its copies are rotated; the filler between them is not, so some of its windows are
rightly not turned). The angle error compares the window's angle with minus the edit's (plus
the edit's where a mirror edit comes after the rotation).

Usage:
    python benchmarks/issue19/turn_scan.py bench BENCHMARK_FOLDER OUT.json
    python benchmarks/issue19/turn_scan.py footage FOOTAGE_FOLDER OUT.json
e.g. BENCHMARK_FOLDER = .cache/bench/default-seed0-<key> (what `vidtrace bench` built),
FOOTAGE_FOLDER = ../shared/data/videos. A few minutes on 2 cores.
"""

import json
import sys
from pathlib import Path

from vidtrace.settings import LibrarySettings, QuerySettings
from vidtrace.video.decode import iter_frames
from vidtrace.video.turn import turned_angle
from vidtrace.video.views import inset_windows


def scan(path: Path) -> list[float | None]:
    """Each window's turned angle (None: not turned)."""
    lib, query = LibrarySettings(), QuerySettings()
    frames = iter_frames(path, query.query_fps, lib.short_side, lib.max_long_side,
                         sampling=query.query_sampling)
    angles: list[float | None] = []
    for _, window in inset_windows(frames, pip=False):  # each window after the one before
        angles.append(turned_angle([image for _, image in window],
                                   angles[-1] if angles else None))
    return angles


def rounded(angles: list[float | None]) -> list[float | None]:
    return [None if a is None else round(a, 1) for a in angles]


def bench(folder: Path) -> dict[str, object]:
    truth = json.loads((folder / "groundtruth.json").read_text())["queries"]
    rotated: list[dict[str, object]] = []
    falsely: list[dict[str, object]] = []
    counts = {"rotated_windows": 0, "rotated_turned": 0, "other_windows": 0, "other_turned": 0}
    errors: list[float] = []
    for query in truth:
        turns = [e for e in query["edits"] if e["kind"] == "rotate"]
        angles = scan(folder / query["query"])
        turned = [a for a in angles if a is not None]
        kinds = [e["kind"] for e in query["edits"]]
        if turns:
            counts["rotated_windows"] += len(angles)
            counts["rotated_turned"] += len(turned)
            edit = turns[0]
            after = kinds[kinds.index("rotate"):]
            expected = -edit["angle"] * (-1) ** after.count("hflip")
            errors += [abs(a - expected) for a in turned]
            rotated.append({"query": query["query"], "angle": round(edit["angle"], 1),
                            "fill": edit["fill"], "edits": kinds, "windows": rounded(angles)})
        else:
            counts["other_windows"] += len(angles)
            counts["other_turned"] += len(turned)
            if turned:
                falsely.append({"query": query["query"], "edits": kinds,
                                "windows": rounded(angles)})
    errors.sort()
    return {**counts, "angle_error_median": round(errors[len(errors) // 2], 2) if errors else None,
            "angle_error_max": round(errors[-1], 2) if errors else None,
            "rotated": rotated, "other_turned_queries": falsely}


def footage(folder: Path) -> dict[str, object]:
    windows = turned = 0
    clips: list[dict[str, object]] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        angles = scan(path)
        windows += len(angles)
        found = [a for a in angles if a is not None]
        turned += len(found)
        if found:
            clips.append({"clip": path.name, "windows": rounded(angles)})
    return {"windows": windows, "turned": turned, "turned_clips": clips}


def main(mode: str, folder: Path, out: Path) -> None:
    result = {"mode": mode, "folder": str(folder),
              **(bench(folder) if mode == "bench" else footage(folder))}
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, list)}))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("bench", "footage"):
        sys.exit(__doc__)
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
