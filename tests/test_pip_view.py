"""The picture-in-picture view (`QuerySettings.pip_view`, vidtrace/video/views.py) end to end
on real footage: a copy shown as a small inset is found with its boundaries only with the view
on, and ordinary queries give exactly what they give with it off."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_video
from vidtrace.api import Library
from vidtrace.synth import CopyPiece, PictureInPicture, compose_query
from vidtrace.types import FrameSet, Match, QueryTruth
from vidtrace.video.described import Described, InsetView, QueryViews


@pytest.fixture(scope="module")
def pip_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """ref_a 5-25 s (Big Buck Bunny) shrunk to 0.35 of the width as an inset near the top
    right corner (x 0.9, y 0.1) over the airplane clip (in no reference, looped), 10 frames/s."""
    pip = PictureInPicture(str(shared_video("moviepy_airplane.mp4")), 0.0, 0.35, 0.9, 0.1)
    return compose_query([CopyPiece(reference_videos["ref_a"], 5.0, 25.0)],
                         media_dir / "pip_copy.mp4", edits=[pip], fps=10.0)


def _within(m: Match, truth: QueryTruth, tolerance_s: float) -> bool:
    (t,) = truth.segments
    return m.ref_id == t.ref_id and max(
        abs(m.query_start - t.query_start), abs(m.query_end - t.query_end),
        abs(m.ref_start - t.ref_start), abs(m.ref_end - t.ref_end)) <= tolerance_s


def test_inset_copy_found_within_3s_only_with_the_view(
    reference_library: Path, pip_copy: QueryTruth, media_dir: Path
) -> None:
    with Library.open(reference_library) as lib:
        on = lib.query_defaults.with_changes(pip_view=True)
        views = lib.describe_query(media_dir / pip_copy.query, settings=on)
        assert [w.inset is not None for w in views.inset.windows] == [True, True]
        # nearly every frame has an inset vector (those whose whole picture matches nothing
        # yet, test below); the box is in the top right quarter
        assert len(views.inset) >= 0.9 * len(views.full)
        inset = views.inset.windows[0].inset
        assert inset is not None
        assert inset.x0 > inset.frame_w / 2 and inset.y1 < inset.frame_h / 2
        # the inset matches ref_a: the picture beside it (the host) is hardly described
        assert views.beside is not None and len(views.beside) < len(views.full) // 4
        with_view = lib.match(views, on)
        # the whole frames alone (what pip_view off describes) mostly see the host
        without = lib.match(views.full, on)
    assert len(with_view) == 1 and _within(with_view[0], pip_copy, 3.0), with_view
    assert with_view[0].score >= 0.7
    assert not any(_within(m, pip_copy, 3.0) for m in without), without


def test_ordinary_query_unchanged_by_the_view(
    reference_library: Path, scaled_bordered_copy: QueryTruth, media_dir: Path
) -> None:
    path = media_dir / scaled_bordered_copy.query
    with Library.open(reference_library) as lib:
        on = lib.query_defaults.with_changes(pip_view=True)
        off = on.with_changes(pip_view=False, canvas_view=False)
        full = lib.describe_query(path, settings=off).full
        views = lib.describe_query(path, settings=on)
        assert len(views.inset) == 0 and len(views.inset.windows) == 3
        assert np.array_equal(views.full.times, full.times)
        assert np.array_equal(views.full.vectors, full.vectors)
        assert views.full.duration == full.duration
        expected = lib.match(full, on)
        assert [m.ref_id for m in expected] == ["ref_a"]
        assert lib.match(views, on) == expected


def test_unrelated_query_still_matches_nothing(reference_library: Path,
                                               unrelated_query: Path) -> None:
    with Library.open(reference_library) as lib:
        on = lib.query_defaults.with_changes(pip_view=True)
        assert lib.query(unrelated_query, settings=on) == []


def _views() -> QueryViews:
    """3 query frames in 2-d; frames 0 and 2 have an inset vector."""
    full = FrameSet("q", np.array([0.0, 0.5, 1.0]),
                    np.array([[1, 0], [0, 1], [0.6, 0.8]], np.float32), 1.5)
    inset = InsetView(np.array([0, 2]), np.array([[0, 1], [1, 0]], np.float32))
    return QueryViews(full, inset)


def test_similarity_is_the_better_view_per_frame() -> None:
    ref = np.array([[1, 0], [0, 1]], np.float32)
    S = _views().similarity(ref)
    np.testing.assert_allclose(S, np.array([[1, 1], [0, 1], [1, 0.8]]))
    np.testing.assert_allclose(_views().best_vectors(ref[:1]), [[1, 0], [0, 1], [1, 0]])
    np.testing.assert_allclose(_views().best_vectors(ref[1:]),
                               np.array([[0, 1], [0, 1], [0.6, 0.8]]))


def test_each_row_keeps_the_crop_nearer_a_reference() -> None:
    """`Described.add_best`: of two crops of each row, the vector nearer a reference frame
    is kept, after what was added before and in row order."""
    ref = np.array([[1.0, 0.0]], np.float32)

    def describe(batch: np.ndarray) -> np.ndarray:  # a crop's mean value: (v, 1 - v)
        v = batch.reshape(len(batch), -1).mean(axis=1).astype(np.float32) / 255
        return np.stack([v, 1 - v], axis=1)

    def crop(v: float) -> np.ndarray:
        return np.full((2, 2, 3), round(v * 255), np.uint8)

    described = Described(describe, 8)
    described.add(0, crop(0.5))
    described.add_best([1, 2], [[crop(0.2), crop(0.8)], [crop(0.9), crop(0.1)]],
                       lambda vectors: (vectors @ ref.T)[:, 0])
    view = described.view(2)
    assert list(view.rows) == [0, 1, 2]
    np.testing.assert_allclose(view.vectors[:, 0], [0.5, 0.8, 0.9], atol=0.01)


def test_inset_view_rows_are_checked() -> None:
    full = _views().full
    with pytest.raises(ValueError, match="strictly increasing"):
        InsetView(np.array([2, 0]), np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="beyond its 3 frames"):
        QueryViews(full, InsetView(np.array([3]), np.zeros((1, 2), np.float32)))
    with pytest.raises(ValueError, match="dimension 3"):
        QueryViews(full, InsetView(np.array([0]), np.zeros((1, 3), np.float32)))


def _closest_to_ref_a(lib: Library, views: QueryViews) -> tuple[np.ndarray, np.ndarray]:
    """Each query frame's best similarity to ref_a's frames: by the whole frame, and by the
    inset view (rows of the frames that have one)."""
    rec = next(v for v in lib.videos() if v.video_id == "ref_a")
    _, ref_vectors = lib.store.frames(rec.key)
    return ((views.full.vectors @ ref_vectors.T).max(axis=1),
            (views.inset.vectors @ ref_vectors.T).max(axis=1))


@pytest.fixture(scope="module")
def canvas_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """ref_a 8-22 s (Big Buck Bunny) centred on a 9:16 portrait canvas with a blurred fill."""
    from vidtrace.synth.geometry import Canvas, CanvasFill

    return compose_query([CopyPiece(reference_videos["ref_a"], 8.0, 22.0)],
                         media_dir / "canvas_copy.mp4", edits=[Canvas(9, 16, CanvasFill.BLUR)])


def test_blurred_canvas_is_described_as_the_inset(reference_library: Path,
                                                  canvas_copy: QueryTruth,
                                                  media_dir: Path) -> None:
    with Library.open(reference_library) as lib:
        s = lib.query_defaults.with_changes(pip_view=False, canvas_view=True)
        views = lib.describe_query(media_dir / canvas_copy.query, settings=s)
        found = [w.inset for w in views.inset.windows]
        assert found and all(i is not None for i in found)
        assert views.inset.rows.tolist() == list(range(len(views.full)))
        plain, cropped = _closest_to_ref_a(lib, views)
        # the crop drops the smear: every frame comes closer to the reference
        assert np.median(cropped - plain) > 0.1 and np.mean(cropped > plain) > 0.9
        with_view = lib.match(views, s)
        without = lib.match(views.full, s)
    assert with_view and _within(with_view[0], canvas_copy, 3.0), with_view
    assert without == [] or with_view[0].score > without[0].score + 0.05


@pytest.fixture(scope="module")
def patterned_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """ref_a 8-22 s (Big Buck Bunny) centred on a 9:16 portrait canvas filled with checks."""
    from vidtrace.synth.geometry import Canvas, CanvasFill, CanvasPattern

    fill = Canvas(9, 16, CanvasFill.PATTERN, (10, 212, 50), CanvasPattern.CHECKS, 0.1)
    return compose_query([CopyPiece(reference_videos["ref_a"], 8.0, 22.0)],
                         media_dir / "patterned_copy.mp4", edits=[fill])


def test_patterned_canvas_is_described_as_the_inset(reference_library: Path,
                                                    patterned_copy: QueryTruth,
                                                    media_dir: Path) -> None:
    """A still (patterned) fill is found by vidtrace/video/fill.py under the canvas view."""
    with Library.open(reference_library) as lib:
        s = lib.query_defaults.with_changes(pip_view=False, canvas_view=True)
        views = lib.describe_query(media_dir / patterned_copy.query, settings=s)
        assert all(w.inset is not None for w in views.inset.windows)
        plain, cropped = _closest_to_ref_a(lib, views)
        assert np.median(cropped - plain) > 0.1, np.median(cropped - plain)
        with_view = lib.match(views, s)
        off = lib.describe_query(media_dir / patterned_copy.query,
                                 settings=s.with_changes(canvas_view=False))
        assert len(off.inset) == 0
        without = lib.match(off, s)
    assert with_view and _within(with_view[0], patterned_copy, 3.0), with_view
    assert without == [] or with_view[0].score > without[0].score + 0.05


@pytest.fixture(scope="module")
def feathered_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """ref_a 5-25 s (Big Buck Bunny) as a 0.4-wide inset with rounded corners and a feathered
    edge, bottom left, over the airplane clip (in no reference, looped)."""
    pip = PictureInPicture(str(shared_video("moviepy_airplane.mp4")), 0.0, 0.4, 0.1, 0.9,
                           corner=0.15, soft=0.05)
    return compose_query([CopyPiece(reference_videos["ref_a"], 5.0, 25.0)],
                         media_dir / "feathered_copy.mp4", edits=[pip], fps=10.0)


def test_trimming_the_found_picture_brings_a_feathered_inset_closer(
        reference_library: Path, feathered_copy: QueryTruth, media_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import vidtrace.video.views as views_module

    assert views_module.INSET_TRIM > 0
    with Library.open(reference_library) as lib:
        on = lib.query_defaults.with_changes(pip_view=True)
        trimmed = lib.describe_query(media_dir / feathered_copy.query, settings=on)
        monkeypatch.setattr(views_module, "INSET_TRIM", 0.0)
        whole_box = lib.describe_query(media_dir / feathered_copy.query, settings=on)
        assert [w.inset for w in trimmed.inset.windows] == [w.inset for w in
                                                            whole_box.inset.windows]
        assert all(w.inset is not None for w in trimmed.inset.windows)
        _, closer = _closest_to_ref_a(lib, trimmed)
        _, farther = _closest_to_ref_a(lib, whole_box)
        # the faded edge and the host in the corners are cut away
        assert np.median(closer - farther) > 0.02 and np.mean(closer > farther) > 0.5, (
            np.median(closer - farther), np.mean(closer > farther))
        monkeypatch.undo()
        found = lib.match(trimmed, on)
    assert found and _within(found[0], feathered_copy, 3.0), found


def test_the_strip_beside_an_inset_is_the_widest_one_clear_of_it() -> None:
    from vidtrace.video.inset import Inset
    from vidtrace.video.views import BESIDE_MARGIN, BESIDE_MIN, beside_box

    # an inset in the top left quarter of a 400 x 200 frame: the strip to its right is widest
    inset = Inset(20, 10, 160, 90, 400, 200, 1.0)
    assert beside_box(inset, 400, 200) == (160 + round(BESIDE_MARGIN * 400), 0, 400, 200)
    # the same box in a frame of twice the size: the strip scales with it
    assert beside_box(inset, 800, 400) == (320 + round(BESIDE_MARGIN * 800), 0, 800, 400)
    # below the inset is widest when the inset spans the width at the top
    wide = Inset(0, 0, 400, 60, 400, 200, 1.0)
    assert beside_box(wide, 400, 200) == (0, 60 + round(BESIDE_MARGIN * 200), 400, 200)
    # a big centred inset leaves only thin strips: none is described
    big = Inset(80, 40, 320, 160, 400, 200, 1.0)
    assert (80 - round(BESIDE_MARGIN * 400)) * 200 < BESIDE_MIN * 400 * 200
    assert beside_box(big, 400, 200) is None


@pytest.fixture(scope="module")
def reversed_copy(reference_videos: dict[str, Path], media_dir: Path) -> QueryTruth:
    """ref_a 5-25 s (Big Buck Bunny) with the pool-cleaning clip (in no reference) as a
    0.5-wide inset with a frame line over its left half (reversed picture-in-picture)."""
    from vidtrace.synth.pip import Inset

    inset = Inset(str(shared_video("mmaction2_pool_cleaning.mp4")), 0.0, 0.5, 0.05, 0.4,
                  frame_px=3)
    return compose_query([CopyPiece(reference_videos["ref_a"], 5.0, 25.0)],
                         media_dir / "reversed_copy.mp4", edits=[inset], fps=10.0)


def _every_strip(lib: Library, path: Path) -> QueryViews:
    """The query's views with the picture beside every inset described (no `nearest`)."""
    from vidtrace.descriptors.describe import describe_query

    return describe_query(path, lib.descriptor, lib.settings, lib.query_defaults,
                          lib.resources.batch_size)


