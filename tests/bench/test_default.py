"""The benchmark runner end to end on a tiny benchmark of the shipped clips, and `vidtrace eval`
on hand-made files."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import CLIPS
from vidtrace.bench.default import (
    BenchPlan,
    benchmark_key,
    format_bench,
    prepare_benchmark,
    run_bench,
)
from vidtrace.bench.provenance import default_photos, default_sources, write_report
from vidtrace.cli.main import app
from vidtrace.groundtruth import read_ground_truth, write_ground_truth
from vidtrace.synth import BenchmarkSpec
from vidtrace.types import CopySegment, QueryTruth

runner = CliRunner()

# 2 references from 2 short clips, 4 queries (1 negative) of 3-5 s copies with one edit each,
# small frames: builds and runs in well under a minute on 2 cores.
TINY = BenchPlan("tiny", 2, 4, 0.25, BenchmarkSpec(
    reference_share=0.5, max_reference_s=20.0, copy_s=(3.0, 5.0), filler_s=(1.0, 2.0),
    max_copies=1, n_edits=(1, 1), reference_size=(320, 180), query_short_side=180))


@pytest.fixture(scope="module")
def shipped_clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder linking the four short shipped clips: flower 5.1 s, friday 6.2 s, stream of
    water 3.1 s, highway 8.8 s (the 30 s Big Buck Bunny left out for speed)."""
    folder = tmp_path_factory.mktemp("clips")
    for name in ("mdn_flower.mp4", "mdn_friday_1940.mp4", "mdn_stream_of_water.webm",
                 "udacity_highway_lanes.mp4"):
        (folder / name).symlink_to(CLIPS / name)
    return folder


