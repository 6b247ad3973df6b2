"""The Milvus store (library/milvus.py) against embedded milvus-lite: three shipped clips
indexed, queried and removed give what the folder store gives on the same files; adds are
idempotent, frames without a committed reference row are never found, and a writer that finds
its id taken by other content takes its own rows back out; audio prints are kept, and an
audio-only copy is found as in a folder library. Skips without the [milvus] extra."""

import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import CLIPS, fresh_python
from vidtrace.api import AddStatus, Library
from vidtrace.cli.main import app
from vidtrace.errors import ConfigError, LibraryError
from vidtrace.library.locate import is_uri, parse_uri
from vidtrace.settings import AudioMode
from vidtrace.synth import Border, CopyPiece, FillerPiece, Scale, compose_query
from vidtrace.types import FrameSet, Match, QueryTruth, Reference

FILES = [CLIPS / "mdn_flower.mp4", CLIPS / "mdn_friday_1940.mp4",
         CLIPS / "udacity_highway_lanes.mp4"]
NEGATIVE = CLIPS / "mdn_stream_of_water.webm"


def _milvus() -> None:
    pytest.importorskip("pymilvus", reason="the Milvus store needs the [milvus] extra")
    pytest.importorskip("milvus_lite", reason="the tests run Milvus embedded: [milvus] extra")


@pytest.fixture(scope="module")
def highway_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, QueryTruth]:
    """3 s of an unrelated clip (stream of water), then highway lanes 1-8 s; the whole scaled
    to 60 % with a black border (8 % each side)."""
    out = tmp_path_factory.mktemp("milvus-query") / "highway_copy.mp4"
    pieces = [FillerPiece(NEGATIVE, 0.0, 3.0), CopyPiece(FILES[2], 1.0, 8.0)]
    return out, compose_query(pieces, out, edits=[Scale(0.6), Border(0.08, 0.08, 0.08, 0.08)])


