"""Settings: every value checked once, when made; Enums for choices; one home for defaults."""

import math

import pytest

from vidtrace.errors import ConfigError
from vidtrace.settings import (
    DEFAULT_LIBRARY,
    DEFAULT_QUERY,
    FLAT_THRESHOLD,
    FineMode,
    IndexType,
    LibrarySettings,
    QuerySettings,
    Resources,
    RunSettings,
    Sampling,
    Stage1,
    Stage2,
    default_query,
    parse_assignments,
    split_changes,
)


@pytest.mark.parametrize(("cls", "field", "value", "message"), [
    (LibrarySettings, "index_fps", math.inf, "index_fps must be a finite number, got inf"),
    (LibrarySettings, "index_fps", math.nan, "index_fps must be a finite number, got nan"),
    (LibrarySettings, "index_fps", 0.0, "index_fps must lie in"),
    (LibrarySettings, "index_fps", "fast", "index_fps must be a number, got 'fast'"),
    (LibrarySettings, "short_side", 2.5, "short_side must be a whole number"),
    (LibrarySettings, "crop_borders", 1, "crop_borders must be true or false"),
    (LibrarySettings, "index_sampling", "dense",
     "index_sampling must be one of fixed, keyframes, scene, got 'dense'"),
    (LibrarySettings, "index_type", "hnsw2", "index_type must be one of auto, flat, hnsw, ivfpq"),
    (LibrarySettings, "descriptor", "", "descriptor must be a non-empty text"),
    (LibrarySettings, "hnsw_m", 2, "hnsw_m must lie in [4, 256], got 2"),
    (LibrarySettings, "hnsw_ef_construction", 16.5, "hnsw_ef_construction must be a whole"),
    (QuerySettings, "ef_search", 0, "ef_search must lie in [1, 65536], got 0"),
    (QuerySettings, "query_fps", -1.0, "query_fps must lie in"),
    (QuerySettings, "match_threshold", 1.5, "match_threshold must lie in [0, 1]"),
    (QuerySettings, "short_threshold", -0.1, "short_threshold must lie in [0, 1]"),
    (QuerySettings, "knn_k", True, "knn_k must be a number, got True"),
    (QuerySettings, "stage1", "random", "stage1 must be one of vote, bipartite, orb-rerank"),
    (QuerySettings, "fine", "sometimes", "fine must be one of off, library, decode"),
    (QuerySettings, "pip_view", "yes", "pip_view must be true or false"),
    (Resources, "threads", -1, "threads must lie in"),
])
def test_a_bad_value_is_refused_naming_the_setting(cls: type, field: str, value: object,
                                                   message: str) -> None:
    with pytest.raises(ConfigError, match=f"setting {message}".replace("[", r"\[")):
        cls(**{field: value})


def test_relations_between_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="max_long_side must be at least short_side"):
        LibrarySettings(short_side=400, max_long_side=300)
    with pytest.raises(ConfigError, match=r"fine_fps .* must be 0 .none. or at least index_fps"):
        LibrarySettings(index_fps=2.0, fine_fps=1.0)
    with pytest.raises(ConfigError, match="min_speed must not exceed max_speed"):
        QuerySettings(min_speed=1.5, max_speed=1.2)


def test_choices_are_enums_made_from_their_text() -> None:
    q = QuerySettings(stage1="bipartite", stage2="lis", fine="decode", query_sampling="scene")
    assert (q.stage1, q.stage2, q.fine, q.query_sampling) == (
        Stage1.BIPARTITE, Stage2.LIS, FineMode.DECODE, Sampling.SCENE)
    assert LibrarySettings(index_type="ivfpq").index_type is IndexType.IVFPQ
    assert LibrarySettings(index_type="hnsw").index_type is IndexType.HNSW
    assert q.to_dict()["stage1"] == "bipartite" and type(q.to_dict()["stage1"]) is str
    # whole numbers given as floats and ints given for floats become the field's type
    assert LibrarySettings(short_side=320.0).short_side == 320
    assert type(LibrarySettings(index_fps=2).index_fps) is float


def test_stored_settings_round_trip_and_name_what_is_wrong() -> None:
    assert LibrarySettings.from_dict(DEFAULT_LIBRARY.to_dict()) == DEFAULT_LIBRARY
    assert QuerySettings.from_dict(DEFAULT_QUERY.to_dict() | {"from_a_newer_version": 1}) == (
        DEFAULT_QUERY)
    assert QuerySettings.from_dict({"knn_k": 5}).knn_k == 5  # missing keys take defaults
    with pytest.raises(ConfigError, match=r"manifest\.json query: setting knn_k must be a number"):
        QuerySettings.from_dict({"knn_k": "ten"}, "manifest.json query")
    with pytest.raises(ConfigError, match="expected an object of settings"):
        QuerySettings.from_dict([1, 2], "x")  # type: ignore[arg-type]


