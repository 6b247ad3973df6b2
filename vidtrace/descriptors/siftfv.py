"""The `sift-fv` and `sift-fv-bin` backends (stage 2): Fisher vectors of RootSIFT keypoints.

A hand-crafted, trainable alternative to the learned descriptors. Per frame: OpenCV SIFT on the
grey frame (at most 300 keypoints), RootSIFT (L1-normalise, square root), PCA to D = 32 dims,
then the improved Fisher vector of Perronnin et al. (2010) over a K = 16 diagonal-covariance
GMM: gradients with respect to the means and the variances, 2 * K * D = 1024 dims, power
normalisation (sign * sqrt|x|) and L2 normalisation. Last, the mean Fisher vector of the training
frames is subtracted and the result L2-normalised again, so unrelated frames score about 0 by
inner product and the bits of the binary variant are balanced.

The PCA is not whitened: a diagonal GMM fits one variance per dimension and component, and the
Fisher vector divides by it, so whitening would only change the k-means initialisation. The
variance floor is therefore relative, a fraction of each dimension's overall variance.

`fit` learns the PCA, the GMM (faiss k-means initialisation, then EM in numpy) and the mean
Fisher vector from reference frames, deterministically for a seed; `state`/`load_state` move
these six float32 arrays, and `version` names their hash. `threads` is not used: OpenCV runs
SIFT on its own thread pool.

A frame without keypoints (a flat frame) is described by the zero vector in both variants,
which scores 0 against everything; the library's binary index neither holds nor searches it
(descriptors/base.py), so flat frames of unrelated videos do not match each other.
"""

import hashlib
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from vidtrace.descriptors.base import Descriptor, signs_from_bits
from vidtrace.errors import ConfigError
from vidtrace.settings import Metric

if TYPE_CHECKING:
    import cv2

N_KEYPOINTS = 300  # SIFT keypoints per frame, strongest first
PCA_DIM = 32  # D
N_COMPONENTS = 16  # K
FV_DIM = 2 * N_COMPONENTS * PCA_DIM
MAX_TRAIN_DESCRIPTORS = 100_000
MIN_POINTS_PER_COMPONENT = 20
MIN_TRAIN_DESCRIPTORS = MIN_POINTS_PER_COMPONENT * N_COMPONENTS
EM_ITERATIONS = 20
KMEANS_ITERATIONS = 20
# Each GMM variance is at least this fraction of its dimension's variance over all descriptors:
# repeated frames give repeated descriptors, onto which a component would otherwise collapse.
VARIANCE_FLOOR = 0.01

STATE_SHAPES: dict[str, tuple[int, ...]] = {
    "pca_mean": (128,),
    "pca_components": (PCA_DIM, 128),
    "gmm_weights": (N_COMPONENTS,),
    "gmm_means": (N_COMPONENTS, PCA_DIM),
    "gmm_variances": (N_COMPONENTS, PCA_DIM),
    "fv_mean": (FV_DIM,),
}


def root_sift(frame: np.ndarray, sift: "cv2.SIFT") -> np.ndarray:
    """uint8[H, W, 3] RGB frame -> float32[n, 128] RootSIFT descriptors (n <= N_KEYPOINTS)."""
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
    _, desc = sift.detectAndCompute(grey, None)
    if desc is None or len(desc) == 0:
        return np.zeros((0, 128), dtype=np.float32)
    desc = desc[:N_KEYPOINTS].astype(np.float32)
    desc /= np.maximum(desc.sum(axis=1, keepdims=True), 1e-12)
    return np.sqrt(desc)


def frame_descriptors(frames: np.ndarray) -> list[np.ndarray]:
    """uint8[T, H, W, 3] frames -> T float32[n_t, 128] RootSIFT arrays."""
    import cv2

    sift = cv2.SIFT.create(nfeatures=N_KEYPOINTS)
    return [root_sift(frame, sift) for frame in frames]