@pytest.fixture(scope="module")
def libraries(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The three FILES in a milvus-lite library (absolute URI) and in a folder library."""
    _milvus()
    root = tmp_path_factory.mktemp("milvus")
    uri = f"milvus-lite://{root}/refs.db"  # root is absolute: the third slash
    for location in (uri, root / "folder"):
        with Library.create(location) as lib:
            results = lib.add(FILES)
        assert [r.status for r in results] == [AddStatus.ADDED] * 3
    return uri, root / "folder"


def _same(a: list[Match], b: list[Match]) -> None:
    assert [m.ref_id for m in a] == [m.ref_id for m in b]
    for x, y in zip(a, b, strict=True):
        assert np.allclose([x.query_start, x.query_end, x.ref_start, x.ref_end],
                           [y.query_start, y.query_end, y.ref_start, y.ref_end], atol=1e-3)
        assert x.score == pytest.approx(y.score, abs=1e-4)


def test_milvus_holds_what_the_folder_store_holds(libraries: tuple[str, Path]) -> None:
    uri, folder = libraries
    with Library.open(uri) as m, Library.open(folder) as f:
        a, b = m.manifest, f.manifest  # the manifest lives in Milvus and reads back whole
        assert (a.descriptor_version, a.dim, a.settings, a.query) == (
            b.descriptor_version, b.dim, b.settings, b.query)
        mine, theirs = m.videos(), f.videos()
        assert [(r.video_id, r.content_hash, r.n_frames, r.duration, r.fps) for r in mine] == [
            (r.video_id, r.content_hash, r.n_frames, r.duration, r.fps) for r in theirs]
        assert [r.n_frames for r in mine] == [5, 7, 9]
        for a, b in zip(mine, theirs, strict=True):
            (ta, va), (tb, vb) = m.store.frames(a.key), f.store.frames(b.key)
            assert np.array_equal(ta, tb) and np.array_equal(va, vb)  # both float16 rounded
        info = m.summary()
        assert (info["backend"], info["videos"], info["frames"]) == ("milvus-lite", 3, 21)
        assert info["index"]["kind"] == "FLAT"  # auto, embedded: exact, as the folder's flat


def test_milvus_finds_the_same_matches_as_the_folder_store(
        libraries: tuple[str, Path], highway_copy: tuple[Path, QueryTruth]) -> None:
    uri, folder = libraries
    query, truth = highway_copy
    with Library.open(uri) as m, Library.open(folder) as f:
        views = f.describe_query(query)
        found = m.match(views)
        _same(found, f.match(views))
        (t,) = truth.segments
        best = found[0]
        assert best.ref_id == "udacity_highway_lanes"
        assert abs(best.query_start - t.query_start) <= 1.5
        assert abs(best.ref_start - t.ref_start) <= 1.5
        negative = f.describe_query(NEGATIVE)
        assert m.match(negative) == f.match(negative) == []


def test_adding_again_is_a_no_op_and_remove_takes_a_reference_out(
        libraries: tuple[str, Path], tmp_path: Path) -> None:
    uri, _ = libraries
    with Library.open(uri) as lib:
        again = lib.add(FILES[:1])
        assert [(r.status, r.video_id, r.n_frames) for r in again] == [
            (AddStatus.UNCHANGED, "mdn_flower", 5)]
        key = lib.store.find(video_id="mdn_flower").key
        views = lib.describe_query(FILES[0])
        assert lib.match(views)[0].ref_id == "mdn_flower"
        removed = lib.remove("mdn_flower")
        assert removed.video_id == "mdn_flower" and removed.key == key
        assert [r.video_id for r in lib.videos()] == ["mdn_friday_1940", "udacity_highway_lanes"]
        assert all(m.ref_id != "mdn_flower" for m in lib.match(views))
        with pytest.raises(LibraryError, match="no reference video with id 'mdn_flower'"):
            lib.remove("mdn_flower")
        back = lib.add(FILES[:1])
        assert back[0].status is AddStatus.ADDED
        assert lib.store.find(video_id="mdn_flower").key == key  # the key is the content's
        assert lib.match(views)[0].ref_id == "mdn_flower"


def test_a_later_process_indexes_into_the_library_an_earlier_one_made(tmp_path: Path) -> None:
    """Milvus keeps a reopened library's collections released until they are loaded; milvus-lite
    serves one process at a time, so this library is made and reopened by two others."""
    _milvus()
    uri = f"milvus-lite://{tmp_path}/later.db"
    cli = "from vidtrace.cli.main import main; main()"
    first = fresh_python(cli, "index", uri, str(FILES[0]))
    assert "1 added" in first and "0 unchanged, 0 failed" in first, first
    again = fresh_python(cli, "index", uri, str(FILES[0]), str(FILES[1]))
    assert "1 added" in again and "1 unchanged, 0 failed" in again, again


def test_frames_without_a_reference_row_are_never_found(libraries: tuple[str, Path]) -> None:
    """A writer that died before its commit marker (the reference row) left frames behind:
    searches drop them, and adding the file later overwrites them."""
    uri, _ = libraries
    with Library.open(uri) as lib:
        store = lib.store
        ref = store.find(video_id="mdn_friday_1940")
        times, vectors = store.frames(ref.key)
        orphan, orphan_key = "a" * 64, int("a" * 15, 16)
        store._upsert_frames("frames", orphan_key, orphan,  # type: ignore[attr-defined]
                             FrameSet("orphan", times, vectors, ref.duration))
        raw = store.client.search(store.tables["frames"], data=list(vectors[:1]), limit=2,
                                  anns_field="v", output_fields=["ref"])  # type: ignore[attr-defined]
        assert {h["entity"]["ref"] for h in raw[0]} == {ref.key, orphan_key}  # both stored
        hits = store.search(vectors[:3], 5, 64)
        assert orphan_key not in hits.ref_key.tolist() and ref.key in hits.ref_key.tolist()
        assert hits.sim.max() == pytest.approx(1.0, abs=1e-3)
        store._delete(orphan_key)  # type: ignore[attr-defined]


def test_a_writer_whose_id_is_taken_by_other_content_steps_back(
        libraries: tuple[str, Path]) -> None:
    uri, _ = libraries
    with Library.open(uri) as lib:
        store = lib.store
        ref = store.find(video_id="udacity_highway_lanes")
        times, vectors = store.frames(ref.key)
        rival = Reference(0, ref.video_id, "/elsewhere/other.mp4", "f" * 64, ref.duration,
                          ref.fps, ref.descriptor, len(times))
        with lib.store.writing(), pytest.raises(LibraryError, match="already used by"):
            store.add(rival, FrameSet(ref.video_id, times, vectors, ref.duration), None)
        assert [r.content_hash for r in lib.videos() if r.video_id == ref.video_id] == [
            ref.content_hash]
        assert store.search(vectors[:2], 3, 64).ref_key.tolist().count(int("f" * 15, 16)) == 0


def test_locations_name_a_folder_or_a_milvus_library(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lite = parse_uri("milvus-lite://libs/refs.db")
    assert (lite.uri, lite.server) == (str(tmp_path / "libs" / "refs.db"), False)
    assert parse_uri("milvus-lite:///data/refs.db").uri == "/data/refs.db"
    server = parse_uri("milvus://127.0.0.1:19530/films_2026")
    assert (server.uri, server.name, server.server) == ("http://127.0.0.1:19530", "films_2026",
                                                        True)
    assert is_uri("milvus://h:1/x") and not is_uri("milvus/h:1") and not is_uri(tmp_path)
    with pytest.raises(ConfigError, match=r"milvus://HOST:PORT/NAME"):
        parse_uri("milvus://127.0.0.1/films")
    with pytest.raises(ConfigError, match=r"milvus://HOST:PORT/NAME"):
        parse_uri("milvus://127.0.0.1:19530/9-bad-name")
    with pytest.raises(ConfigError, match=r"a path ending in \.db"):
        parse_uri("milvus-lite://refs.sqlite")


@pytest.mark.parametrize("command", ["check", "repair", "serve"])
def test_folder_only_commands_refuse_a_uri_in_one_line(command: str) -> None:
    result = CliRunner().invoke(app, [command, "milvus://127.0.0.1:19530/films"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert f"`vidtrace {command}` works on library folders only" in lines[0]


def test_importing_vidtrace_needs_neither_milvus_nor_dask() -> None:
    loaded = fresh_python(
        "import sys, vidtrace, vidtrace.api, vidtrace.cli.main, vidtrace.library.locate\n"
        "print(sorted(m for m in ('pymilvus', 'milvus_lite', 'dask', 'distributed') "
        "if m in sys.modules))")
    assert loaded.strip() == "[]"


def test_a_missing_milvus_library_is_one_line(tmp_path: Path) -> None:
    _milvus()
    with pytest.raises(LibraryError, match="no vidtrace library there; create it"):
        Library.open(f"milvus-lite://{tmp_path}/none.db")


@pytest.fixture(scope="module")
def sound_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """A milvus-lite and a folder library of big_buck_bunny_0-30s (30 s, music and effects)
    and mdn_friday_1940, with their audio prints; and a query with highway lanes 0-8.5 s as
    its picture (in neither library) and 1 s of silence then the bunny's sound 10-18 s as its
    sound: a copy found by its sound alone, query 1-9 s <- bunny 10-18 s."""
    _milvus()
    from vidtrace.synth import render_copy
    from vidtrace.synth.soundtrack import RATE, mux, sound_of

    root = tmp_path_factory.mktemp("milvus-sound")
    refs = [CLIPS / "big_buck_bunny_0-30s.webm", FILES[1]]
    uri = f"milvus-lite://{root}/sound.db"
    for location in (uri, root / "folder"):
        with Library.create(location) as lib:
            assert [r.status for r in lib.add(refs)] == [AddStatus.ADDED] * 2
    render_copy(FILES[2], root / "picture.mp4", start=0.0, end=8.5, short_side=240)
    sound = np.concatenate([np.zeros(RATE, np.float32), sound_of(refs[0], 10.0, 18.0)])
    query = mux(root / "picture.mp4", sound[:int(8.5 * RATE)], root / "sound_copy.mp4")
    return uri, root / "folder", query


def test_milvus_keeps_audio_prints_and_finds_a_copy_by_its_sound(
        sound_copy: tuple[str, Path, Path]) -> None:
    uri, folder, query = sound_copy
    with Library.open(uri) as m, Library.open(folder) as f:
        assert m.summary()["audio"] == f.summary()["audio"]
        audio = m.summary()["audio"]
        assert audio["references"] == 2 and audio["prints"] > 30 * 20, audio
        found = m.query(query)
        _same(found, f.query(query))
        assert [(x.ref_id, x.evidence) for x in found] == [("big_buck_bunny_0-30s", ("audio",))]
        assert abs(found[0].query_start - 1.0) < 1.0 and abs(found[0].ref_start - 10.0) < 1.0
        assert abs(found[0].ref_end - 18.0) < 1.5
        off = m.query_defaults.with_changes(audio=AudioMode.OFF)
        assert m.query(query, off) == []  # the picture alone finds nothing


def test_removing_a_reference_takes_its_prints_out(sound_copy: tuple[str, Path, Path]) -> None:
    """Prints are written before the reference row and removed after it: a reference removed
    is no longer heard, its print rows are gone, and adding it again brings them back."""
    uri, _, query = sound_copy
    with Library.open(uri) as lib:
        store = lib.store
        key = store.find(video_id="big_buck_bunny_0-30s").key
        stored = store.client.query(store.tables["prints"], filter=f"ref == {key}",  # type: ignore[attr-defined]
                                    output_fields=["count(*)"])[0]["count(*)"]
        assert stored > 30 * 20
        lib.remove("big_buck_bunny_0-30s")
        assert lib.query(query) == []
        assert store.client.query(store.tables["prints"], filter=f"ref == {key}",  # type: ignore[attr-defined]
                                  output_fields=["count(*)"])[0]["count(*)"] == 0
        assert lib.summary()["audio"]["references"] == 1
        lib.add([CLIPS / "big_buck_bunny_0-30s.webm"])
        assert [x.ref_id for x in lib.query(query)] == ["big_buck_bunny_0-30s"]


def test_a_library_made_before_prints_were_kept_gains_them_on_its_next_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Milvus library made before the audio collections existed is read as having no prints;
    the first write session creates the collections, and references added from then on are
    heard."""
    _milvus()
    # pymilvus waits for a new collection's index with AllocTimestamp, which milvus-lite's
    # in-process server does not implement and logs as an ERROR (the wait goes on without it)
    monkeypatch.setattr(logging.getLogger("grpc._server"), "disabled", True)
    uri = f"milvus-lite://{tmp_path}/old.db"
    with Library.create(uri) as lib:
        lib.add(FILES[:1])
        for part in ("audio", "prints"):
            lib.store.client.drop_collection(lib.store.tables[part])  # type: ignore[attr-defined]
    with Library.open(uri) as lib:
        hashes = np.arange(1 << 20, dtype=np.uint32)
        assert len(lib.store.print_hits(hashes, "any")[0]) == 0
        assert lib.summary()["audio"]["references"] == 0
        lib.add(FILES[1:2])
        assert lib.summary()["audio"]["references"] == 1  # mdn_friday_1940, added after


def test_a_query_sees_the_references_committed_when_its_snapshot_began(
        libraries: tuple[str, Path]) -> None:
    """Two handles on one library, as two processes on a server (milvus-lite serves one
    process: here, two clients in one): while `a` is inside a snapshot, `b` adds a reference
    and removes another. `a`'s searches never see the new reference's frames, and reading the
    removed one's frames says "query again"; after the snapshot `a` sees both changes."""
    uri, _ = libraries
    with Library.open(uri) as a, Library.open(uri) as b:
        flower = a.store.find(video_id="mdn_flower")
        with a.store.snapshot():
            assert [r.status for r in b.add([NEGATIVE])] == [AddStatus.ADDED]
            new = b.store.find(video_id="mdn_stream_of_water")
            _, vectors = b.store.frames(new.key)
            assert new.key in b.store.search(vectors, 3, 64).ref_key.tolist()
            hits = a.store.search(vectors, 10, 64)  # the new frames, then older ones
            assert len(hits.ref_key) and new.key not in hits.ref_key.tolist()
            b.remove("mdn_flower")
            with pytest.raises(LibraryError, match="removed meanwhile; query again"):
                a.store.frames(flower.key)
        assert new.key in a.store.search(vectors, 3, 64).ref_key.tolist()
        assert [r.video_id for r in a.videos()] == [
            "mdn_friday_1940", "mdn_stream_of_water", "udacity_highway_lanes"]
        b.remove("mdn_stream_of_water")
        b.add(FILES[:1])  # the fixture's three references again
