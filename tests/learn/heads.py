"""Small heads for tests: random weights of a chosen shape."""

import numpy as np

from vidtrace.descriptors.head import Head, HeadConfig


def random_head(seed: int, input_dim: int = 512, k: int = 3, dim: int = 64, aux: bool = True,
                backbone: str = "sscd-fast") -> Head:
    """A head of random weights (normal, sd 0.05) of the given shape."""
    rng = np.random.default_rng(seed)
    shapes = {"sub_weight": (k, dim, input_dim), "sub_bias": (k, dim),
              "down_weight": (dim, input_dim), "down_bias": (dim,)}
    if aux:
        shapes |= {"pred_weight": (dim, k * dim), "pred_bias": (dim,)}
    arrays = {name: rng.normal(0, 0.05, shape).astype(np.float32)
              for name, shape in shapes.items()}
    return Head(HeadConfig(input_dim, k=k, dim=dim, aux=aux, backbone=backbone), arrays)