def fit_pca(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32[N, 128] -> (mean float64[128], components float64[PCA_DIM, 128]), unwhitened,
    each component's largest-magnitude entry made positive so the signs are reproducible."""
    mean = x.mean(axis=0, dtype=np.float64)
    centred = x.astype(np.float64) - mean
    values, vectors = np.linalg.eigh(centred.T @ centred / len(x))
    components = vectors[:, np.argsort(values)[::-1][:PCA_DIM]].T
    peak = components[np.arange(PCA_DIM), np.abs(components).argmax(axis=1)]
    return mean, components * np.sign(peak)[:, None]


# The GMM's products use einsum, not matmul: numpy's BLAS spreads each product over every core,
# and on a busy machine each of those calls can stall for tens of milliseconds: over the EM's
# hundreds of calls that made the GMM fit 20-70x slower on a loaded 2-core machine. einsum stays
# on the calling thread (about 2x slower than BLAS on an idle machine).
Gmm = tuple[np.ndarray, np.ndarray, np.ndarray]  # weights[K], means[K, D], variances[K, D]


def moments(x: np.ndarray) -> np.ndarray:
    """float[N, D] points -> float64[N, 2D] (x, x * x), what the GMM's sums are made of."""
    x = x.astype(np.float64)
    return np.concatenate([x, x * x], axis=1)


def posteriors(m: np.ndarray, gmm: Gmm) -> np.ndarray:
    """float64[N, 2D] `moments` -> float64[N, K] component posteriors (rows sum to 1)."""
    weights, means, variances = (a.astype(np.float64) for a in gmm)
    inv = 1.0 / variances
    quad = np.einsum("nd,kd->nk", m, np.concatenate([-2.0 * means * inv, inv], axis=1))
    logp = np.log(weights) - 0.5 * (np.sum(np.log(variances) + means * means * inv, axis=1)
                                     + quad)
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


def fit_gmm(x: np.ndarray, seed: int) -> Gmm:
    """float32[N, D] points -> (weights[K], means[K, D], variances[K, D]) float64, by faiss
    k-means initialisation then EM_ITERATIONS EM steps with floored variances."""
    import faiss

    m = moments(x)
    d = x.shape[1]
    mean = m[:, :d].mean(axis=0)
    var = m[:, d:].mean(axis=0) - mean * mean
    floor = VARIANCE_FLOOR * var
    kmeans = faiss.Kmeans(d, N_COMPONENTS, niter=KMEANS_ITERATIONS, seed=seed, verbose=False,
                          min_points_per_centroid=MIN_POINTS_PER_COMPONENT)
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    kmeans.train(x32)
    _, labels = kmeans.index.search(x32, 1)
    fallback = (np.full(N_COMPONENTS, 1.0 / N_COMPONENTS), np.tile(mean, (N_COMPONENTS, 1)),
                np.tile(var, (N_COMPONENTS, 1)))
    gmm = _m_step(m, np.eye(N_COMPONENTS)[labels[:, 0]], floor, fallback)
    for _ in range(EM_ITERATIONS):
        gmm = _m_step(m, posteriors(m, gmm), floor, gmm)
    return gmm


def _m_step(m: np.ndarray, resp: np.ndarray, floor: np.ndarray, previous: Gmm) -> Gmm:
    """EM's M step from float64[N, 2D] `moments` and [N, K] responsibilities; a component left
    without mass keeps its `previous` parameters."""
    d = m.shape[1] // 2
    mass = resp.sum(axis=0)
    sums = np.einsum("nk,nd->kd", resp, m) / np.maximum(mass, 1e-12)[:, None]
    means = sums[:, :d]
    variances = np.maximum(sums[:, d:] - means * means, floor)
    weights = np.maximum(mass / len(m), 1e-6)
    empty = mass < 1e-6
    weights = np.where(empty, previous[0], weights)
    means = np.where(empty[:, None], previous[1], means)
    variances = np.where(empty[:, None], np.maximum(previous[2], floor), variances)
    return weights / weights.sum(), means, variances


def fisher_vector(y: np.ndarray, gmm: Gmm) -> np.ndarray:
    """float[n, D] PCA-projected descriptors of one frame (n >= 1) -> float64[2 K D] improved
    Fisher vector (mean gradients, then variance gradients), power- and L2-normalised."""
    weights, means, variances = (a.astype(np.float64) for a in gmm)
    gamma = posteriors(moments(y), gmm)
    diff = (y.astype(np.float64)[:, None, :] - means) / np.sqrt(variances)  # [n, K, D]
    w = weights[:, None]
    g_mu = np.einsum("nk,nkd->kd", gamma, diff) / (len(y) * np.sqrt(w))
    g_var = np.einsum("nk,nkd->kd", gamma, diff * diff - 1.0) / (len(y) * np.sqrt(2.0 * w))
    fv = np.concatenate([g_mu.ravel(), g_var.ravel()])
    fv = np.sign(fv) * np.sqrt(np.abs(fv))
    return fv / max(float(np.linalg.norm(fv)), 1e-12)


class SiftFVDescriptor(Descriptor):
    """RootSIFT Fisher vectors, 1024-d float, centred and L2-normalised, inner product."""

    name: ClassVar[str] = "sift-fv"
    trainable: ClassVar[bool] = True

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self.dim = FV_DIM
        self.metric = Metric.INNER_PRODUCT
        self._state: dict[str, np.ndarray] | None = None
        self.version = f"{self.name}/1/untrained"

    @property
    def ready(self) -> bool:
        return self._state is not None

    def fit(self, frames: np.ndarray, seed: int = 0) -> None:
        """Learn PCA, GMM and mean Fisher vector from uint8[T, H, W, 3] reference frames."""
        _check_frames(frames)
        per_frame = frame_descriptors(frames)
        x = np.concatenate([np.zeros((0, 128), np.float32), *per_frame])
        if len(x) < MIN_TRAIN_DESCRIPTORS:
            raise ConfigError(
                f"descriptor {self.name} needs at least {MIN_TRAIN_DESCRIPTORS} SIFT keypoints to "
                f"learn its vocabulary, found {len(x)} in {len(frames)} frames; fit it on more "
                "(or more textured) reference frames")
        rng = np.random.default_rng(seed)
        if len(x) > MAX_TRAIN_DESCRIPTORS:
            x = x[np.sort(rng.choice(len(x), MAX_TRAIN_DESCRIPTORS, replace=False))]
        pca_mean, components = fit_pca(x)
        y = ((x - pca_mean) @ components.T).astype(np.float32)
        weights, means, variances = fit_gmm(y, seed)
        learned = {"pca_mean": pca_mean, "pca_components": components, "gmm_weights": weights,
                   "gmm_means": means, "gmm_variances": variances}
        # Rounded to float32 first, so the mean is that of the vectors `describe` will centre.
        state = {k: v.astype(np.float32) for k, v in learned.items()}
        fvs = _raw_fvs(per_frame, state)
        state["fv_mean"] = fvs[fvs.any(axis=1)].mean(axis=0).astype(np.float32)
        self._set_state(state)

    def state(self) -> dict[str, np.ndarray]:
        if self._state is None:
            return {}
        return {k: v.copy() for k, v in self._state.items()}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        if set(arrays) != set(STATE_SHAPES):
            raise ValueError(f"descriptor {self.name} state needs arrays {sorted(STATE_SHAPES)}, "
                             f"got {sorted(arrays)}")
        for key, shape in STATE_SHAPES.items():
            if np.shape(arrays[key]) != shape:
                raise ValueError(f"descriptor {self.name} state array {key} must have shape "
                                 f"{shape}, got {np.shape(arrays[key])}")
        state = {k: np.asarray(arrays[k], dtype=np.float32) for k in STATE_SHAPES}
        if not all(np.isfinite(v).all() for v in state.values()):
            raise ValueError(f"descriptor {self.name} state holds non-finite values")
        if (state["gmm_weights"] <= 0).any() or (state["gmm_variances"] <= 0).any():
            raise ValueError(f"descriptor {self.name} state has non-positive GMM weights or "
                             "variances")
        self._set_state(state)

    def describe(self, frames: np.ndarray) -> np.ndarray:
        """uint8[T, H, W, 3] RGB frames -> float32[T, 1024] centred unit vectors (zero rows for
        frames without keypoints)."""
        fvs = self._centred(frames)
        return fvs.astype(np.float32)

    def _centred(self, frames: np.ndarray) -> np.ndarray:
        """float64[T, FV_DIM] centred, L2-normalised Fisher vectors (zero rows: no keypoints)."""
        if self._state is None:
            raise ConfigError(f"descriptor {self.name} needs its vocabulary: fit it on reference "
                              "frames (or load a library's state) before describing")
        _check_frames(frames)
        fvs = _raw_fvs(frame_descriptors(frames), self._state)
        centred = np.where(fvs.any(axis=1)[:, None], fvs - self._state["fv_mean"], 0.0)
        norms = np.linalg.norm(centred, axis=1, keepdims=True)
        return centred / np.maximum(norms, 1e-12)

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._state = state
        self.version = f"{self.name}/1/{state_digest(state)}"


class SiftFVBinaryDescriptor(SiftFVDescriptor):
    """The sign bits of `sift-fv`, 1024 bits as +-1/sqrt(1024) components, Hamming."""

    name: ClassVar[str] = "sift-fv-bin"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self.metric = Metric.HAMMING

    def describe(self, frames: np.ndarray) -> np.ndarray:
        """uint8[T, H, W, 3] RGB frames -> float32[T, 1024] of +-1/32 (bit = centred Fisher
        vector component > 0; the zero vector for frames without keypoints)."""
        fvs = self._centred(frames)
        out = signs_from_bits(fvs > 0)
        out[~fvs.any(axis=1)] = 0.0
        return out


def _raw_fvs(per_frame: list[np.ndarray], state: dict[str, np.ndarray]) -> np.ndarray:
    """Per-frame float32[n_t, 128] RootSIFT -> float64[T, FV_DIM] uncentred Fisher vectors (zero
    rows for frames without descriptors)."""
    out = np.zeros((len(per_frame), FV_DIM))
    gmm = (state["gmm_weights"], state["gmm_means"], state["gmm_variances"])
    # One projection for the whole batch: a BLAS call per frame stalls on a busy machine.
    x = np.concatenate([np.zeros((0, 128), np.float32), *per_frame])
    y = (x - state["pca_mean"]) @ state["pca_components"].T
    for i, part in enumerate(np.split(y, np.cumsum([len(d) for d in per_frame])[:-1])):
        if len(part):
            out[i] = fisher_vector(part, gmm)
    return out


def state_digest(state: dict[str, np.ndarray]) -> str:
    """12 hex digits of sha256 over the state arrays' names, shapes and float32 bytes."""
    h = hashlib.sha256()
    for key in sorted(state):
        array = np.ascontiguousarray(state[key], dtype=np.float32)
        h.update(f"{key}:{array.shape};".encode())
        h.update(array.tobytes())
    return h.hexdigest()[:12]


def _check_frames(frames: np.ndarray) -> None:
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"sift-fv needs uint8[T, H, W, 3] frames, got {frames.dtype}"
                         f"{list(frames.shape)}")
