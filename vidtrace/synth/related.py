"""Related clips of a footage collection (stage 8, synth & eval): groups of clips that show the
same thing (one scene filmed twice, a screen recording that shows another clip).

A benchmark keeps every such group on the filler side: were one member a reference and another
filler, a "negative" or a filler piece would hold a true copy the ground truth does not list; were
two members references, a copy of one would truly match the other, which the ground truth cannot
list either. The groups come from the collection's MANIFEST.md: its paragraph that begins
"Related groups" names them, one group per `;`-separated clause, each clip in backquotes (a `*`
matches any run of characters, as in `mdn_toy_*`).
"""

import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.linked import linked_groups

MANIFEST = "MANIFEST.md"
_NAME = re.compile(r"`([^`]+)`")


def parse_related(text: str) -> list[list[str]]:
    """The groups (lists of file-name patterns) of a manifest's "Related groups" paragraph;
    clauses naming fewer than one pattern are skipped; [] when there is no such paragraph."""
    paragraphs = re.split(r"\n\s*\n", text)
    para = next((p for p in paragraphs if p.lstrip().lower().startswith("related groups")), None)
    if para is None:
        return []
    head, _, body = para.partition(":")  # "Related groups (...): clause; clause; ..."
    groups = [_NAME.findall(clause) for clause in (body or head).split(";")]
    return [g for g in groups if g]


def manifest_near(sources: Path | Sequence[Path]) -> Path | None:
    """The MANIFEST.md in the sources folder (or the first source's folder) or its parent."""
    first = Path(sources) if isinstance(sources, str | Path) else Path(next(iter(sources), "."))
    folder = first if first.is_dir() else first.parent
    for candidate in (folder / MANIFEST, folder.parent / MANIFEST):
        if candidate.is_file():
            return candidate
    return None


def related_groups(sources: Path | Sequence[Path]) -> list[list[str]]:
    """The related groups named by the manifest near `sources` ([] when there is none)."""
    path = manifest_near(sources)
    if path is None:
        return []
    try:
        return parse_related(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the footage manifest ({e}); fix or remove "
                          "it") from None


def group_members(clips: Sequence[Path], groups: Sequence[Sequence[str]]) -> list[set[Path]]:
    """For each group, the clips whose file name matches one of its patterns (groups that
    match no clip are left out)."""
    out: list[set[Path]] = []
    for patterns in groups:
        members = {c for c in clips if any(fnmatch.fnmatchcase(Path(c).name, p)
                                           for p in patterns)}
        if members:
            out.append(members)
    return out


# ---- photos that show one another ---------------------------------------------------------
# A photo collection can hold crops or recolourings of one picture under different names (a
# close-up cut from a wider shot). No manifest lists those, so they are found from the pixels:
# SIFT key points of each photo (at most PHOTO_SIDE px on its long side), Lowe's ratio test
# between every pair, and a RANSAC homography; a pair whose homography keeps at least
# MIN_INLIERS matches shows the same scene. Unrelated photos keep a handful by chance.
PHOTO_SIDE = 480
PHOTO_KEYPOINTS = 400
RATIO = 0.75
MIN_INLIERS = 30
MIN_SPREAD = 0.25


def _photo_features(path: Path) -> Any:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ConfigError(f"{path}: cannot read the photo; remove it or convert it to PNG/JPEG")
    scale = PHOTO_SIDE / max(image.shape)
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sift = cv2.SIFT_create(nfeatures=PHOTO_KEYPOINTS)  # type: ignore[attr-defined]
    points, descriptors = sift.detectAndCompute(image, None)
    xy = np.array([p.pt for p in points], np.float32).reshape(-1, 2)
    return xy, descriptors


def photo_inliers(a: Any, b: Any) -> int:
    """Matches of two photos' (points, descriptors) that one plausible homography explains:
    ratio-test matches kept one to one, RANSAC, then 0 unless the homography keeps areas
    within a factor of 20 and its inliers span at least MIN_SPREAD of each photo's key-point
    extent on both axes (chance matches collapse onto a few points or a line)."""
    import cv2

    (xa, da), (xb, db) = a, b
    if da is None or db is None or len(da) < 2 or len(db) < 2:
        return 0
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(da, db, k=2)
    good = [m for m, n in (p for p in pairs if len(p) == 2) if m.distance < RATIO * n.distance]
    best: dict[int, Any] = {}
    for m in good:  # one to one: each point of b keeps its closest match
        if m.trainIdx not in best or m.distance < best[m.trainIdx].distance:
            best[m.trainIdx] = m
    good = list(best.values())
    if len(good) < MIN_INLIERS:
        return len(good)
    src = xa[[m.queryIdx for m in good]]
    dst = xb[[m.trainIdx for m in good]]
    h, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
    if h is None or mask is None:
        return 0
    keep = mask.ravel().astype(bool)
    det = abs(float(np.linalg.det(h[:2, :2])))
    if not 1 / 20 <= det <= 20:
        return 0
    for pts, every in ((src[keep], xa), (dst[keep], xb)):
        extent = np.ptp(every, axis=0) + 1e-6
        if np.any(np.ptp(pts, axis=0) < MIN_SPREAD * extent):
            return 0
    return int(keep.sum())


def related_photos(photos: Sequence[Path]) -> list[list[str]]:
    """Groups (file names, sorted) of photos that show the same scene: pairs linked by
    `photo_inliers` >= MIN_INLIERS, joined transitively. Every pair is compared (n^2 / 2
    matchings: about a minute for 150 photos on 2 cores)."""
    feats = [_photo_features(Path(p)) for p in photos]
    groups = linked_groups(
        len(photos), lambda i, j: photo_inliers(feats[i], feats[j]) >= MIN_INLIERS)
    return sorted(sorted(Path(photos[i]).name for i in g) for g in groups if len(g) > 1)
