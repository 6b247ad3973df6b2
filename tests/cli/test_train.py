"""`vidtrace train`: the head trained from a pair cache, and the errors of a bad call."""

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidtrace.cli.main import app
from vidtrace.descriptors.head import Head
from vidtrace.learn.pairs import PairSet

runner = CliRunner()


def test_without_torch_says_how_to_install(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    result = runner.invoke(app, ["train", str(tmp_path), "--out", str(tmp_path / "h.npz")])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: vidtrace train needs the [train] extra: pip "
                                     "install 'vidtrace[train]'")


def test_trains_from_a_cache_and_scores_held_back_pairs(sscd_fast_pairs: PairSet,
                                                        tmp_path: Path) -> None:
    pytest.importorskip("torch")
    cache = sscd_fast_pairs.save(tmp_path / "pairs.npz")
    out = tmp_path / "head.npz"
    args = ["train", str(tmp_path / "unused"), "--out", str(out), "--cache", str(cache),
            "--epochs", "2", "--k", "2", "--dim", "32", "--no-dis", "--backbone", "sscd-fast"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    head = Head.load(out)
    assert (head.config.k, head.config.dim, head.config.aux) == (2, 32, True)
    assert head.config.backbone == "sscd-fast"
    assert f"wrote {out} (head {head.digest}); index with --descriptor learned:{out}" in (
        result.output)
    assert "plain sscd-fast" in result.output and "with head" in result.output
    wrong = runner.invoke(app, [*args[:-1], "sscd"])
    assert wrong.exit_code == 1 and f"{cache}: holds sscd-fast vectors, not sscd" in (
        wrong.output)
    bad = runner.invoke(app, [*args, "--part", "some"])
    assert bad.exit_code == 2 and "--part" in bad.output


def test_distilled_folded_head_on_every_pair(tmp_path: Path) -> None:
    """--teacher/--distill/--identity-start/--hold-back 0/--fold: the preset's recipe."""
    pytest.importorskip("torch")
    from tests.learn.test_distill import _pairs

    cache = _pairs(24, 8, 8).save(tmp_path / "pairs.npz")
    out = tmp_path / "head.npz"
    args = ["train", str(tmp_path / "unused"), "--out", str(out), "--cache", str(cache),
            "--backbone", "sscd-fast", "--teacher", "sscd", "--epochs", "2", "--dim", "8",
            "--k", "2", "--identity-start", "--distill", "5", "--hold-back", "0", "--fold"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    head = Head.load(out)
    assert (head.config.k, head.config.aux, head.config.dim) == (1, False, 8)
    assert "24 pairs, 2 epochs" in result.output and "distillation" in result.output
    assert "held-back pairs" not in result.output
    wrong = runner.invoke(app, [*args, "--teacher", "pdq"])
    assert wrong.exit_code == 1 and "holds teacher vectors of sscd, not pdq" in wrong.output
