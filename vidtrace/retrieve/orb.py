"""Geometric verification of frame pairs with ORB keypoints (stage 1, retrieve; seed 002).

Global descriptors rank candidate references; this module checks the best of them the way seed
002 does, by local keypoints: a query frame and a reference frame are a copy when many ORB
keypoints match under one similarity transform (scale, rotation, shift), which is what cropping,
scaling, letterboxing, shifting and picture-in-picture do to a frame. A mirrored copy is found by
also trying the mirrored query frame.

Per pair: ORB keypoints on greyscale frames, brute-force Hamming matching kept by Lowe's ratio
test and made one-to-one, then a RANSAC fit of a partial affine transform
(`cv2.estimateAffinePartial2D`); the RANSAC inliers of a transform with a sensible scale count.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

# ORB keypoints per frame; 1000 keeps enough points inside a picture-in-picture inset half the
# query frame's width over textured footage (fewer than MIN_INLIERS in a third of the cases at a
# third of the width, where more features would help at a quadratic matching cost).
_N_FEATURES = 1000
# FAST corner threshold (OpenCV's default is 20).
_FAST_THRESHOLD = 20
# ORB patch size, also used as the border left without keypoints; OpenCV's 31 leaves few
# keypoints in a small inset, 19 keeps more at little cost in distinctiveness.
_PATCH_PX = 19
# Lowe's ratio test: a match is kept when its Hamming distance is below this fraction of the
# second-best match's.
_RATIO = 0.8
# RANSAC reprojection threshold, in reference-frame pixels (frames of ~288 px short side).
_RANSAC_PX = 4.0
# A transform scaling the query by less or more than this is a chance fit, not a copy.
_MIN_SCALE, _MAX_SCALE = 0.1, 10.0
# Fewer RANSAC inliers than this score 0: unrelated frames reach a handful by chance.
MIN_INLIERS = 8
# Inliers beyond MIN_INLIERS - 1 at which the score reaches 1 - 1/e (see `inlier_score`).
_INLIER_SCALE = 15.0


@dataclass(frozen=True)
class PairCheck:
    """The geometric check of one (query frame, reference frame) pair.

    matches: keypoint matches passing the ratio test (of the orientation kept); inliers: those
    consistent with the fitted similarity transform (0 when the fit failed or was degenerate);
    flipped: whether the mirrored query frame gave strictly more inliers, and so was kept;
    score: `inlier_score(inliers)`, in [0, 1].
    """

    matches: int
    inliers: int
    flipped: bool
    score: float

    def __post_init__(self) -> None:
        if not 0 <= self.inliers <= self.matches:
            raise ValueError(f"need 0 <= inliers <= matches, got {self.inliers}, {self.matches}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must lie in [0, 1], got {self.score}")


class Pooling(StrEnum):
    """How a candidate's pair scores become one score."""

    MEAN = "mean"
    MAX = "max"


def inlier_score(inliers: int) -> float:
    """Score in [0, 1] of a pair with `inliers` RANSAC inliers: 0 below MIN_INLIERS, then
    1 - exp(-(inliers - MIN_INLIERS + 1) / 15), so 8 inliers give 0.06, 20 give 0.58, 40 give
    0.89 and 60 give 0.97. It saturates smoothly rather than capping, so a clear copy (dozens of
    inliers) still ranks above a borderline one, and the few inliers that unrelated frames get
    by chance score nothing."""
    if inliers < MIN_INLIERS:
        return 0.0
    return 1.0 - math.exp(-(inliers - MIN_INLIERS + 1) / _INLIER_SCALE)


@dataclass(frozen=True)
class Keypoints:
    """ORB keypoints of one frame: positions float32[n, 2] as (x, y) pixels and descriptors
    uint8[n, 32]; `mirror` holds those of the frame mirrored left to right, when computed."""

    points: np.ndarray
    descriptors: np.ndarray
    mirror: "Keypoints | None" = None

    def __post_init__(self) -> None:
        n = len(self.points)
        if self.points.shape != (n, 2) or self.descriptors.shape != (n, 32):
            raise ValueError(f"need points [n, 2] and descriptors [n, 32], got "
                             f"{list(self.points.shape)} and {list(self.descriptors.shape)}")

    def __len__(self) -> int:
        return len(self.points)


def keypoints(image: np.ndarray, mirror: bool = False) -> Keypoints:
    """ORB keypoints of a uint8[H, W, 3] RGB or uint8[H, W] grey frame, and of its mirror image
    when `mirror` (what `verify_pair` needs of a query frame to find mirrored copies).
    Computing them once lets a query frame be checked against many reference frames."""
    grey = _grey(image)
    found = _detect(grey)
    if not mirror:
        return found
    return Keypoints(found.points, found.descriptors, _detect(np.ascontiguousarray(grey[:, ::-1])))