def test_the_picture_beside_a_foreign_inset_comes_closer(
        reference_library: Path, reversed_copy: QueryTruth, media_dir: Path) -> None:
    """The inset hides part of the copy: the strip to its right is copy alone."""
    with Library.open(reference_library) as lib:
        on = lib.query_defaults
        assert on.pip_view
        views = _every_strip(lib, media_dir / reversed_copy.query)
        windows = views.inset.windows
        assert windows and all(w.inset is not None and not w.canvas for w in windows)
        assert views.beside is not None and len(views.beside) == len(views.full)
        rec = next(v for v in lib.videos() if v.video_id == "ref_a")
        _, ref_vectors = lib.store.frames(rec.key)
        whole = (views.full.vectors @ ref_vectors.T).max(axis=1)
        beside = (views.beside.vectors @ ref_vectors.T).max(axis=1)
        # closer in most frames, by 0.04 at the median (0.55-0.6 -> 0.6), and the worst frame
        # (0.43 whole) comes closer too
        assert np.median(beside - whole) > 0.03 and np.mean(beside > whole) > 0.6, (
            np.median(beside - whole), np.mean(beside > whole))
        assert beside.min() > whole.min(), (beside.min(), whole.min())
        found = lib.match(views, on)
    assert found and _within(found[0], reversed_copy, 3.0), found


