"""The disentangled head of seed 000 as plain numpy arrays, and its file format (descriptors
stage: inference applies it; learn/ trains it).

Inference needs numpy only: this module never imports torch. `HeadModel` (model.py) trains the
head and exports it here with `to_head`; the `learned:` descriptor backend applies it on top of a
backbone's vectors (descriptors/learned.py).

The head (docs/learned.md) maps a backbone vector x (float32[in]) through K linear branches
sub_i(x) (the disentangled sub-features, each float32[dim]), a linear `down`(x) and, with the
auxiliary feature on, a linear `pred` over the concatenated sub-features:

    aux on:   y = normalise(pred(concat(sub_1(x) .. sub_K(x))) + down(x))
    aux off:  y = normalise(mean_i sub_i(x) + down(x))

Every map is linear, so y is normalise(W x + b) for one folded W (float32[dim, in]) and b;
`apply` folds once and runs one product per batch. A zero input row (a frame without content)
stays a zero output row.

File format: one `.npz` of flat arrays (`sub_weight` [K, dim, in], `sub_bias` [K, dim],
`down_weight` [dim, in], `down_bias` [dim], with aux `pred_weight` [dim, K * dim] and
`pred_bias` [dim]) plus `config`, a 0-d string array holding the JSON of the format name,
format version and `HeadConfig`. The zip entries carry a fixed date, so the same head always
writes the same bytes, and `digest` (sha256 of those bytes) names the weights.
"""

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.errors import ConfigError
from vidtrace.fsutil import write_atomic

FORMAT_NAME = "vidtrace-head"
FORMAT_VERSION = 1
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_EPS = 1e-12


@dataclass(frozen=True)
class HeadConfig:
    """The head's shape: backbone vectors of `input_dim` -> `k` sub-features of `dim` -> one
    output of `dim`; `aux`: whether the auxiliary `pred` feature is used. `backbone` names the
    descriptor backend whose vectors the head takes (and `backbone_version` its version when
    trained; "" = not recorded)."""

    input_dim: int
    k: int = 6
    dim: int = 256
    aux: bool = True
    backbone: str = "sscd"
    backbone_version: str = ""

    def __post_init__(self) -> None:
        for name in ("input_dim", "k", "dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"head setting {name} must be a positive integer, got "
                                  f"{value!r}")
        if not isinstance(self.aux, bool):
            raise ConfigError(f"head setting aux must be true or false, got {self.aux!r}")
        if not self.backbone or "learned:" in self.backbone:
            raise ConfigError(f"head backbone must name a descriptor backend such as sscd, "
                              f"got {self.backbone!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "HeadConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in known})


def _array_shapes(c: HeadConfig) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "sub_weight": (c.k, c.dim, c.input_dim), "sub_bias": (c.k, c.dim),
        "down_weight": (c.dim, c.input_dim), "down_bias": (c.dim,),
    }
    if c.aux:
        shapes |= {"pred_weight": (c.dim, c.k * c.dim), "pred_bias": (c.dim,)}
    return shapes


