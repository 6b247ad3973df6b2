"""`vidtrace bench`: measure the detector on a benchmark built from real footage. Parsing
only; the work is done by `vidtrace.bench` (`vidtrace eval` is in cli/formats.py)."""

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vidtrace.cli.console import out, stage_bars, user_errors

if TYPE_CHECKING:
    from vidtrace.bench.default import BenchPlan
    from vidtrace.settings import RunSettings


def bench(
    quick: Annotated[bool, typer.Option("--quick", help="The small benchmark (a few minutes "
                                        "on 2 cores) instead of the default one.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the benchmark's random choices.")] = 0,
    sources: Annotated[Path | None, typer.Option(help="Folder of source clips; default "
                       "$VIDTRACE_FOOTAGE, else ../shared/data/videos beside the repository, "
                       "else its clips/.")] = None,
    photos: Annotated[Path | None, typer.Option(help="Folder of photos for pan/zoom footage "
                      "and logos; default $VIDTRACE_PHOTOS, else ../shared/data/photos beside "
                      "the repository, else none.")] = None,
    no_photos: Annotated[bool, typer.Option("--no-photos", help="Use no photos: references "
                         "from clips only, text logos.")] = False,
    report: Annotated[Path | None, typer.Option("--out", help="JSON report to write; default "
                      "benchmarks/<quick|default>.json in the repository.")] = None,
    cache: Annotated[Path | None, typer.Option(help="Where built benchmarks are kept; default "
                     ".cache/bench in the repository.")] = None,
    predictions: Annotated[Path | None, typer.Option(help="Predictions JSONL to write; default "
                           "beside the report, <name>.predictions.jsonl.")] = None,
    ablation: Annotated[bool, typer.Option("--ablation", help="Run every stage-1 x stage-2 "
                        "combination, thresholds calibrated on a calibration split; report "
                        "default benchmarks/<name>-ablation.json.")] = False,
    calibration_seed: Annotated[int, typer.Option(help="Seed of the calibration split "
                                "(--ablation).")] = 2,
    set_: Annotated[list[str] | None, typer.Option("--set", help="KEY=VALUE: a setting "
                    "other than the default, e.g. --set pip_view=false or --set "
                    "descriptor=pdq; repeatable.")] = None,
    backends: Annotated[bool, typer.Option("--backends", help="Compare descriptor backends "
                        "and sampling modes, thresholds calibrated on the calibration split; "
                        "report default benchmarks/<name>-backends.json.")] = False,
    speed: Annotated[bool, typer.Option("--speed", help="Decode-only vs indexing throughput "
                     "per resolution and sampling mode, and search time against 1-500 hours of "
                     "synthetic references; report default benchmarks/speed.json.")] = False,
    only: Annotated[str | None, typer.Option("--only", metavar="search", help="With --speed: "
                    "run one part only: search (exact, hnsw and ivfpq on synthetic frames, no "
                    "footage needed); report default benchmarks/speed-search.json.")] = None,
    search_hours: Annotated[list[float] | None, typer.Option(
        "--search-hours", metavar="HOURS", help="With --speed: the synthetic library sizes of "
        "the search part \\[default: 1, 50, 500]; repeatable.")] = None,
    learned: Annotated[bool, typer.Option("--learned", help="The fast preset (a head on "
                       "sscd-fast, docs/learned.md) against sscd and plain sscd-fast on frames "
                       "and end to end over held-out footage, with its ablations (needs the "
                       "\\[train] extra); report default benchmarks/learned.json.")] = False,
    audio: Annotated[bool, typer.Option("--audio", help="Copies found by picture, by sound "
                     "and by both, per sound edit, with the query latency sound adds; needs "
                     "../shared/data/audio beside ../shared/data/videos; report default "
                     "benchmarks/sound.json (docs/audio.md).")] = False,
    faults: Annotated[bool, typer.Option("--faults", help="Kill -9 runs, concurrent writers, "
                      "a full disk, damaged files and read-only libraries, each run as "
                      "separate vidtrace processes on the shipped clips; report default "
                      "benchmarks/faults.json (docs/library.md).")] = False,
    scale: Annotated[bool, typer.Option("--scale", help="The stores at scale on synthetic "
                     "references with planted copies: build time, memory, latency p50/p95, "
                     "recall, measured and extrapolated; report default benchmarks/scale.json "
                     "(docs/scale.md).")] = False,
    run: Annotated[list[str] | None, typer.Option("--run", help="With --scale: BACKEND:HOURS"
                   "\\[,HOURS...] runs instead of the default plan (faiss:10,100 "
                   "milvus-lite:1,10); BACKEND faiss, milvus-lite or milvus; repeatable.")
                   ] = None,
    server: Annotated[str | None, typer.Option(help="With --scale: the Milvus server of the "
                      "milvus runs, milvus://HOST:PORT.")] = None,
    server_pid: Annotated[int | None, typer.Option(help="With --scale: the Milvus server's "
                          "process id, to report its memory.")] = None,
    run_timeout: Annotated[float, typer.Option(help="With --scale: seconds one run may take "
                           "before it is reported as not finished.", min=1)] = 900.0,
    dedup: Annotated[bool, typer.Option("--dedup", help="vidtrace dedup on synthetic "
                     "collections of 100 and 1,000 videos (time per video as the collection "
                     "grows) and on a collection made from the source clips (pairs F1, group "
                     "purity); report default benchmarks/dedup.json (docs/dedup.md).")] = False,
    config: Annotated[list[str] | None, typer.Option(help="With --backends: DESCRIPTOR"
                      "\\[:INDEX_SAMPLING\\[/QUERY_SAMPLING]] rows to run instead of the default "
                      "set, e.g. pdq or sscd:keyframes/fixed; repeatable.")] = None,
) -> None:
    """Build (or reuse) a benchmark from real footage, index and query it, report accuracy and
    speed."""
    from vidtrace.bench.default import BenchPlan, format_bench, run_bench
    from vidtrace.bench.provenance import default_report, write_report

    plan = BenchPlan.quick() if quick else BenchPlan.default()
    if speed:
        _speed(sources, report, cache, set_ or [], only, search_hours)
        return
    if learned:
        _learned(sources, report, cache)
        return
    if scale:
        _scale(report, cache, run, server, server_pid, run_timeout)
        return
    if faults:
        _faults(report, cache)
        return
    if dedup:
        from vidtrace.bench.dedup import format_dedup, run_dedup_bench

        _standalone_report("dedup", "vidtrace-dedup", sources, report, cache, format_dedup,
                           lambda src, cch, tick: run_dedup_bench(src, cch, progress=tick))
        return
    if audio:
        from vidtrace.bench.sound import format_sound, run_sound

        _standalone_report("sound", "vidtrace-sound", sources, report, cache, format_sound,
                           run_sound)
        return
    if ablation or backends:
        _ablation(plan, seed, calibration_seed, sources, photos, no_photos, report, cache,
                  backends, config or [], set_ or [])
        return
    with user_errors():
        path = report or default_report(plan.name)
        pred_path = predictions or path.with_name(f"{path.stem}.predictions.jsonl")
        command = shlex.join(["vidtrace", *sys.argv[1:]])
        settings = parse_settings(set_ or [])
        with stage_bars() as tick:
            doc = run_bench(plan, seed=seed, sources=sources, photos=photos,
                            no_photos=no_photos, cache=cache, settings=settings,
                            predictions=pred_path, command=command, progress=tick)
        write_report(doc, path)
    out.print(format_bench(doc), markup=False)
    out.print(f"report -> {path}; predictions -> {pred_path}", markup=False)


