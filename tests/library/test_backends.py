"""Libraries built with other backends than the default, end to end on real footage: a binary
backend (pdq) stores packed bits and searches by Hamming distance, a fusion holds both parts'
vectors, a trainable backend (sift-fv) learns its vocabulary from the first references and keeps
it with the library; the copy is found each way."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vidtrace.api import Library
from vidtrace.cli.main import app
from vidtrace.errors import LibraryError
from vidtrace.groundtruth import write_ground_truth
from vidtrace.library.folder import STATE_FILE
from vidtrace.settings import DEFAULT_LIBRARY, FLAT_THRESHOLD
from vidtrace.types import Match, QueryTruth


def _found(matches: list[Match], truth: QueryTruth, tolerance_s: float) -> bool:
    (t,) = truth.segments
    return any(m.ref_id == t.ref_id and max(
        abs(m.query_start - t.query_start), abs(m.query_end - t.query_end),
        abs(m.ref_start - t.ref_start), abs(m.ref_end - t.ref_end)) <= tolerance_s
        for m in matches)


@pytest.fixture(scope="module")
def pdq_library(reference_videos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
                ) -> Path:
    folder = tmp_path_factory.mktemp("pdq") / "lib"
    with Library.create(folder, DEFAULT_LIBRARY.with_changes(descriptor="pdq")) as lib:
        lib.add(sorted(reference_videos.values()))
    return folder


def test_pdq_library_stores_bits_and_finds_the_copy(
        pdq_library: Path, scaled_bordered_copy: QueryTruth, media_dir: Path) -> None:
    with Library.open(pdq_library) as lib:
        assert lib.manifest.metric == "hamming" and lib.store.index.binary
        rec = next(v for v in lib.videos() if v.video_id == "ref_a")
        _, vectors = lib.store.frames(rec.key)
        assert vectors.shape == (rec.n_frames, 256)
        # rows are +-1/16 bits, or the zero vector of a featureless frame (the dark opening)
        content = vectors.any(axis=1)
        assert np.allclose(np.abs(vectors[content]), 1 / 16) and content.mean() > 0.8
        # 32 bytes of packed bits and a content flag per frame, not 512 of float16
        blob = lib.store.catalog._db.execute("SELECT length(vectors) FROM videos WHERE rowid = ?",
                                       (rec.key,)).fetchone()[0]
        assert blob == 33 * rec.n_frames
        # the reference's own frames find themselves at similarity 1 through the binary index;
        # featureless ones find nothing
        rows = np.flatnonzero(content)[:5]
        D, own = lib.store.index.search(vectors[rows], 1)
        assert own.ravel().tolist() == [(rec.key << 24) | int(i) for i in rows]
        assert np.allclose(D, 1.0)
        if not content.all():
            _, none = lib.store.index.search(vectors[~content][:1], 1)
            assert none.ravel().tolist() == [-1]
        matches = lib.query(media_dir / scaled_bordered_copy.query)
    # PDQ is weaker than SSCD under this edit chain: it finds the copy's start on both sides
    # and at least half of it (the Big Buck Bunny part), not always its end
    (t,) = scaled_bordered_copy.segments
    m = matches[0]
    assert m.ref_id == "ref_a" and abs(m.query_start - t.query_start) <= 3.0, matches
    assert abs(m.ref_start - t.ref_start) <= 3.0
    assert m.query_end - m.query_start >= 0.5 * (t.query_end - t.query_start)
    assert t.query_start - 3.0 <= m.query_start and m.query_end <= t.query_end + 3.0


def test_fused_library_finds_the_copy(reference_videos: dict[str, Path], tmp_path: Path,
                                      scaled_bordered_copy: QueryTruth, media_dir: Path
                                      ) -> None:
    settings = DEFAULT_LIBRARY.with_changes(descriptor="sscd-fast+pdq")
    with Library.create(tmp_path / "lib", settings) as lib:
        lib.add([reference_videos["ref_a"], reference_videos["ref_c"]])
    with Library.open(tmp_path / "lib") as lib:
        assert lib.manifest.descriptor == "sscd-fast+pdq" and lib.manifest.dim == 768
        assert lib.summary()["descriptor"] == "sscd-fast+pdq"
        matches = lib.query(media_dir / scaled_bordered_copy.query)
    assert _found(matches, scaled_bordered_copy, 3.0), matches


@pytest.fixture(scope="module")
def siftfv_library(reference_videos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
                   ) -> Path:
    """ref_a and ref_c indexed with sift-fv-bin, its vocabulary learned from them."""
    folder = tmp_path_factory.mktemp("siftfv") / "lib"
    with Library.create(folder, DEFAULT_LIBRARY.with_changes(descriptor="sift-fv-bin")) as lib:
        assert lib.manifest.descriptor_version.endswith("/untrained")
        lib.add([reference_videos["ref_a"], reference_videos["ref_c"]])
    return folder


def test_vocabulary_is_learned_saved_and_checked(siftfv_library: Path, tmp_path: Path) -> None:
    with Library.open(siftfv_library) as lib:
        version = lib.manifest.descriptor_version
        assert version.startswith("sift-fv-bin/1/") and not version.endswith("untrained")
        assert (siftfv_library / STATE_FILE).is_file()
        assert lib.descriptor.ready and lib.descriptor.version == version
        assert lib.manifest.metric == "hamming" and lib.store.index.binary
    # another vocabulary in place of the saved one is refused, naming the fix
    copy = tmp_path / "lib"
    shutil.copytree(siftfv_library, copy)
    with np.load(copy / STATE_FILE) as z:
        arrays = {k: z[k] for k in z.files}
    key = next(k for k in arrays if arrays[k].dtype.kind == "f" and arrays[k].ndim == 2)
    arrays[key] = arrays[key] * 1.01
    np.savez(copy / STATE_FILE, **arrays)
    with Library.open(copy) as lib, pytest.raises(LibraryError, match="rebuild the library"):
        _ = lib.descriptor


def test_vocabulary_library_finds_the_copy(siftfv_library: Path,
                                           scaled_bordered_copy: QueryTruth,
                                           unrelated_query: Path, media_dir: Path) -> None:
    with Library.open(siftfv_library) as lib:
        # a new library of another descriptor than sscd starts with one flat threshold
        d = lib.query_defaults
        assert d.threshold().required(3) == d.threshold().required(300) == FLAT_THRESHOLD
        # binarised Fisher vectors score copies 0.2-0.4 (sscd: 0.5-0.9), so this backend needs
        # its own hit floor and threshold (`vidtrace bench --backends` calibrates both), flat:
        # the short threshold's 0.42 is on sscd's scale
        s = lib.query_defaults.with_changes(hit_floor=0.1, match_threshold=0.2,
                                            short_threshold=0.2)
        matches = lib.query(media_dir / scaled_bordered_copy.query, settings=s)
        assert lib.query(unrelated_query, settings=s) == []
    (t,) = scaled_bordered_copy.segments
    assert matches and matches[0].ref_id == "ref_a", matches
    assert abs(matches[0].query_start - t.query_start) <= 3.0
    assert abs(matches[0].ref_start - t.ref_start) <= 3.0


def test_calibrating_another_descriptor_stores_one_flat_threshold(
        siftfv_library: Path, scaled_bordered_copy: QueryTruth, unrelated_query: Path,
        media_dir: Path, tmp_path: Path) -> None:
    # the short threshold (0.42) is on sscd's scale; sift-fv-bin scores copies 0.2-0.4
    lib = Path(shutil.copytree(siftfv_library, tmp_path / "lib"))
    gt = media_dir / "calibration-siftfv.json"
    write_ground_truth(gt, [scaled_bordered_copy, QueryTruth(unrelated_query.name, 18.0, ())])
    result = CliRunner().invoke(app, ["calibrate", str(lib), str(gt)])
    assert result.exit_code == 0, result.output
    assert "the same for short ones" in result.output
    with Library.open(lib) as opened:
        q = opened.query_defaults
    assert q.short_threshold == q.match_threshold
    assert q.threshold().required(3) == q.threshold().required(300) == q.match_threshold


def test_interrupted_first_add_learns_again(reference_videos: dict[str, Path],
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after the vocabulary was saved but before the manifest named it leaves a state
    file the manifest does not know; with no reference in the catalog yet, it is discarded."""
    folder = tmp_path / "lib"
    settings = DEFAULT_LIBRARY.with_changes(descriptor="sift-fv")
    with Library.create(folder, settings) as lib:

        def crash(self: object, folder: Path) -> None:
            raise OSError("disk full")

        monkeypatch.setattr("vidtrace.library.manifest.Manifest.save", crash)
        with pytest.raises(OSError, match="disk full"):
            lib.add([reference_videos["ref_c"]])
    monkeypatch.undo()
    assert (folder / STATE_FILE).is_file()
    with Library.open(folder) as lib:
        assert lib.manifest.descriptor_version.endswith("/untrained")
        # reading never writes: the stale state stays until the next add learns a new one
        assert not lib.descriptor.ready and (folder / STATE_FILE).is_file()
        results = lib.add([reference_videos["ref_c"]])
        assert [r.video_id for r in results] == ["ref_c"]
        assert lib.descriptor.ready and (folder / STATE_FILE).is_file()