class Head:
    """The trained head's weights (float32 numpy arrays named as in the file format)."""

    def __init__(self, config: HeadConfig, arrays: dict[str, np.ndarray]) -> None:
        shapes = _array_shapes(config)
        if set(arrays) != set(shapes):
            raise ValueError(f"head arrays must be {sorted(shapes)}, got {sorted(arrays)}")
        for name, shape in shapes.items():
            if tuple(arrays[name].shape) != shape:
                raise ValueError(f"head array {name} must have shape {list(shape)}, got "
                                 f"{list(arrays[name].shape)}")
        self.config = config
        self.arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()}
        self._folded: tuple[np.ndarray, np.ndarray] | None = None
        self._digest: str | None = None

    @property
    def dim(self) -> int:
        return self.config.dim

    def folded(self) -> tuple[np.ndarray, np.ndarray]:
        """(W float32[dim, in], b float32[dim]) with apply(x) = normalise(x W^T + b)."""
        if self._folded is None:
            a = {k: v.astype(np.float64) for k, v in self.arrays.items()}
            k, dim, n_in = a["sub_weight"].shape
            if self.config.aux:
                w = a["down_weight"] + a["pred_weight"] @ a["sub_weight"].reshape(k * dim, n_in)
                b = a["down_bias"] + a["pred_weight"] @ a["sub_bias"].reshape(-1) + a["pred_bias"]
            else:
                w = a["down_weight"] + a["sub_weight"].mean(axis=0)
                b = a["down_bias"] + a["sub_bias"].mean(axis=0)
            self._folded = (w.astype(np.float32), b.astype(np.float32))
        return self._folded

    def as_folded(self) -> "Head":
        """The same map stored folded: K = 1, no aux, `down` = W and `sub` zero, so
        normalise(mean sub + down) = normalise(W x + b). A quarter to a twelfth of the file
        (the zero branch compresses away); the outputs equal `apply`'s."""
        w, b = self.folded()
        c = self.config
        config = HeadConfig(c.input_dim, 1, c.dim, False, c.backbone, c.backbone_version)
        return Head(config, {"sub_weight": np.zeros((1, c.dim, c.input_dim), np.float32),
                             "sub_bias": np.zeros((1, c.dim), np.float32),
                             "down_weight": w, "down_bias": b})

    def apply(self, x: np.ndarray) -> np.ndarray:
        """float32[T, input_dim] backbone vectors -> float32[T, dim] L2-normalised vectors (zero
        rows stay zero)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.config.input_dim:
            raise ValueError(f"the head takes float32[T, {self.config.input_dim}] vectors, got "
                             f"{list(x.shape)}")
        w, b = self.folded()
        y = x @ w.T + b
        norms = np.linalg.norm(y, axis=1, keepdims=True)
        y /= np.maximum(norms, _EPS)
        y[~x.any(axis=1)] = 0.0
        return y

    def to_bytes(self) -> bytes:
        """The file's bytes (deterministic for given weights and config)."""
        doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **self.config.to_json()}
        entries = {"config": np.array(json.dumps(doc, sort_keys=True))} | self.arrays
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name, array in entries.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                item = io.BytesIO()
                np.lib.format.write_array(item, array, allow_pickle=False)
                z.writestr(info, item.getvalue())
        return buffer.getvalue()

    @property
    def digest(self) -> str:
        """First 12 hex digits of the sha256 of the file's bytes: names the weights."""
        if self._digest is None:
            self._digest = hashlib.sha256(self.to_bytes()).hexdigest()[:12]
        return self._digest

    def save(self, path: str | Path) -> Path:
        """Write the head to `path` (".npz" appended when missing), atomically; returns it."""
        out = head_path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, self.to_bytes())
        return out

    @classmethod
    def load(cls, path: str | Path) -> "Head":
        """The head saved at `path`; ConfigError naming the file and the fix when it is missing,
        damaged or not a head of this format."""
        p = head_path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such head file; train one with `vidtrace train FOLDER "
                              f"--out {p}` or check the path")
        data = p.read_bytes()
        retrain = "train it again with `vidtrace train` or copy the file again"
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            raise ConfigError(f"{p}: not a readable head file ({e}); {retrain}") from e
        try:
            doc = json.loads(str(arrays.pop("config").item()))
        except (KeyError, ValueError) as e:
            raise ConfigError(f"{p}: not a vidtrace head (no readable config); {retrain}") from e
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise ConfigError(f"{p}: not a vidtrace head file; {retrain}")
        if doc.get("version") != FORMAT_VERSION:
            raise ConfigError(f"{p}: head format version {doc.get('version')} is not supported by "
                              f"this vidtrace (it reads version {FORMAT_VERSION}); {retrain}")
        try:
            head = cls(HeadConfig.from_json(doc), arrays)
        except (TypeError, ValueError, ConfigError) as e:
            raise ConfigError(f"{p}: damaged head ({e}); {retrain}") from e
        head._digest = hashlib.sha256(data).hexdigest()[:12]
        return head


def head_path(path: str | Path) -> Path:
    """`path` with the ".npz" suffix a head file has (added when missing)."""
    p = Path(path)
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")