@pytest.fixture(scope="module")
def tiny_report(shipped_clips: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> tuple[dict, Path]:
    """`run_bench` of TINY (seed 1) on the shipped clips, no photos: (report, cache folder)."""
    work = tmp_path_factory.mktemp("bench")
    report = run_bench(TINY, seed=1, sources=shipped_clips, no_photos=True, cache=work / "cache",
                       predictions=work / "tiny.predictions.jsonl", command="vidtrace bench")
    return report, work / "cache"


def test_report_has_real_accuracy_and_speed(tiny_report: tuple[dict, Path]) -> None:
    report, _ = tiny_report
    evaluation, speed, sizes = report["evaluation"], report["speed"], report["sizes"]
    assert sizes["references"] == 2 and sizes["queries"] == 4
    assert sizes["positives"] == 3 and sizes["negatives"] == 1
    assert 0 < evaluation["overall"]["top1"] <= 1
    assert evaluation["counts"]["queries"] == 4
    assert 0 < speed["query_latency_mean_s"] <= speed["query_latency_max_s"]
    assert 0 < speed["query_latency_p95_s"] <= speed["query_latency_max_s"]
    assert speed["index_speed"] > 0 and speed["index_s"] > 0
    assert speed["bytes_per_reference_hour"] > 0 and speed["library_bytes"] > 0
    assert 50 < speed["peak_rss_mb"] < 64_000
    hours = sizes["reference_s"] / 3600
    assert speed["bytes_per_reference_hour"] == pytest.approx(speed["library_bytes"] / hours,
                                                              rel=0.01)
    assert report["machine"]["cores"] >= 1 and report["machine"]["python"].startswith("3.")
    assert report["command"] == "vidtrace bench" and report["benchmark"]["built_now"]
    json.dumps(report, allow_nan=False)  # plain JSON, no NaN


def test_predictions_file_is_query_json_lines(tiny_report: tuple[dict, Path]) -> None:
    report, _ = tiny_report
    gt = Path(report["benchmark"]["folder"]) / "groundtruth.json"
    lines = [json.loads(x) for x in Path(report["predictions"]).read_text().splitlines()]
    assert [row["query"] for row in lines] == [q.query for q in read_ground_truth(gt)]
    for row in lines:
        assert set(row) == {"query", "matches"}
        for m in row["matches"]:
            assert list(m) == ["reference", "query_start", "query_end", "reference_start",
                               "reference_end", "score", "evidence", "frames"]
    result = runner.invoke(app, ["eval", str(gt), report["predictions"], "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["overall"] == report["evaluation"]["overall"]


def test_second_run_reuses_the_cached_benchmark(tiny_report: tuple[dict, Path],
                                                shipped_clips: Path) -> None:
    report, cache = tiny_report
    gt, build_s, built_now = prepare_benchmark(shipped_clips, None, TINY, seed=1, cache=cache)
    assert not built_now and gt.parent == Path(report["benchmark"]["folder"])
    assert build_s == report["benchmark"]["build_s"] > 0  # as recorded by the first build
    files = sorted(shipped_clips.iterdir())
    assert gt.parent.name == benchmark_key(TINY, 1, files)
    assert benchmark_key(TINY, 2, files) != gt.parent.name
    assert benchmark_key(TINY, 1, files[:3]) != gt.parent.name


def test_report_text_and_file(tiny_report: tuple[dict, Path], tmp_path: Path) -> None:
    report, _ = tiny_report
    text = format_bench(report)
    assert "F1@3s" in text and "query latency" in text and "MB per reference hour" in text
    out = tmp_path / "benchmarks" / "tiny.json"
    write_report(report, out)
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))


def test_default_footage_follows_the_environment(tmp_path: Path) -> None:
    env = {"VIDTRACE_FOOTAGE": str(tmp_path / "v"), "VIDTRACE_PHOTOS": str(tmp_path / "p")}
    assert default_sources(env) == tmp_path / "v"
    assert default_photos(env) == tmp_path / "p"
    found = default_sources({})
    assert found.is_dir() and found.name in ("videos", "clips")


def test_bench_sizes_are_as_documented() -> None:
    quick, default = BenchPlan.quick(), BenchPlan.default()
    assert 4 <= quick.n_references <= 5 and 20 <= quick.n_queries <= 30
    assert default.n_references >= 20 and default.n_queries >= 150
    assert quick.spec.whole_share > 0 and default.spec.whole_share > 0


def test_cache_key_follows_the_related_groups(tmp_path: Path) -> None:
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"x")
    plan = BenchPlan.quick()
    plain = benchmark_key(plan, 0, [clip])
    assert benchmark_key(plan, 0, [clip], ()) == plain
    grouped = benchmark_key(plan, 0, [clip], [["mdn_toy_*"]])
    assert grouped != plain and grouped.startswith("quick-seed0-")
    assert benchmark_key(plan, 0, [clip], [["mdn_toy_*"], ["x.mp4"]]) != grouped


# Hand-made files for `vidtrace eval`. q1 is found within 0.5 s (a hit at 3 s and 5 s); q2's
# prediction ends 4 s late (a miss at 3 s: one FP and one FN; a hit at 5 s); the negative q3 has
# one prediction (an FP at both tolerances).
#   F1@3s: tp 1, fp 2, fn 1 -> 2 / (2 + 2 + 1) = 0.4.   F1@5s: tp 2, fp 1, fn 0 -> 0.8.
EVAL_TRUTH = [
    QueryTruth("queries/q1.mp4", 30, (CopySegment("a", 0, 10, 20, 30),), ({"kind": "blur"},)),
    QueryTruth("queries/q2.mp4", 30, (CopySegment("b", 5, 15, 0, 10),), ({"kind": "crop"},)),
    QueryTruth("queries/q3.mp4", 30, (), ({"kind": "crop"},)),
]
EVAL_LINES = [
    {"query": "q1.mp4", "matches": [{"reference": "a", "query_start": 0.5, "query_end": 10.5,
                                     "reference_start": 20.5, "reference_end": 30.5,
                                     "score": 0.9}]},
    {"query": "elsewhere/q2.mp4", "matches": [{"reference": "b", "query_start": 5.0,
                                               "query_end": 19.0, "reference_start": 0.0,
                                               "reference_end": 14.0, "score": 0.8}]},
    {"query": "q3.mp4", "matches": [{"reference": "a", "query_start": 0.0, "query_end": 5.0,
                                     "reference_start": 0.0, "reference_end": 5.0,
                                     "score": 0.7}]},
]


