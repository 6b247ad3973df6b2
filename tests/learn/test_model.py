"""The torch head and its loss: export to numpy, the KL terms, the negatives masked."""

import numpy as np
import pytest

from vidtrace.descriptors.head import HeadConfig
from vidtrace.errors import ConfigError

pytest.importorskip("torch")

# imported after the skip, so the module is skipped rather than failing without torch
import torch

from vidtrace.learn.model import (
    DMILoss,
    HeadModel,
    LossConfig,
    regulariser,
)


@pytest.mark.parametrize("aux", [True, False])
def test_numpy_export_matches_torch(aux: bool) -> None:
    torch.manual_seed(0)
    model = HeadModel(HeadConfig(48, k=3, dim=32, aux=aux))
    x = torch.randn(7, 48)
    x[3] = 0.0
    with torch.no_grad():
        expected = model(x).numpy()
    got = model.to_head().apply(x.numpy())
    assert np.abs(got - expected).max() < 1e-5
    assert not got[3].any() and not expected[3].any()


def test_kl_terms_are_true_kl_divergences() -> None:
    """MI and Dis from log-probabilities: checked against KL written out in numpy."""
    torch.manual_seed(1)
    model = HeadModel(HeadConfig(16, k=2, dim=8))
    parts = model.parts(torch.randn(5, 16))
    mi, dis = (t.detach() for t in regulariser(parts, LossConfig()))

    def p(t: torch.Tensor) -> np.ndarray:
        z = (t / t.norm(dim=1, keepdim=True)).detach().double().numpy() / 0.05
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(np.sum(a * np.log(a / b), axis=1)))

    assert parts.pred is not None
    s0, s1, down, pred = p(parts.subs[0]), p(parts.subs[1]), p(parts.down), p(parts.pred)
    assert float(mi) == pytest.approx(kl(s0, down) + kl(s1, down) - kl(s0, pred) - kl(s1, pred),
                                      rel=1e-4)
    assert float(dis) == pytest.approx(kl(s0, s1) + kl(s1, s0), rel=1e-4)
    assert kl(s0, s1) > 0
    off = regulariser(parts, LossConfig(mi=False, dis=False))
    assert float(off[0]) == 0.0 and float(off[1]) == 0.0


def test_same_moment_negatives_are_masked_and_the_bank_fills() -> None:
    """Pairs 0 and 1 show one video 0.4 s apart (the same moment): neither is the other's
    negative. Pair 2 is another video. Checked against cross-entropy written out in numpy."""
    torch.manual_seed(2)
    model = HeadModel(HeadConfig(16, k=1, dim=8, aux=False))
    anchors, copies = torch.randn(3, 16), torch.randn(3, 16)
    videos = torch.tensor([0, 0, 1])
    times = torch.tensor([5.0, 5.4, 5.0], dtype=torch.float64)
    config = LossConfig(mi=False, dis=False, temperature=1.0, bank_size=4)
    loss = DMILoss(config, ["out"])
    with torch.no_grad():
        a, c = model.parts(anchors), model.parts(copies)
        got = float(loss(a, c, videos, times)["nce"])
        unmasked = float(DMILoss(config, ["out"])(a, c, torch.tensor([0, 2, 1]), times)["nce"])
    sims = c.out.numpy() @ a.out.numpy().T  # copy i (row) against anchor j
    allowed = ~np.array([[False, True, False], [True, False, False], [False, False, False]])

    def ce(s: np.ndarray) -> float:
        return float(np.mean([np.log(np.exp(s[i][allowed[i]]).sum()) - s[i, i]
                              for i in range(3)]))

    assert got == pytest.approx((ce(sims) + ce(sims.T)) / 2, rel=1e-5)
    assert abs(got - unmasked) > 1e-3
    bank = loss.banks["out"]
    assert bank.vectors is not None and bank.vectors.shape == (4, 8)  # 6 pushed, 4 kept


def test_distillation_term_and_identity_start() -> None:
    """The identity start is the backbone exactly; distillation alone is the mean 1 - cos of
    both sides' outputs to the teacher's vectors, and zero when they equal them."""
    torch.manual_seed(3)
    config = HeadConfig(16, k=2, dim=16)
    model = HeadModel(config, identity_start=True)
    x = torch.nn.functional.normalize(torch.randn(6, 16), dim=1)
    with torch.no_grad():
        assert torch.allclose(model(x), x, atol=1e-6)
    y = torch.nn.functional.normalize(torch.randn(6, 16), dim=1)
    loss = DMILoss(LossConfig(dmi=False, distill=2.0), ["out"])
    videos, times = torch.arange(6), torch.zeros(6)
    with torch.no_grad():
        same = loss(model.parts(x), model.parts(x), videos, times, x)
        other = loss(model.parts(x), model.parts(y), videos, times, x)
    assert float(same["loss"]) == pytest.approx(0.0, abs=1e-5) and float(same["nce"]) == 0.0
    expected = 2.0 * (1 - (y * x).sum(dim=1)).mean()
    assert float(other["loss"]) == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(ConfigError, match="teacher vectors of the head's shape"):
        loss(model.parts(x), model.parts(y), videos, times, None)
    with pytest.raises(ConfigError, match="above 0 when the DMI terms are off"):
        LossConfig(dmi=False)
    with pytest.raises(ConfigError, match="identity start needs"):
        HeadModel(HeadConfig(16, k=2, dim=8), identity_start=True)
