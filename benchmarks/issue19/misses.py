"""What the copies a bench run missed look like (issue 19): for each ground-truth segment that
no prediction matches within 3 s, the query's picture over the copy (mean grey level, contrast,
share of blank frames) and sscd's similarity of each query frame to the reference frame the true
line puts it on (whole frames, no view), against its best similarity anywhere in that
reference. A copy the descriptor cannot see scores low along its line; a copy whose frames are
blank (a dark shot made darker, a fade) has nothing to see. Usage:
    python benchmarks/issue19/misses.py benchmarks/issue19/build4-observations.json
(the report's benchmark folder must still exist: `vidtrace bench` rebuilds it from its seed).
"""

import json
import sys
from pathlib import Path

import cv2
import numpy as np

from vidtrace.descriptors.sscd import SSCDDescriptor
from vidtrace.evaluate.competition import match_query
from vidtrace.groundtruth import read_ground_truth, read_predictions
from vidtrace.settings import DEFAULT_LIBRARY as LIB
from vidtrace.types import CopySegment
from vidtrace.video import iter_frames
from vidtrace.video.borders import prepare_frame

FPS = 2.0
BLANK_STD = 8.0  # grey-level spread under which a frame is blank (borders.py's flat line)


def _frames(path: Path, start: float, end: float) -> tuple[np.ndarray, list[np.ndarray]]:
    got = [(t, im) for t, im in iter_frames(path, FPS, LIB.short_side, LIB.max_long_side)
           if start <= t <= end]
    return np.array([t for t, _ in got]), [im for _, im in got]


def _describe(d: SSCDDescriptor, images: list[np.ndarray]) -> np.ndarray:
    return d.describe(np.stack([prepare_frame(im, LIB.input_size, LIB.crop_borders)
                                for im in images]))


def main(path: str) -> None:
    report = json.loads(Path(path).read_text())
    root = Path(report["benchmark"]["folder"])
    truth = read_ground_truth(root / "groundtruth.json")
    predictions = read_predictions(Path(report["predictions"]))
    d = SSCDDescriptor(threads=2)
    print(f"{'query':24s} {'reference':9s} {'query s':>13s} {'edits':40s} {'grey':>5s} "
          f"{'std':>5s} {'blank':>5s} {'along':>6s} {'best':>6s}")
    for q in truth:
        matches = predictions.get(Path(q.query).name) or []
        for seg in q.segments:
            if match_query([seg], matches, 3.0).tp:
                continue
            _row(d, root, q.query, seg, [e["kind"] for e in q.edits])


def _row(d: SSCDDescriptor, root: Path, query: str, seg: CopySegment, edits: list[str]) -> None:
    qt, qims = _frames(root / query, seg.query_start, seg.query_end)
    rt, rims = _frames(root / "references" / f"{seg.ref_id}.mp4", 0.0, float("inf"))
    greys = [cv2.cvtColor(im, cv2.COLOR_RGB2GRAY).astype(np.float32) for im in qims]
    speed = (seg.ref_end - seg.ref_start) / (seg.query_end - seg.query_start)
    on_line = seg.ref_start + (qt - seg.query_start) * speed
    nearest = np.abs(rt[None, :] - on_line[:, None]).argmin(axis=1)
    qv, rv = _describe(d, qims), _describe(d, rims)
    along = (qv * rv[nearest]).sum(axis=1)
    best = (qv @ rv.T).max(axis=1)
    print(f"{Path(query).name:24s} {seg.ref_id:9s} {seg.query_start:5.1f}-{seg.query_end:5.1f}s "
          f"{','.join(edits):40s} {np.mean([g.mean() for g in greys]):5.1f} "
          f"{np.mean([g.std() for g in greys]):5.1f} "
          f"{np.mean([g.std() < BLANK_STD for g in greys]):5.2f} {along.mean():6.3f} "
          f"{best.mean():6.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
