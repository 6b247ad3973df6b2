"""Stage 7 (learn): the disentangled head in torch, and its loss (seed 000, docs/learned.md).

Training only: importing this module needs torch (the `[train]` extra). The trained model is
exported with `HeadModel.to_head` to numpy arrays (head.py), which is all inference uses.

Loss, per batch of (anchor, copy) backbone vectors, following the authors' released code for
their SVD setting:
- symmetric InfoNCE (temperature NCE_TEMPERATURE) between anchor and copy, the other pairs of
  the batch and a FIFO bank of BANK_SIZE earlier (detached) vectors being the negatives, applied
  to each sub-feature, to `down`, to the concatenated sub-features and to the output;
- plus REG_WEIGHT * (MI_WEIGHT * MI - DIS_WEIGHT * Dis) for the anchors and again for the
  copies, with p(f) = softmax(normalise(f) / KL_TEMPERATURE) over the feature dimensions:
  MI = sum_i KL(p(sub_i) || p(down)) - sum_i KL(p(sub_i) || p(pred)), sub_i detached;
  Dis = sum over ordered pairs i != j of KL(p(sub_i) || p(sub_j)).
The authors pass probabilities where `kl_div` expects log-probabilities; here the KL is computed
as intended, from log_softmax (docs/learned.md lists every departure).

Distillation (issue 20, not in the paper): with a weight `LossConfig.distill` > 0 and teacher
vectors t of the ORIGINAL frames (sscd's, for a head on sscd-fast), the loss adds
distill x (mean(1 - cos(out(anchor), t)) + mean(1 - cos(out(copy), t))): the head's output of
both the original and the edited frame is pulled toward the teacher's view of the original.
`LossConfig.dmi` False leaves the distillation alone (the ablation "distillation only").

A negative that shows the same moment as the positive (same video, within SAME_MOMENT_S seconds:
a neighbouring sample, an overlapping segment, the same pair seen in an earlier step and now in
the bank) is masked out rather than pushed away.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidtrace.descriptors.head import Head, HeadConfig
from vidtrace.errors import ConfigError

NCE_TEMPERATURE = 0.07
BANK_SIZE = 2048
KL_TEMPERATURE = 0.05
MI_WEIGHT = 0.7
DIS_WEIGHT = 0.1
REG_WEIGHT = 0.5
SAME_MOMENT_S = 1.0


@dataclass(frozen=True)
class LossConfig:
    """Ablation switches of the loss (the head's own switches, k and aux, are in HeadConfig):
    `mi` the mutual-information term, `dis` the disentanglement term."""

    mi: bool = True
    dis: bool = True
    temperature: float = NCE_TEMPERATURE
    bank_size: int = BANK_SIZE
    distill: float = 0.0
    dmi: bool = True

    def __post_init__(self) -> None:
        if not self.distill >= 0 or (not self.dmi and self.distill == 0):
            raise ConfigError("loss: the distillation weight must be at least 0, and above 0 "
                              "when the DMI terms are off")


@dataclass
class HeadParts:
    """One forward pass: raw sub-features ([B, dim] each), down, pred (None without aux) and
    the L2-normalised output [B, dim]."""

    subs: list[torch.Tensor]
    down: torch.Tensor
    pred: torch.Tensor | None
    out: torch.Tensor

    def views(self) -> dict[str, torch.Tensor]:
        """The features InfoNCE is applied to, L2-normalised, by name."""
        named = {f"sub{i}": F.normalize(s, dim=1) for i, s in enumerate(self.subs)}
        named["down"] = F.normalize(self.down, dim=1)
        named["concat"] = F.normalize(torch.cat(self.subs, dim=1), dim=1)
        named["out"] = self.out
        return named


class HeadModel(nn.Module):
    """K branches Linear(in -> dim), `down` Linear(in -> dim), with aux `pred`
    Linear(K * dim -> dim); output normalise(pred + down) (aux off: normalise(mean sub + down)).
    `down` starts as a random orthogonal projection, so the untrained head roughly keeps the
    backbone's similarities; with `identity_start` (dim = in, aux on) `down` starts as the
    identity and `pred` as zero, so the untrained head IS the backbone."""

    def __init__(self, config: HeadConfig, identity_start: bool = False) -> None:
        super().__init__()
        self.config = config
        self.subs = nn.ModuleList(nn.Linear(config.input_dim, config.dim)
                                  for _ in range(config.k))
        self.down = nn.Linear(config.input_dim, config.dim)
        nn.init.orthogonal_(self.down.weight)
        nn.init.zeros_(self.down.bias)
        self.pred = nn.Linear(config.k * config.dim, config.dim) if config.aux else None
        if identity_start:
            if config.dim != config.input_dim or self.pred is None:
                raise ConfigError(f"an identity start needs the auxiliary feature and dim = "
                                  f"the backbone's {config.input_dim}, got dim {config.dim}")
            with torch.no_grad():
                self.down.weight.copy_(torch.eye(config.dim))
                nn.init.zeros_(self.pred.weight)
                nn.init.zeros_(self.pred.bias)

    def parts(self, x: torch.Tensor) -> HeadParts:
        subs = [branch(x) for branch in self.subs]
        down = self.down(x)
        pred = self.pred(torch.cat(subs, dim=1)) if self.pred is not None else None
        mixed = pred if pred is not None else torch.stack(subs).mean(dim=0)
        out = F.normalize(mixed + down, dim=1) * x.ne(0).any(dim=1, keepdim=True)
        return HeadParts(subs, down, pred, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """float32[B, in] -> float32[B, dim] L2-normalised (zero rows stay zero)."""
        return self.parts(x).out

    def to_head(self) -> Head:
        """The weights as a numpy `Head` (float32)."""

        def np32(t: torch.Tensor) -> np.ndarray:
            return t.detach().to("cpu", torch.float32).numpy().copy()

        branches = [cast(nn.Linear, b) for b in self.subs]
        arrays = {
            "sub_weight": np.stack([np32(b.weight) for b in branches]),
            "sub_bias": np.stack([np32(b.bias) for b in branches]),
            "down_weight": np32(self.down.weight), "down_bias": np32(self.down.bias),
        }
        if self.pred is not None:
            arrays |= {"pred_weight": np32(self.pred.weight), "pred_bias": np32(self.pred.bias)}
        return Head(self.config, arrays)


def _kl(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """KL(p || q) from log-probabilities over dim 1, averaged over the batch."""
    return F.kl_div(log_q, log_p, reduction="batchmean", log_target=True)


def _log_p(f: torch.Tensor) -> torch.Tensor:
    return F.log_softmax(F.normalize(f, dim=1) / KL_TEMPERATURE, dim=1)


def regulariser(parts: HeadParts, config: LossConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(MI, Dis) of one batch's features (see the module docstring); zero when switched off."""
    zero = parts.down.new_zeros(())
    mi, dis = zero, zero
    log_subs = [_log_p(s) for s in parts.subs]
    if config.mi:
        log_down = _log_p(parts.down)
        log_pred = _log_p(parts.pred) if parts.pred is not None else None
        for s in log_subs:
            mi = mi + _kl(s.detach(), log_down)
            if log_pred is not None:
                mi = mi - _kl(s.detach(), log_pred)
    if config.dis:
        for i, si in enumerate(log_subs):
            for j, sj in enumerate(log_subs):
                if i != j:
                    dis = dis + _kl(si, sj)
    return mi, dis


class _Bank:
    """FIFO of detached unit vectors [<= size, dim] with the video and time they show."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.vectors: torch.Tensor | None = None
        self.videos: torch.Tensor | None = None
        self.times: torch.Tensor | None = None

    def push(self, vectors: torch.Tensor, videos: torch.Tensor, times: torch.Tensor) -> None:
        if self.size <= 0:
            return
        if self.vectors is None or self.videos is None or self.times is None:
            self.vectors, self.videos, self.times = vectors.detach(), videos, times
        else:
            self.vectors = torch.cat([vectors.detach(), self.vectors])
            self.videos = torch.cat([videos, self.videos])
            self.times = torch.cat([times, self.times])
        self.vectors = self.vectors[: self.size]
        self.videos = self.videos[: self.size]
        self.times = self.times[: self.size]


class DMILoss:
    """The training loss with its negative banks (one per InfoNCE view); call once per step
    with both batches' `HeadParts` and the pairs' video codes and times (tensors [B])."""

    def __init__(self, config: LossConfig, view_names: Sequence[str]) -> None:
        self.config = config
        self.banks = {name: _Bank(config.bank_size) for name in view_names}

    def __call__(self, anchor: HeadParts, copy: HeadParts, videos: torch.Tensor,
                 times: torch.Tensor, targets: torch.Tensor | None = None
                 ) -> dict[str, torch.Tensor]:
        """{"loss", "nce", "mi", "dis", "distill"}; "loss" is what to minimise. `targets`:
        the teacher's unit vectors of the anchors' frames [B, dim], needed when distilling."""
        a_views, c_views = anchor.views(), copy.views()
        zero = anchor.down.new_zeros(())
        nce, mi, dis, distill = zero, zero, zero, zero
        if self.config.dmi:
            for name, bank in self.banks.items():
                nce = nce + self._infonce(a_views[name], c_views[name], bank, videos, times)
            mi_a, dis_a = regulariser(anchor, self.config)
            mi_c, dis_c = regulariser(copy, self.config)
            mi, dis = mi_a + mi_c, dis_a + dis_c
        loss = nce + REG_WEIGHT * (MI_WEIGHT * mi - DIS_WEIGHT * dis)
        if self.config.distill > 0:
            if targets is None or targets.shape != anchor.out.shape:
                raise ConfigError(f"distillation needs teacher vectors of the head's shape "
                                  f"{list(anchor.out.shape)}, got "
                                  f"{None if targets is None else list(targets.shape)}")
            distill = ((1 - (anchor.out * targets).sum(dim=1)).mean()
                       + (1 - (copy.out * targets).sum(dim=1)).mean())
            loss = loss + self.config.distill * distill
        for name, bank in self.banks.items():
            both = torch.cat([a_views[name], c_views[name]])
            bank.push(both, torch.cat([videos, videos]), torch.cat([times, times]))
        return {"loss": loss, "nce": nce.detach(), "mi": mi.detach(), "dis": dis.detach(),
                "distill": distill.detach()}

    def _infonce(self, a: torch.Tensor, c: torch.Tensor, bank: _Bank, videos: torch.Tensor,
                 times: torch.Tensor) -> torch.Tensor:
        """Symmetric InfoNCE of unit vectors a, c [B, d]: pair i is the positive of row i."""
        n = len(a)
        same = (videos[:, None] == videos[None, :]) & (
            (times[:, None] - times[None, :]).abs() < SAME_MOMENT_S)
        in_batch = same & ~torch.eye(n, dtype=torch.bool, device=a.device)
        masks = [in_batch]
        negatives = []
        if bank.vectors is not None and bank.videos is not None and bank.times is not None:
            negatives.append(bank.vectors)
            masks.append((videos[:, None] == bank.videos[None, :])
                         & ((times[:, None] - bank.times[None, :]).abs() < SAME_MOMENT_S))
        mask = torch.cat(masks, dim=1)
        target = torch.arange(n, device=a.device)
        total = a.new_zeros(())
        for q, k in ((c, a), (a, c)):
            logits = q @ torch.cat([k, *negatives]).T / self.config.temperature
            logits = logits.masked_fill(mask, float("-inf"))
            total = total + F.cross_entropy(logits, target)
        return total / 2