def test_flat_changes_go_to_their_own_settings() -> None:
    lib, query, res = split_changes({"index_type": "ivfpq", "pip_view": False, "threads": 1})
    assert (lib, query, res) == ({"index_type": "ivfpq"}, {"pip_view": False}, {"threads": 1})
    with pytest.raises(ConfigError, match=r"unknown setting.*warp_speed"):
        split_changes({"warp_speed": 9})
    run = RunSettings.of(fine_fps=5.0, fine_decode_fps=4.0, stage2="lis", batch_size=8)
    assert run.library.fine_fps == 5.0 and run.query.fine_decode_fps == 4.0
    assert run.query.stage2 is Stage2.LIS and run.resources.batch_size == 8
    assert run.to_dict()["stage2"] == "lis" and run.to_dict()["fine_fps"] == 5.0


def test_command_line_assignments_take_each_settings_type() -> None:
    got = parse_assignments(["pip_view=off", "stage2=interp", "query_fps=1", "knn_k=7"])
    assert got == {"pip_view": False, "stage2": Stage2.INTERP, "query_fps": 1.0, "knn_k": 7}
    with pytest.raises(ConfigError, match="'maybe' is not true or false"):
        parse_assignments(["pip_view=maybe"])
    with pytest.raises(ConfigError, match="give KEY=VALUE"):
        parse_assignments(["pip_view"])
    with pytest.raises(ConfigError, match="'x' is not a valid int"):
        parse_assignments(["knn_k=x"])


def test_a_library_refuses_other_settings_than_its_own() -> None:
    lib = LibrarySettings(index_fps=2.0)
    lib.refuse_changes({"index_fps": 2, "descriptor": "sscd"}, "L")  # the same: fine
    with pytest.raises(ConfigError, match=r"L: was built with index_fps = 2\.0, not 1\.0"):
        lib.refuse_changes({"index_fps": 1.0}, "L")


def test_without_views_turns_every_extra_view_off_and_nothing_else() -> None:
    every = QuerySettings(pip_view=True, canvas_view=True, mirror_view=True, turn_view=True,
                          query_fps=3.0)
    bare = every.without_views()
    assert every.views and not bare.views
    assert bare.with_changes(pip_view=True, canvas_view=True, mirror_view=True,
                             turn_view=True) == every


def test_a_library_stored_before_the_short_threshold_keeps_its_flat_threshold() -> None:
    # libraries stored match_threshold alone (0.42, or a calibrated value); the short one
    # takes its default, 0.42, so a stored 0.42 stays one flat threshold, as it was
    older = {k: v for k, v in DEFAULT_QUERY.to_dict().items() if k != "short_threshold"}
    stored = QuerySettings.from_dict(older | {"match_threshold": 0.42})
    assert [stored.threshold().required(n) for n in (3, 12, 100)] == [0.42, 0.42, 0.42]
    # a new library: 0.31 for a long segment, 0.42 for one of min_hits frames
    new = DEFAULT_QUERY.threshold()
    assert new.required(DEFAULT_QUERY.min_hits) == pytest.approx(DEFAULT_QUERY.short_threshold)
    assert new.required(10**6) == pytest.approx(DEFAULT_QUERY.match_threshold, abs=1e-3)
    assert DEFAULT_QUERY.threshold(0.5).required(3) == 0.5  # a raised threshold is flat


def test_a_new_library_of_another_descriptor_starts_with_one_flat_threshold() -> None:
    # the rule by matched frames was calibrated on sscd's similarities; other descriptors
    # score on other scales and keep one flat threshold until `vidtrace calibrate`
    sscd = default_query(DEFAULT_LIBRARY)
    assert sscd == DEFAULT_QUERY and sscd.threshold().required(3) > sscd.threshold().required(300)
    for name in ("sscd-fast", "pdq", "sift-fv", "fast", "sscd+sift-fv"):
        other = default_query(DEFAULT_LIBRARY.with_changes(descriptor=name))
        assert other.threshold().required(3) == other.threshold().required(300) == FLAT_THRESHOLD
        assert other.with_changes(match_threshold=sscd.match_threshold,
                                  short_threshold=sscd.short_threshold) == DEFAULT_QUERY
    fine = default_query(DEFAULT_LIBRARY.with_changes(fine_fps=4.0))
    assert fine == DEFAULT_QUERY.with_changes(fine=FineMode.LIBRARY)
