"""`vidtrace bench --learned`: the learned head (docs/learned.md) against its plain backbone on
frame retrieval, over footage the head never saw, with the ablations of issue 6.

The source clips are split by `split_footage` (a third for training, the rest held out).
Training pairs come from the training part (PairSpec seed 0), evaluation pairs from the held-out
part (seed 1); both are cached as feature files in `cache`/learned/. Each configuration trains a
head on the training pairs (TrainConfig defaults but for the learning rate) and is scored by
`evaluate_frames` on the held-out pairs: every copy frame searches all anchor frames; mAP and
recall@1, overall and per edit kind. Needs torch (the [train] extra).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vidtrace.settings import DEFAULT_RUN

Progress = Callable[[str, int, int], None]

TRAIN_PAIRS = 480
HELD_OUT_PAIRS = 300
# (name, HeadConfig changes, LossConfig changes, learning rate)
CONFIGS: tuple[tuple[str, dict[str, Any], dict[str, Any], float], ...] = (
    ("head, lr 1e-4 (defaults)", {}, {}, 1e-4),
    ("head, lr 1e-3", {}, {}, 1e-3),
    ("no aux, lr 1e-3", {"aux": False}, {}, 1e-3),
    ("K 1, lr 1e-3", {"k": 1}, {}, 1e-3),
    ("no Dis, lr 1e-3", {}, {"dis": False}, 1e-3),
    ("no MI, lr 1e-3", {}, {"mi": False}, 1e-3),
    ("InfoNCE only, lr 1e-3", {}, {"mi": False, "dis": False}, 1e-3),
)


def _scores(e: Any) -> dict[str, Any]:
    return {"overall": asdict(e.overall),
            "per_kind": {k: asdict(v) for k, v in sorted(e.per_kind.items())}}


def run_learned(sources: Path, cache: Path, backbone: str = "sscd",
                configs: Sequence[tuple[str, dict[str, Any], dict[str, Any], float]] = CONFIGS,
                progress: Progress | None = None) -> dict[str, Any]:
    """The report (see the module docstring) as a JSON-serialisable dict."""
    from vidtrace.descriptors.head import HeadConfig
    from vidtrace.learn.model import LossConfig
    from vidtrace.learn.pairs import PairSet, PairSpec, make_pairs, split_footage
    from vidtrace.learn.train import TrainConfig, evaluate_frames, train_head
    from vidtrace.video.files import VIDEO_SUFFIXES, list_files

    train_files, held_files = split_footage(list_files(sources, VIDEO_SUFFIXES))
    folder = Path(cache) / "learned"
    folder.mkdir(parents=True, exist_ok=True)
    settings = DEFAULT_RUN.with_changes(threads=1)
    sets = {}
    for part, files, n, seed in (("train", train_files, TRAIN_PAIRS, 0),
                                 ("held_out", held_files, HELD_OUT_PAIRS, 1)):
        path = folder / f"{part}-{backbone}-{n}-seed{seed}.npz"
        if not path.is_file():
            make_pairs(files, PairSpec(n_pairs=n, seed=seed), backbone=backbone,
                       settings=settings).save(path)
        sets[part] = PairSet.load(path)
    train, held = sets["train"], sets["held_out"]

    def score(head: Any) -> dict[str, Any]:
        return _scores(evaluate_frames(head, held.anchors, held.copies, held.kinds,
                                       held.video_ids, held.times))

    rows = [{"name": f"plain {backbone}", "train_s": 0.0, **score(None)}]
    for i, (name, head_changes, loss_changes, lr) in enumerate(configs):
        start = time.perf_counter()
        head, history = train_head(train, HeadConfig(train.dim, backbone=train.backbone,
                                                     **head_changes),
                                   LossConfig(**loss_changes), TrainConfig(lr=lr))
        rows.append({"name": name, "head": asdict(head.config), "loss": loss_changes, "lr": lr,
                     "train_s": time.perf_counter() - start, "final_loss": history[-1],
                     **score(head)})
        if progress:
            progress("train", i + 1, len(configs))
    return {"backbone": backbone, "train_files": [p.name for p in train_files],
            "held_out_files": [p.name for p in held_files],
            "train_pairs": len(train), "held_out_pairs": len(held), "rows": rows}


def format_learned(doc: dict[str, Any]) -> str:
    lines = [f"{'configuration':<28} {'mAP':>6} {'R@1':>6} {'train s':>8}"]
    for r in doc["rows"]:
        o = r["overall"]
        lines.append(f"{r['name']:<28} {o['map']:>6.3f} {o['recall_at_1']:>6.3f} "
                     f"{r['train_s']:>8.1f}")
    kinds = sorted(doc["rows"][0]["per_kind"])
    lines += ["", f"{'edit kind':<12} " + " ".join(f"{r['name'][:14]:>14}" for r in
                                                 doc["rows"][:2])]
    for k in kinds:
        lines.append(f"{k:<12} " + " ".join(
            f"{r['per_kind'][k]['map']:>14.3f}" for r in doc["rows"][:2]))
    return "\n".join(lines) + "\n"