def test_the_picture_beside_only_for_frames_that_match_nothing_yet(
        reference_library: Path, reversed_copy: QueryTruth, media_dir: Path,
        tmp_path: Path) -> None:
    """With the library at hand, a frame is described beside its inset only where neither
    its whole picture nor its inset comes within BESIDE_MATCHED_SIM of a reference frame; in
    an empty library that is every frame, exactly as without the library."""
    from vidtrace.match import nearest_similarity
    from vidtrace.video.views import BESIDE_MATCHED_SIM

    path = media_dir / reversed_copy.query
    with Library.open(reference_library) as lib:
        on = lib.query_defaults
        every = _every_strip(lib, path)
        views = lib.describe_query(path, on)
        nearest = nearest_similarity(lib.store, on)
        assert np.array_equal(views.full.vectors, every.full.vectors)
        assert views.beside is not None and every.beside is not None
        assert len(views.inset) == len(views.full)  # an inset in every window
        best = np.maximum(nearest(views.full.vectors), nearest(views.inset.vectors))
        assert views.beside.rows.tolist() == np.flatnonzero(best < BESIDE_MATCHED_SIM).tolist()
        kept = np.isin(every.beside.rows, views.beside.rows)
        assert np.allclose(views.beside.vectors, every.beside.vectors[kept], atol=1e-5)
        # the copy's whole frames match ref_a at 0.43-0.6 under the inset: the strip is needed
        # almost everywhere, and the copy is found
        assert len(views.beside) >= len(views.full) // 2, (len(views.beside), len(views.full))
        found = lib.match(views, on)
    assert found and _within(found[0], reversed_copy, 3.0), found
    with Library.create(tmp_path / "empty") as empty:
        alone = empty.describe_query(path, on)
    assert alone.beside is not None
    assert np.array_equal(alone.beside.rows, every.beside.rows)
    assert np.allclose(alone.beside.vectors, every.beside.vectors, atol=1e-5)


