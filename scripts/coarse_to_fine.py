"""Would describing a query coarsely first, and densely only near the segments' ends, keep
the accuracy of dense describing at a lower cost? A one-off experiment on a built benchmark
(docs/speed.md, "Tried and left out"); it changes nothing in vidtrace.

    python scripts/coarse_to_fine.py [BENCH_FOLDER] [--windows 2 4 6]

Every query is described once at the default 2 frames/s with its views, then matched several
ways from those vectors, so the ways differ only in which frames they use:
- dense: every frame (what `vidtrace query` does);
- half: every other frame, aligned as a 1 frame/s query (`--set query_fps=1.0`);
- held: the 2 frames/s grid, each left-out frame holding the vector of its nearest described
  frame (ties to the earlier);
- held W / mixed W: half's segments found first, then the frames within W s of each segment
  end described too; "held" fills the rest of the 2 frames/s grid as above, "mixed" aligns
  the described frames alone (1 frame/s between the ends, 2 near them).
Prints, per way, the frames described and the benchmark's scores.
"""

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from vidtrace.api import Library
from vidtrace.evaluate.bench import default_cache
from vidtrace.evaluate.report import evaluate_files
from vidtrace.settings import DEFAULT_SETTINGS
from vidtrace.types import Match
from vidtrace.video.views import InsetView, QueryViews


def _nearest(times: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each row, the nearest row where `mask` is set (ties to the earlier)."""
    idx = np.flatnonzero(mask)
    pos = np.searchsorted(idx, np.arange(len(times)))
    lo = idx[np.clip(pos - 1, 0, len(idx) - 1)]
    hi = idx[np.clip(pos, 0, len(idx) - 1)]
    src = np.where(np.abs(times - times[lo]) <= np.abs(times[hi] - times), lo, hi)
    src[mask] = idx
    return src


def _view_rows(view: InsetView | None, src: np.ndarray) -> InsetView | None:
    """`view` re-indexed: new row i takes old row src[i]'s vector where that row has one."""
    if view is None or len(view) == 0:
        return view
    where = np.full(int(max(view.rows.max(), src.max())) + 1, -1)
    where[view.rows] = np.arange(len(view.rows))
    k = where[src]
    rows = np.flatnonzero(k >= 0)
    return InsetView(rows.astype(np.int64), view.vectors[k[rows]], view.windows)


def held(views: QueryViews, mask: np.ndarray) -> QueryViews:
    """The 2 frames/s grid with left-out rows holding their nearest described row's vectors."""
    src = _nearest(views.full.times, mask)
    full = replace(views.full, vectors=views.full.vectors[src])
    inset = _view_rows(views.inset, src) or InsetView.empty(full.dim, views.inset.windows)
    return QueryViews(full, inset, _view_rows(views.mirror, src))


def subset(views: QueryViews, mask: np.ndarray) -> QueryViews:
    """The described rows alone."""
    rows = np.flatnonzero(mask)
    full = replace(views.full, times=views.full.times[rows], vectors=views.full.vectors[rows])
    inset = _view_rows(views.inset, rows) or InsetView.empty(full.dim, views.inset.windows)
    return QueryViews(full, inset, _view_rows(views.mirror, rows))


def near_ends(times: np.ndarray, matches: list[Match], window_s: float) -> np.ndarray:
    mask = np.zeros(len(times), bool)
    for m in matches:
        for end in (m.query_start, m.query_end):
            mask |= np.abs(times - end) <= window_s
    return mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", nargs="?", type=Path,
                        help="a built benchmark folder; default the newest default-seed0 one")
    parser.add_argument("--windows", nargs="+", type=float, default=[2.0, 4.0, 6.0])
    args = parser.parse_args()
    root = args.bench or max(default_cache().glob("default-seed0-*"),
                             key=lambda p: p.stat().st_mtime)
    queries = sorted(str(p.relative_to(root)) for p in (root / "queries").glob("*.mp4"))
    ways = ["dense", "half", "held"] + [f"{k} {w:g}" for w in args.windows
                                         for k in ("held", "mixed")]
    lines: dict[str, list[str]] = {w: [] for w in ways}
    frames = dict.fromkeys(ways, 0)
    one_fps = DEFAULT_SETTINGS.with_changes(query_fps=DEFAULT_SETTINGS.query_fps / 2)
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library.create(Path(tmp) / "lib")
        for ref in sorted((root / "references").glob("*.mp4")):
            lib.add([ref])
        for name in queries:
            views = lib.describe_query_views(root / name)
            times = views.full.times
            even = np.zeros(len(times), bool)
            even[::2] = True
            found = {"dense": (lib.match(views), len(times)),
                     "half": (lib.match(subset(views, even), one_fps), int(even.sum())),
                     "held": (lib.match(held(views, even)), int(even.sum()))}
            for w in args.windows:
                mask = even | near_ends(times, found["half"][0], w)
                found[f"held {w:g}"] = (lib.match(held(views, mask)), int(mask.sum()))
                found[f"mixed {w:g}"] = (lib.match(subset(views, mask)), int(mask.sum()))
            for way, (matches, n) in found.items():
                frames[way] += n
                lines[way].append(json.dumps(
                    {"query": name, "matches": [m.to_json() for m in matches]}))
        print(f"{'way':<10} {'frames':>7} {'F1@3s':>6} {'F1@5s':>6} {'top-1':>6} "
              f"{'VCSL F1':>8} {'AP':>6}")
        for way in ways:
            pred = Path(tmp) / "pred.jsonl"
            pred.write_text("\n".join(lines[way]) + "\n")
            e = evaluate_files(root / "groundtruth.json", pred)["overall"]
            print(f"{way:<10} {frames[way]:>7} {e['competition']['3']['f1']:>6.3f} "
                  f"{e['competition']['5']['f1']:>6.3f} {e['top1']:>6.3f} "
                  f"{e['vcsl']['f1']:>8.3f} {e['vsc_ap']:>6.3f}")


if __name__ == "__main__":
    main()