def parse_settings(items: list[str]) -> "RunSettings":
    """The default settings with --set KEY=VALUE changes (vidtrace.settings)."""
    from vidtrace.settings import DEFAULT_RUN, parse_assignments

    return DEFAULT_RUN.with_changes(**parse_assignments(items))


def _ablation(plan: "BenchPlan", seed: int, calibration_seed: int, sources: Path | None,
              photos: Path | None, no_photos: bool, report: Path | None, cache: Path | None,
              backends: bool, configs: list[str], set_: list[str]) -> None:
    """`--ablation`, or `--backends` with `configs` (default: the standard set)."""
    from vidtrace.bench.ablation import format_ablation
    from vidtrace.bench.backends import DEFAULT_CONFIGS, Config, format_backends
    from vidtrace.bench.default import run_ablation_bench
    from vidtrace.bench.provenance import default_report, write_report

    with user_errors():
        rows = [Config.parse(c) for c in configs] or list(DEFAULT_CONFIGS)
        settings = parse_settings(set_)
        kind = "backends" if backends else "ablation"
        path = report or default_report(f"{plan.name}-{kind}")
        command = shlex.join(["vidtrace", *sys.argv[1:]])
        with stage_bars() as tick:
            doc = run_ablation_bench(plan, seed=seed, calibration_seed=calibration_seed,
                                     sources=sources, photos=photos, no_photos=no_photos,
                                     cache=cache, command=command, progress=tick,
                                     settings=settings, backends=rows if backends else None)
        write_report(doc, path)
    out.print((format_backends if backends else format_ablation)(doc), markup=False)
    out.print(f"report -> {path}", markup=False)