@pytest.fixture
def eval_files(tmp_path: Path) -> tuple[Path, Path]:
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.jsonl"
    write_ground_truth(gt, EVAL_TRUTH)
    pred.write_text("".join(json.dumps(row) + "\n" for row in EVAL_LINES))
    return gt, pred


def test_eval_prints_the_table(eval_files: tuple[Path, Path]) -> None:
    gt, pred = eval_files
    result = runner.invoke(app, ["eval", str(gt), str(pred)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    header = lines[0].split()
    assert header[:4] == ["group", "n", "F1@3s", "F1@5s"]
    overall = next(line for line in lines if line.startswith("overall")).split()
    assert overall[1:4] == ["3", "0.400", "0.800"]
    crop = next(line for line in lines if line.startswith("edit: crop")).split()
    assert crop[2:5] == ["2", "0.000", "1.000"]  # q2 alone: a miss at 3 s, a hit at 5 s


def test_eval_json_and_tolerance_option(eval_files: tuple[Path, Path]) -> None:
    gt, pred = eval_files
    result = runner.invoke(app, ["eval", str(gt), str(pred), "--json", "--tolerance", "2",
                                 "--tolerance", "4"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["tolerances_s"] == [2.0, 4.0]
    assert doc["overall"]["competition"]["2"]["f1"] == pytest.approx(0.4)
    assert doc["overall"]["competition"]["4"]["f1"] == pytest.approx(0.8)  # q2's 4 s now hits
    assert doc["overall"]["fpr"] == 1.0


def test_eval_names_a_missing_file(eval_files: tuple[Path, Path], tmp_path: Path) -> None:
    gt, _ = eval_files
    result = runner.invoke(app, ["eval", str(gt), str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1
    assert "none.jsonl: no such predictions file" in result.output
    assert "Traceback" not in result.output


def test_ablation_runs_every_combination_calibrated_on_the_other_split(
    shipped_clips: Path, tmp_path: Path
) -> None:
    from vidtrace.bench.ablation import format_ablation
    from vidtrace.bench.default import run_ablation_bench
    from vidtrace.evaluate.calibrate import GRID
    from vidtrace.settings import Stage1, Stage2

    kwargs = {"seed": 1, "calibration_seed": 3, "sources": shipped_clips, "no_photos": True,
              "cache": tmp_path / "cache"}
    doc = run_ablation_bench(TINY, **kwargs)
    rows = doc["rows"]
    combos = [r for r in rows if r["calibration"] is not None]
    assert [(r["stage1"], r["stage2"]) for r in combos] == [
        (a.value, b.value) for a in Stage1 for b in Stage2]
    for r in combos:
        assert r["threshold"] in GRID.tolist()
        assert r["queries"] == 4 and 0.0 <= (r["f1_3s"] or 0.0) <= 1.0
        assert r["latency_mean_s"] > 0
        # the calibration curve is the other split's: its chosen F1 is one of its rows
        assert [r["threshold"], round(r["calibration"]["f1"], 4)] in [
            c[:2] for c in r["calibration"]["curve"]]
    best = doc["best"]
    assert max(r["f1_3s"] or 0.0 for r in combos) == next(
        r["f1_3s"] or 0.0 for r in combos
        if (r["stage1"], r["stage2"]) == (best["stage1"], best["stage2"]))
    fine = [r["fine"] for r in rows if r["calibration"] is None]
    assert fine == ["library", "decode", "off", "library"]
    assert doc["fine_bytes_per_reference_hour"] > 0
    assert "stage 1" in format_ablation(doc)
    # both splits' libraries and described queries are cached: a second run only matches
    for seed in (1, 3):
        (folder,) = (tmp_path / "cache").glob(f"tiny-seed{seed}-*")
        assert len(list(folder.glob("ablation-library-*"))) == 1
        assert len(list(folder.glob("ablation-queries-*.npz"))) == 1
    again = run_ablation_bench(TINY, **kwargs)
    assert [(r["f1_3s"], r["threshold"]) for r in again["rows"]] == [
        (r["f1_3s"], r["threshold"]) for r in rows]


def test_ablation_refuses_one_seed_for_both_splits(shipped_clips: Path, tmp_path: Path) -> None:
    from vidtrace.bench.default import run_ablation_bench
    from vidtrace.errors import ConfigError

    with pytest.raises(ConfigError, match="calibration"):
        run_ablation_bench(TINY, seed=1, calibration_seed=1, sources=shipped_clips,
                           no_photos=True, cache=tmp_path)


def test_backend_table_calibrates_each_row_on_the_other_split(
    shipped_clips: Path, tmp_path: Path
) -> None:
    from vidtrace.bench.backends import HIT_FLOORS, Config, format_backends
    from vidtrace.bench.default import run_ablation_bench

    configs = [Config.parse("pdq"), Config.parse("pdq:keyframes/fixed"),
               Config.parse("pdq:keyframes")]
    assert configs[1] == Config("pdq", "keyframes", "fixed")
    assert Config.parse("sscd:scene") == Config("sscd", "scene", "scene")
    kwargs = {"seed": 1, "calibration_seed": 3, "sources": shipped_clips, "no_photos": True,
              "cache": tmp_path / "cache", "backends": configs}
    doc = run_ablation_bench(TINY, **kwargs)
    assert doc["format"] == "vidtrace-backends"
    fixed, keyframes, both = doc["rows"]
    for r in (fixed, keyframes, both):
        assert r["descriptor"] == "pdq" and r["hit_floor"] in HIT_FLOORS
        assert r["queries"] == 4 and r["index_speed"] > 0
        assert [r["threshold"], round(r["calibration"]["f1"], 4)] in [
            c[:2] for c in r["calibration"]["curve"]]
        assert r["bytes_per_reference_hour"] > 0  # a tiny library is mostly SQLite's pages
    # key frames only: fewer reference frames than one a second
    assert keyframes["reference_frames"] < fixed["reference_frames"]
    assert "pdq" in format_backends(doc) and "keyframes/fixed" in format_backends(doc)
    # one library per reference sampling, one query description per query sampling, even
    # though the key-frame library was cached by a row with fixed queries
    (folder,) = (tmp_path / "cache").glob("tiny-seed1-*")
    assert len(list(folder.glob("ablation-library-*"))) == 2
    assert len(list(folder.glob("ablation-queries-*.npz"))) == 2


def test_backend_config_keeps_a_learned_head_whole() -> None:
    from vidtrace.bench.backends import Config

    assert Config.parse("learned:/x/head.npz") == Config("learned:/x/head.npz")
    assert Config.parse("learned:/x/head.npz:scene/fixed") == Config("learned:/x/head.npz",
                                                                     "scene", "fixed")
    assert Config.parse("sscd+learned:/h.npz:keyframes") == Config("sscd+learned:/h.npz",
                                                                   "keyframes", "keyframes")


def test_eval_warns_of_queries_it_cannot_score(eval_files: tuple[Path, Path]) -> None:
    gt, pred = eval_files
    rows = [row for row in EVAL_LINES if row["query"] != "q3.mp4"]
    rows += [{"query": "q3.mp4", "error": "q3.mp4: corrupt"},
             {"query": "stray.mp4", "matches": []}]
    pred.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = runner.invoke(app, ["eval", str(gt), str(pred)])
    assert result.exit_code == 0
    assert ("warning: 1 queries failed (their error lines are scored as finding nothing): "
            "q3.mp4") in result.stderr
    assert ("warning: 1 predictions are for queries the ground truth does not list (not "
            "scored): stray.mp4") in result.stderr
    doc = json.loads(runner.invoke(app, ["eval", str(gt), str(pred), "--json"]).stdout)
    assert doc["problems"] == {"failed": ["q3.mp4"], "missing": [], "unknown": ["stray.mp4"]}