def test_no_picture_beside_a_canvas(reference_library: Path, canvas_copy: QueryTruth,
                                    media_dir: Path) -> None:
    """A canvas's picture is surrounded by fill, not by footage: nothing beside it is
    described, with every view on."""
    with Library.open(reference_library) as lib:
        views = lib.describe_query(media_dir / canvas_copy.query, settings=lib.query_defaults)
    windows = views.inset.windows
    assert windows and all(w.inset is not None and w.canvas for w in windows)
    assert views.beside is not None and len(views.beside) == 0


def test_the_found_picture_only_for_frames_that_match_nothing_yet(
        reference_library: Path, pip_copy: QueryTruth, media_dir: Path,
        tmp_path: Path) -> None:
    """With the library at hand, a frame's inset is described only where its whole picture
    comes within INSET_MATCHED_SIM of no reference frame; the vectors are those described
    without the library, and in an empty library every frame of an inset window has one."""
    from vidtrace.match import nearest_similarity
    from vidtrace.video.views import INSET_MATCHED_SIM

    path = media_dir / pip_copy.query
    with Library.open(reference_library) as lib:
        on = lib.query_defaults
        every = _every_strip(lib, path)
        views = lib.describe_query(path, on)
        whole = nearest_similarity(lib.store, on)(views.full.vectors)
    assert every.inset.rows.tolist() == list(range(len(views.full)))
    unmatched = np.flatnonzero(whole < INSET_MATCHED_SIM)
    # some frames show enough of the copy as a whole (the inset is 0.35 wide), most do not
    assert 0 < len(views.full) - len(unmatched) < len(views.full) // 4, whole
    assert views.inset.rows.tolist() == unmatched.tolist()
    assert np.allclose(views.inset.vectors, every.inset.vectors[unmatched], atol=1e-5)
    assert [w.inset for w in views.inset.windows] == [w.inset for w in every.inset.windows]
    with Library.create(tmp_path / "empty") as empty:
        alone = empty.describe_query(path, on)
    assert alone.inset.rows.tolist() == every.inset.rows.tolist()
    assert np.allclose(alone.inset.vectors, every.inset.vectors, atol=1e-5)
