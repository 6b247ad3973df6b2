"""`vidtrace train`: make training pairs from reference footage, train the head, save it.
Parsing only; the work is done by `vidtrace.learn`."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape

from vidtrace.cli.console import err, expand_paths, fail, out, stage_bars, user_errors
from vidtrace.video.files import PHOTO_SUFFIXES, list_files


class Part(StrEnum):
    """Which reference files pairs are made from."""

    TRAIN = "train"  # the training third of `split_footage`
    ALL = "all"


def train(
    folder: Annotated[Path, typer.Argument(help="Folder of reference videos to make pairs "
                                           "from.")],
    out_path: Annotated[Path, typer.Option("--out", help="Head file to write (.npz).")],
    photos: Annotated[Path | None, typer.Option(help="Folder of photos: pan/zoom footage made "
                      "from some of them joins the references.")] = None,
    part: Annotated[Part, typer.Option(help="train: only the training third of the files "
                    "(split by file name, `split_footage`), keeping the rest for evaluation; "
                    "all: every file.")] = Part.TRAIN,
    pairs: Annotated[int, typer.Option(help="Training pairs to make.")] = 600,
    epochs: Annotated[int, typer.Option(help="Passes over the pairs.")] = 20,
    k: Annotated[int, typer.Option("--k", help="Sub-features.")] = 6,
    dim: Annotated[int, typer.Option(help="Sub-feature and output dimension.")] = 256,
    no_aux: Annotated[bool, typer.Option("--no-aux", help="Without the auxiliary feature.")
                      ] = False,
    no_mi: Annotated[bool, typer.Option("--no-mi", help="Without the mutual-information "
                     "term.")] = False,
    no_dis: Annotated[bool, typer.Option("--no-dis", help="Without the disentanglement "
                      "term.")] = False,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-4,
    seed: Annotated[int, typer.Option(help="Seed of the pairs and the training.")] = 0,
    backbone: Annotated[str, typer.Option(help="Descriptor backend the head is trained on.")
                        ] = "sscd",
    teacher: Annotated[str | None, typer.Option(help="A second backend describing the same "
                       "frames, whose vectors of the original frames the head is distilled "
                       "toward (e.g. sscd for a head on sscd-fast; needs --dim of its size).")
                       ] = None,
    distill: Annotated[float, typer.Option(help="Weight of the distillation term (0: off; "
                       "needs --teacher).")] = 0.0,
    no_dmi: Annotated[bool, typer.Option("--no-dmi", help="Without the DMI terms (InfoNCE, "
                      "MI, Dis): distillation only.")] = False,
    identity_start: Annotated[bool, typer.Option("--identity-start", help="Start from the "
                              "backbone itself (needs --dim of the backbone's size).")] = False,
    hold_back: Annotated[float, typer.Option(help="Share of the segments held back from "
                         "training and scored (0: train on every pair).")] = 0.2,
    fold: Annotated[bool, typer.Option("--fold", help="Save the head folded into one matrix "
                    "(the same vectors, a smaller file).")] = False,
    cache: Annotated[Path | None, typer.Option(help="Feature cache (.npz): read when it "
                     "exists, else written after the pairs are made.")] = None,
) -> None:
    """Train the learned head (docs/learned.md) on pairs made from FOLDER by the transformation
    engine, save it, and score frame retrieval on held-back pairs."""
    from vidtrace.descriptors.head import Head, HeadConfig
    from vidtrace.learn.pairs import PairSet, PairSpec, make_pairs, split_footage
    from vidtrace.learn.train import TrainConfig, evaluate_frames, need_torch, train_head

    with user_errors():
        need_torch()
        from vidtrace.learn.model import LossConfig

        if cache is not None and cache.exists():
            data = PairSet.load(cache)
            if data.backbone != backbone:
                raise fail(f"{cache}: holds {data.backbone} vectors, not {backbone}; give "
                           "another --cache file or --backbone")
            if teacher and data.teacher != teacher:
                raise fail(f"{cache}: holds teacher vectors of {data.teacher or 'no teacher'}, "
                           f"not {teacher}; give another --cache file or --teacher")
        else:
            files = expand_paths([folder])
            if part is Part.TRAIN:
                files = split_footage(files)[0]
            if len(files) < 2:
                raise fail(f"{folder}: needs at least two video files in the {part} part")
            pictures = list_files(photos, PHOTO_SUFFIXES) if photos is not None else []
            with stage_bars() as tick:
                data = make_pairs(files, PairSpec(n_pairs=pairs, seed=seed),
                                  photos=pictures, backbone=backbone, teacher=teacher,
                                  progress=tick,
                                  on_error=lambda p, e: err.print(f"skipped: {escape(str(e))}"))
            if cache is not None:
                data.save(cache)
        fit, held = data.held_back(hold_back) if hold_back > 0 else (data, data.subset(
            np.zeros(len(data), bool)))
        config = HeadConfig(data.dim, k=k, dim=dim, aux=not no_aux, backbone=data.backbone,
                            backbone_version=data.backbone_version)
        with stage_bars() as tick:
            head, history = train_head(
                fit, config, LossConfig(mi=not no_mi, dis=not no_dis, distill=distill,
                                        dmi=not no_dmi),
                TrainConfig(epochs=epochs, lr=lr, seed=seed, identity_start=identity_start),
                progress=tick)
        written = (head.as_folded() if fold else head).save(out_path)
    first, last = history[0], history[-1]
    out.print(f"{len(fit)} pairs, {epochs} epochs: loss {first['loss']:.3f} -> "
              f"{last['loss']:.3f} (InfoNCE {first['nce']:.3f} -> {last['nce']:.3f}, "
              f"distillation {first['distill']:.3f} -> {last['distill']:.3f})")
    digest = Head.load(written).digest
    out.print(f"wrote {written} (head {digest}); index with --descriptor "
              f"learned:{written.resolve()}")
    if len(held):
        for name, h in (("plain " + data.backbone, None), ("with head", head)):
            e = evaluate_frames(h, held.anchors, held.copies, held.kinds, held.video_ids,
                                held.times)
            out.print(f"  held-back pairs ({e.overall.queries}), {name:<14} mAP "
                      f"{e.overall.map:.3f}  recall@1 {e.overall.recall_at_1:.3f}")

