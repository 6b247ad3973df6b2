"""Related clips named by the footage manifest, and the benchmark roles that keep each group on
the filler side."""

from pathlib import Path

import numpy as np

from vidtrace.synth import BenchmarkSpec
from vidtrace.synth.benchmark import assign_roles
from vidtrace.synth.related import group_members, manifest_near, parse_related, related_groups
from vidtrace.synth.videoio import source_info
from vidtrace.video.files import VIDEO_SUFFIXES, list_files

from .footage import data_file

TEXT = """# Footage

| file | s |
| --- | --- |
| `a_one.mp4` | 3 |

Related groups (keep each group in one role): the `toy_*` clips share a table; `screen.mp4`
shows frames of `flies.mp4`; nothing else here.

Clips are short.
"""


def test_parse_related_reads_one_group_per_clause() -> None:
    assert parse_related(TEXT) == [["toy_*"], ["screen.mp4", "flies.mp4"]]
    assert parse_related("# Footage\n\nNo groups here.\n") == []


def test_the_shared_manifest_names_its_groups() -> None:
    videos = data_file("MANIFEST.md").parent / "videos"
    assert manifest_near(videos) == videos.parent / "MANIFEST.md"
    groups = related_groups(videos)
    members = group_members(list_files(videos, VIDEO_SUFFIXES), groups)
    names = [sorted(p.name for p in g) for g in members]
    assert ["mdn_toy_crystal.mp4", "mdn_toy_frog.mp4", "mdn_toy_monster.mp4",
            "mdn_toy_pig.mp4"] in names
    assert ["sleap_flies_pair_0-40s.mp4", "sleap_gui_labeling_screen.mp4"] in names


def test_group_members_match_names_and_skip_empty_groups() -> None:
    clips = [Path("/v/toy_a.mp4"), Path("/v/toy_b.mp4"), Path("/v/flies.mp4"), Path("/v/x.mp4")]
    assert group_members(clips, [["toy_*"], ["flies.mp4", "screen.mp4"], ["none_*"]]) == [
        {Path("/v/toy_a.mp4"), Path("/v/toy_b.mp4")}, {Path("/v/flies.mp4")}]


def test_related_clips_are_never_reference_material() -> None:
    videos = data_file("MANIFEST.md").parent / "videos"
    clips = [(p, source_info(p).duration) for p in list_files(videos, VIDEO_SUFFIXES)]
    related = related_groups(videos)
    held = set().union(*group_members([p for p, _ in clips], related))
    assert len(held) == 6
    spec = BenchmarkSpec(max_reference_s=40.0, reference_s=(30.0, 50.0))
    for seed in range(8):
        groups, fillers = assign_roles(clips, np.random.default_rng(seed), 20, spec, True,
                                       related)
        in_refs = {p for g in groups for p in g}
        assert not in_refs & held
        assert held <= {p for p, _ in fillers}
        assert sorted(in_refs | {p for p, _ in fillers}) == sorted(p for p, _ in clips)
    # without the groups, some seed puts a related clip into a reference: the check can fail
    unguarded = [assign_roles(clips, np.random.default_rng(s), 20, spec, True)[0]
                 for s in range(8)]
    assert any({p for g in groups for p in g} & held for groups in unguarded)


def test_related_photos_finds_a_crop_and_a_recolour_but_not_strangers(tmp_path: Path) -> None:
    import cv2

    from vidtrace.synth.related import related_photos

    kodak = data_file("photos/kodak/kodim23.png").parent
    source = cv2.imread(str(kodak / "kodim23.png"))
    h, w = source.shape[:2]
    close_up = source[h // 5:h * 4 // 5, w // 4:w * 3 // 4]  # the middle, enlarged, warmer
    close_up = cv2.resize(close_up, None, fx=1.6, fy=1.6, interpolation=cv2.INTER_CUBIC)
    close_up = np.clip(close_up.astype(np.float32) * [0.8, 1.0, 1.2] + 10, 0, 255)
    cv2.imwrite(str(tmp_path / "parrots_close_up.jpg"), close_up.astype(np.uint8),
                [cv2.IMWRITE_JPEG_QUALITY, 80])
    photos = [kodak / "kodim23.png", tmp_path / "parrots_close_up.jpg",
              *(kodak / f"kodim{i:02d}.png" for i in (1, 5, 12, 20))]
    assert related_photos(photos) == [["kodim23.png", "parrots_close_up.jpg"]]