def _speed(sources: Path | None, report: Path | None, cache: Path | None, set_: list[str],
           only: str | None = None, search_hours: list[float] | None = None) -> None:
    """`--speed`: `vidtrace.bench.speed` with the report's provenance; `only` "search": its
    search part alone (`vidtrace.bench.search`)."""
    from vidtrace.bench.search import SEARCH_HOURS, run_speed_search
    from vidtrace.bench.speed import format_speed, run_speed
    from vidtrace.errors import ConfigError

    with user_errors():
        settings = parse_settings(set_)
        if only not in (None, "search"):
            raise ConfigError(f"--only {only!r}: the one part --speed runs alone is search")
        if any(h <= 0 for h in search_hours or []):
            raise ConfigError("--search-hours: give positive numbers of hours")
    hours = tuple(search_hours or SEARCH_HOURS)
    if only == "search":
        _standalone_report("speed-search", "vidtrace-speed-search", sources, report, cache,
                           format_speed,
                           lambda src, cch, tick: run_speed_search(settings, hours, tick),
                           {"settings": settings.to_dict()})
        return
    _standalone_report("speed", "vidtrace-speed", sources, report, cache, format_speed,
                       lambda src, cch, tick: run_speed(src, cch, settings, search_hours=hours,
                                                        progress=tick),
                       {"settings": settings.to_dict()})


def _learned(sources: Path | None, report: Path | None, cache: Path | None) -> None:
    """`--learned`: `vidtrace.bench.learned` with the report's provenance (needs torch)."""
    from vidtrace.bench.learned import format_learned, run_learned
    from vidtrace.learn.train import need_torch

    with user_errors():
        need_torch()
    from vidtrace.bench.provenance import default_photos

    _standalone_report("learned", "vidtrace-learned", sources, report, cache, format_learned,
                       lambda src, cch, tick: run_learned(src, cch, default_photos(),
                                                          progress=tick))


def _scale(report: Path | None, cache: Path | None, runs: list[str] | None,
           server: str | None, server_pid: int | None, timeout_s: float = 900.0) -> None:
    """`--scale`: `vidtrace.bench.scale`; libraries are built in a temporary folder under the
    cache and removed; a run past `timeout_s` is reported as not finished."""
    from vidtrace.bench.scale import DEFAULT_PLAN, format_scale, parse_plan, run_scale

    with user_errors():
        plan = parse_plan(runs) if runs else list(DEFAULT_PLAN)
        where = server.rstrip("/") if server else None

    def measure(_sources: Path, work: Path, tick: Callable[[str, int, int], None]
                ) -> dict[str, Any]:
        work.mkdir(parents=True, exist_ok=True)
        return run_scale(work, plan, server=where, server_pid=server_pid, timeout_s=timeout_s,
                         progress=tick)

    _standalone_report("scale", "vidtrace-scale", None, report, cache, format_scale, measure)


def _faults(report: Path | None, cache: Path | None) -> None:
    """`--faults`: `vidtrace.bench.faults` on the shipped clips."""
    from vidtrace.bench.faults import format_faults, run_faults
    from vidtrace.bench.provenance import repository_root

    def run(_sources: Path, work: Path, tick: Callable[[str, int, int], None]
            ) -> dict[str, Any]:
        clips = (repository_root() or Path.cwd()) / "clips"
        files = sorted(p for p in clips.iterdir() if p.suffix in (".mp4", ".webm"))
        work.mkdir(parents=True, exist_ok=True)
        return run_faults(files, work, progress=tick)

    _standalone_report("faults", "vidtrace-faults", None, report, cache, format_faults, run)


def _standalone_report(
    name: str, report_format: str, sources: Path | None, report: Path | None,
    cache: Path | None, format_doc: Callable[[dict[str, Any]], str],
    run: Callable[[Path, Path, Callable[[str, int, int], None]], dict[str, Any]],
    extra_head: dict[str, Any] | None = None,
) -> None:
    """Run a report that needs no built benchmark (`--speed`, `--learned`): `run(sources,
    cache, progress)` under stage bars, its doc written after the provenance head (format
    `report_format`, version 1) to `report` or benchmarks/NAME.json, then printed."""
    from vidtrace.bench.provenance import (
        default_cache,
        default_report,
        default_sources,
        git_commit,
        provenance,
        write_report,
    )

    with user_errors():
        path = report or default_report(name)
        command = shlex.join(["vidtrace", *sys.argv[1:]])
        head = {**provenance(report_format, 1, name, command, git_commit()), **(extra_head or {})}
        with stage_bars() as tick:
            doc = run(sources or default_sources(), cache or default_cache(), tick)
        write_report({**head, **doc}, path)
    out.print(format_doc(doc), markup=False)
    out.print(f"report -> {path}", markup=False)