def _grey(image: np.ndarray) -> np.ndarray:
    import cv2

    shape = list(image.shape)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or min(shape[:2]) < 8:
        raise ValueError("a frame must be uint8[H, W, 3] or uint8[H, W] with sides of at least "
                         f"8 pixels, got {image.dtype}{shape}")
    if image.ndim == 2:
        return image
    if image.shape[2] != 3:
        raise ValueError(f"a colour frame must have 3 channels, got {image.dtype}{shape}")
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _detect(grey: np.ndarray) -> Keypoints:
    import cv2

    orb = cv2.ORB.create(nfeatures=_N_FEATURES, fastThreshold=_FAST_THRESHOLD,
                         edgeThreshold=_PATCH_PX, patchSize=_PATCH_PX)
    found, descriptors = orb.detectAndCompute(grey, None)
    if descriptors is None or not found:
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    return Keypoints(np.array([k.pt for k in found], np.float32), descriptors)


def verify_pair(query: np.ndarray | Keypoints, ref: np.ndarray | Keypoints) -> PairCheck:
    """Check whether the query frame contains a (possibly scaled, cropped, shifted, rotated,
    mirrored or inset) copy of the reference frame.

    Each is a uint8[H, W, 3] RGB or uint8[H, W] grey frame of any size (the pipeline decodes
    ~288 px short side), or its `keypoints` computed beforehand; mirrored copies are found when
    the query is a frame or keypoints computed with `mirror=True`. Cost at 288 x 512: three ORB
    extractions of ~7 ms (none for keypoints given) and two matchings of ~10-15 ms.
    """
    query_kp = query if isinstance(query, Keypoints) else keypoints(query, mirror=True)
    ref_kp = ref if isinstance(ref, Keypoints) else keypoints(ref)
    matches, inliers = _fit(query_kp, ref_kp)
    best = PairCheck(matches, inliers, False, inlier_score(inliers))
    if query_kp.mirror is not None:
        matches, inliers = _fit(query_kp.mirror, ref_kp)
        if inliers > best.inliers:
            best = PairCheck(matches, inliers, True, inlier_score(inliers))
    return best


def _fit(query: Keypoints, ref: Keypoints) -> tuple[int, int]:
    """(matches passing the ratio test, RANSAC inliers of a non-degenerate similarity)."""
    import cv2

    if len(query) < 3 or len(ref) < 3:
        return 0, 0
    dist, nearest = cv2.batchDistance(query.descriptors, ref.descriptors, dtype=cv2.CV_32S,
                                      normType=cv2.NORM_HAMMING, K=2)
    q = np.flatnonzero(dist[:, 0] < _RATIO * dist[:, 1])
    r = nearest[q, 0]
    # One-to-one: of the query keypoints matching the same reference keypoint, keep the closest.
    order = np.lexsort((dist[q, 0], r))
    first = np.ones(len(order), bool)
    first[1:] = r[order][1:] != r[order][:-1]
    q, r = q[order][first], r[order][first]
    if len(q) < 3:
        return len(q), 0
    transform, mask = cv2.estimateAffinePartial2D(
        query.points[q], ref.points[r], method=cv2.RANSAC, ransacReprojThreshold=_RANSAC_PX,
        maxIters=2000, confidence=0.995,
    )
    if transform is None or mask is None:
        return len(q), 0
    scale = math.hypot(transform[0, 0], transform[1, 0])
    if not _MIN_SCALE <= scale <= _MAX_SCALE:
        return len(q), 0
    return len(q), int(mask.sum())


def verify_candidate(
    query_frames: Sequence[np.ndarray | Keypoints | None],
    ref_frames: Sequence[np.ndarray | Keypoints | None],
    pooling: Pooling = Pooling.MEAN,
) -> float:
    """A candidate reference's geometric score in [0, 1] from aligned frame pairs (query_frames[i]
    is thought to copy ref_frames[i]; frames or their `keypoints`): the mean (or max) of
    `verify_pair` scores over the pairs where both frames exist; 0 when there is none. The mean
    rewards a copy seen in every pair and is the default; the max forgives pairs whose times
    were aligned wrongly but lets one lucky pair decide."""
    if len(query_frames) != len(ref_frames):
        raise ValueError(f"got {len(query_frames)} query frames but {len(ref_frames)} reference "
                         "frames; they must be aligned pairs")
    pooling = Pooling(pooling)
    scores = [verify_pair(q, r).score for q, r in zip(query_frames, ref_frames, strict=True)
              if q is not None and r is not None]
    if not scores:
        return 0.0
    return float(max(scores) if pooling is Pooling.MAX else np.mean(scores))
