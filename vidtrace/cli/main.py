"""`vidtrace` commands: index, query, info, remove (and the synth/eval/bench/train groups)."""

import json
import math
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, TaskID

from vidtrace.cli import usage
from vidtrace.cli.console import (
    count,
    err,
    expand_paths,
    fail,
    out,
    print_error,
    progress_bar,
    user_errors,
)
from vidtrace.errors import VidtraceError
from vidtrace.settings import (
    DEFAULT_LIBRARY,
    DEFAULT_QUERY,
    AudioMode,
    FineMode,
    IndexType,
    Sampling,
    Stage1,
    Stage2,
    short_frames,
    threshold_rule_applies,
)

usage.install()
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Find which parts of a video are copies of which parts of which reference videos.",
)

LibArg = Annotated[str, typer.Argument(
    help="Library: a folder, milvus://HOST:PORT/NAME or milvus-lite://PATH.db.", metavar="LIB")]
WaitOpt = Annotated[float, typer.Option(
    help="Seconds to wait for another process writing to the library (0: fail at once).",
    min=0.0)]


@app.command()
def index(
    library: LibArg,
    paths: Annotated[list[Path], typer.Argument(help="Video files or folders of videos.")],
    video_id: Annotated[str | None, typer.Option("--id", help="Reference id (one file only); "
                                                 "default: the file name without suffix.")] = None,
    descriptor: Annotated[str | None, typer.Option(
        help="Descriptor backend of a new library: a name, a fusion such as sscd+pdq, or a "
        f"trained head learned:HEAD.npz \\[default: {DEFAULT_LIBRARY.descriptor}]."
    )] = None,
    fps: Annotated[float | None, typer.Option(
        help=f"Frames per second sampled, new library \\[default: {DEFAULT_LIBRARY.index_fps}]."
    )] = None,
    fine_fps: Annotated[float | None, typer.Option(
        help="Also store frames at this finer rate for stage 2's refinement, new library "
        f"(0: none) \\[default: {DEFAULT_LIBRARY.fine_fps:g}]."
    )] = None,
    sampling: Annotated[Sampling | None, typer.Option(
        help="Which frames to describe, new library: fixed (every 1/fps s), keyframes (key "
        "frames only, at most fps per second) or scene (on content change) "
        f"\\[default: {DEFAULT_LIBRARY.index_sampling}]."
    )] = None,
    wait: WaitOpt = 0.0,
    jobs: Annotated[int, typer.Option(
        help="Describe this many files at once, in worker processes sharing the threads.",
        min=1)] = 1,
    cluster: Annotated[str | None, typer.Option(
        help="Describe on a Dask cluster: tcp://SCHEDULER:8786 or local:N (N worker "
        "processes here); needs the [dask] extra (docs/scale.md).", metavar="ADDRESS")] = None,
    index_type: Annotated[IndexType | None, typer.Option(
        help="Search index, new library: flat (exact), hnsw (graph, approximate, fast, more "
        "memory), ivfpq (compressed, approximate, for millions of frames) or auto (flat below "
        "50,000 frames, hnsw up to 1 GiB of index, ivfpq beyond; docs/speed.md) "
        f"\\[default: {DEFAULT_LIBRARY.index_type}]."
    )] = None,
) -> None:
    """Add reference videos to a library (created if missing). Re-adding a file is a no-op."""
    from vidtrace.api import AddStatus, Library

    files = expand_paths(paths)
    if not files:
        raise fail("no video files found in the given paths")
    if video_id is not None and len(files) != 1:
        raise fail("--id names one reference; give exactly one video file with it")
    failed: list[Path] = []

    def report(path: Path, e: Exception) -> None:
        failed.append(path)
        print_error(str(e))

    start = time.perf_counter()
    with user_errors():
        if descriptor is not None:
            from vidtrace.descriptors.registry import canonical_descriptor

            descriptor = canonical_descriptor(descriptor)
        changes = {k: v for k, v in (("descriptor", descriptor), ("index_fps", fps),
                                     ("fine_fps", fine_fps), ("index_sampling", sampling),
                                     ("index_type", index_type))
                   if v is not None}
        lib = Library.open_or_create(library, DEFAULT_LIBRARY.with_changes(**changes))
        lib.settings.refuse_changes(changes, str(library))
        with progress_bar() as bar:
            task = bar.add_task("videos", total=len(files), rate="")
            seen: list[Path] = []
            done_s = [0.0, 0.0]  # seconds of video in finished files, in the current one

            def per_file(path: Path):  # type: ignore[no-untyped-def]
                if seen:
                    bar.advance(task)
                seen.append(path)
                done_s[0] += done_s[1]
                done_s[1] = 0.0
                bar.update(task, description=path.name[:40])

                def tick(seconds: float) -> None:  # seconds into this file (jobs: its length)
                    done_s[1] = seconds
                    speed = sum(done_s) / max(time.perf_counter() - start, 1e-9)
                    bar.update(task, rate=f"{speed:.1f}x real time")
                return tick

            results = lib.add(files, [video_id] * len(files), on_error=report, wait=wait,
                              on_wait=lambda message: err.print(message, markup=False),
                              progress=per_file, jobs=jobs, cluster=cluster)
        lib.close()
    elapsed = time.perf_counter() - start
    added = [r for r in results if r.status is AddStatus.ADDED]
    seconds = sum(r.duration for r in added)
    done = (f"{len(added)} added ({seconds:.2f} s of video in {elapsed:.1f} s, "
            f"{seconds / max(elapsed, 1e-9):.1f}x real time)" if added else "nothing new to add")
    out.print(f"{done}, {len(results) - len(added)} unchanged, {len(failed)} failed -> "
              f"{library}")
    if failed:
        raise typer.Exit(1)


@app.command()
def query(
    library: LibArg,
    paths: Annotated[list[Path], typer.Argument(help="Query video files or folders.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per query per line.")
                       ] = False,
    out_format: Annotated[str | None, typer.Option("--format", help="json (as --json) or vsc "
                          "(VSC 2022 matching CSV: query_id,ref_id,query_start,query_end,"
                          "ref_start,ref_end,score).")] = None,
    stage1: Annotated[Stage1 | None, typer.Option(
        help="Candidate ranking: vote, bipartite or orb-rerank \\[default: the library's, "
        f"{DEFAULT_QUERY.stage1}].")] = None,
    stage2: Annotated[Stage2 | None, typer.Option(
        help="Alignment: lis, interp or hough \\[default: the library's, "
        f"{DEFAULT_QUERY.stage2}].")] = None,
    threshold: Annotated[float | None, typer.Option(
        help="Lowest score a long segment needs; one of few matched frames needs more, up to "
        "the library's short_threshold \\[default: the library's calibrated one].")] = None,
    fine: Annotated[FineMode | None, typer.Option(
        help="Refine segments at the fine rate from rows stored in the library (library), "
        "from the reference files (decode), or not (off) \\[default: the library's].")] = None,
    pip_view: Annotated[bool | None, typer.Option(
        "--pip-view/--no-pip-view", help="Also describe a detected picture-in-picture inset, "
        "and the picture beside it, as extra views (docs/pip.md) \\[default: the library's, "
        "on].")] = None,
    mirror_view: Annotated[bool | None, typer.Option(
        "--mirror-view/--no-mirror-view", help="Also describe every frame flipped left to "
        "right, for mirrored copies (docs/views.md) \\[default: the library's, off].")] = None,
    turn_view: Annotated[bool | None, typer.Option(
        "--turn-view/--no-turn-view", help="Also describe the frames of windows whose picture "
        "is turned (a rotated copy) turned back (docs/views-generalise.md) \\[default: the "
        "library's, on].")] = None,
    sampling: Annotated[Sampling | None, typer.Option(
        help="Which query frames to describe: fixed, keyframes or scene \\[default: the "
        f"library's, {DEFAULT_QUERY.query_sampling}].")] = None,
    nprobe: Annotated[int | None, typer.Option(
        help="Inverted lists an ivfpq index searches: more finds more, slower \\[default: the "
        f"library's, {DEFAULT_QUERY.nprobe}].")] = None,
    ef_search: Annotated[int | None, typer.Option(
        help="Candidates an hnsw index keeps while searching: more finds more, slower "
        f"\\[default: the library's, {DEFAULT_QUERY.ef_search}].")] = None,
    audio: Annotated[AudioMode | None, typer.Option(
        help="Match the soundtrack too (on), not at all (off), or alone (only) "
        "(docs/audio.md) \\[default: the library's, on].")] = None,
    no_audio: Annotated[bool, typer.Option(
        "--no-audio", help="Ignore sound: the picture alone (as --audio off).")] = False,
) -> None:
    """Find the copied segments of each query video."""
    from vidtrace.api import Library
    from vidtrace.cli.formats import vsc_writer

    files = expand_paths(paths)
    if not files:
        raise fail("no video files found in the given paths")
    errors = copies = segments = 0
    start = time.perf_counter()
    with user_errors():
        vsc = vsc_writer(out_format)
        as_json = as_json or out_format == "json"
        lib = Library.open(library)
        changes = {k: v for k, v in (
            ("stage1", stage1), ("stage2", stage2), ("match_threshold", threshold),
            ("fine", fine), ("pip_view", pip_view), ("mirror_view", mirror_view),
            ("turn_view", turn_view),
            ("query_sampling", sampling), ("nprobe", nprobe), ("ef_search", ef_search),
            ("audio", AudioMode.OFF if no_audio else audio)) if v is not None}
        settings = lib.query_defaults.with_changes(**changes)
        lib.sources(settings, None)  # a fine mode the library cannot serve fails here, once
        lib.descriptor  # noqa: B018 - load the model once, up front, so errors show early
        with progress_bar() as bar:
            task = bar.add_task("queries", total=len(files), rate="")
            for f in files:
                bar.update(task, description=f.name[:40])

                def tick(seconds: float, bar: Progress = bar, task: TaskID = task) -> None:
                    bar.update(task, rate=f"{seconds:.0f} s")

                try:
                    matches = lib.query(f, settings, progress=tick)
                except VidtraceError as e:
                    errors += 1
                    if as_json and vsc is None:
                        print(json.dumps({"query": str(f), "error": str(e)}), flush=True)
                    else:
                        print_error(str(e))
                    bar.advance(task)
                    continue
                bar.advance(task)
                copies += bool(matches)
                segments += len(matches)
                if vsc is not None:
                    vsc.write(f, matches)
                elif as_json:
                    print(json.dumps({"query": str(f),
                                      "matches": [m.to_json() for m in matches]}), flush=True)
                else:
                    _print_matches(f, matches)
        lib.close()
    if len(files) > 1:
        summary = (f"{count(len(files), 'query', 'queries')}: {copies} with copied segments "
                   f"({segments} in all), "
                   f"{len(files) - copies - errors} without, {errors} failed, in "
                   f"{time.perf_counter() - start:.1f} s")
        (err if as_json or vsc is not None else out).print(summary, markup=False)
    if errors:
        raise typer.Exit(1)


@app.command()
def calibrate(
    library: LibArg,
    ground_truth: Annotated[Path, typer.Argument(help="Ground-truth JSON of labelled queries "
                            "(`vidtrace synth` / `vidtrace bench` format) whose references are "
                            "in the library; query paths are relative to its folder.")],
    max_fpr: Annotated[float, typer.Option(help="Largest share of negative queries allowed a "
                       "match.")] = 0.01,
) -> None:
    """Choose the score threshold on labelled queries and store it in the library."""
    from vidtrace.api import Library
    from vidtrace.evaluate.calibrate import calibrate_threshold
    from vidtrace.groundtruth import read_ground_truth
    from vidtrace.types import Match

    with user_errors():
        truth = read_ground_truth(ground_truth)
        lib = Library.open(library)
        predictions: dict[str, list[Match] | None] = {}
        with progress_bar() as bar:
            task = bar.add_task("queries", total=len(truth), rate="")
            for q in truth:
                try:
                    predictions[Path(q.query).name] = lib.query(ground_truth.parent / q.query,
                                                                threshold=-math.inf)
                except VidtraceError as e:
                    print_error(str(e))
                    predictions[Path(q.query).name] = None
                bar.advance(task)
        d = lib.query_defaults
        # the short threshold is on sscd's scale: another descriptor gets one flat threshold
        sscd = threshold_rule_applies(lib.settings.descriptor)
        # swept as if frames were independent (the most permissive fall, which a calibration
        # split bounds on both sides); queries apply the stricter fall of d.threshold()
        c = calibrate_threshold(truth, predictions, max_fpr=max_fpr,
                                short=d.short_threshold if sscd else -math.inf,
                                min_frames=d.min_hits)
        old = d.match_threshold
        stored = lib.store_query_settings(
            match_threshold=c.threshold,
            **({} if sscd else {"short_threshold": c.threshold}))
        lib.close()
    short = (f"{stored.short_threshold:.2f} up to {short_frames(stored.min_hits)} matched frames"
             if stored.short_threshold > stored.match_threshold else "the same for short ones")
    out.print(f"threshold {old:.2f} -> {c.threshold:.2f} for long segments, {short} (F1@3s "
              f"{c.f1:.3f}, negative FPR {c.fpr:.3f} on {len(truth)} queries), stored in "
              f"{library}")


def _print_matches(path: Path, matches: list) -> None:  # type: ignore[type-arg]
    if not matches:
        out.print(f"{path}: no copied segment found")
        return
    out.print(f"{path}: {count(len(matches), 'copied segment')}")
    for m in matches:
        found_by = "" if m.evidence == ("video",) else f"   ({' + '.join(m.evidence)})"
        out.print(f"  query {m.query_start:7.1f}-{m.query_end:7.1f} s  <-  {m.ref_id} "
                  f"{m.ref_start:7.1f}-{m.ref_end:7.1f} s   score {m.score:.2f}{found_by}",
                  markup=False)


@app.command()
def info(
    library: LibArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Describe a library: format, descriptor, settings and its reference videos."""
    from vidtrace.api import Library

    with user_errors():
        lib = Library.open(library)
        summary = lib.summary()
        lib.close()
    if as_json:
        print(json.dumps(summary))
        return
    out.print(f"library {library}: format {summary['format_version']}, descriptor "
              f"{summary['descriptor_version']} ({summary['dim']}-d, {summary['metric']})")
    out.print(f"{count(summary['videos'], 'reference video')}, {summary['hours']:.3f} h, "
              f"{count(summary['frames'], 'frame')}, {summary['bytes']} bytes "
              f"{'of vectors in Milvus' if 'backend' in summary else 'on disk'} "
              f"({summary['bytes_per_hour'] / 1e6:.1f} MB per hour)")
    ix = summary["index"]
    out.print(f"index: {ix['kind']}" + (f" with {ix['lists']} lists" if ix["lists"] else "")
              + f", {ix['vectors']} vectors (index_type {summary['settings']['index_type']})")
    for v in summary["references"]:
        out.print(f"  {v['id']:<30} {v['duration']:9.1f} s  {v['frames']:7d} frames  {v['path']}")


@app.command()
def remove(
    library: LibArg,
    video_id: Annotated[str, typer.Argument(help="Reference id to remove.")],
    wait: WaitOpt = 0.0,
) -> None:
    """Remove one reference video from a library."""
    from vidtrace.api import Library

    with user_errors():
        lib = Library.open(library)
        rec = lib.remove(video_id, wait)
        lib.close()
    out.print(f"removed {rec.video_id} ({rec.duration:.1f} s, {rec.path})")


def main() -> None:
    app()


def _register_groups() -> None:
    from vidtrace.cli.bench import bench
    from vidtrace.cli.dedup import dedup
    from vidtrace.cli.formats import eval_command, export_descriptors
    from vidtrace.cli.maintenance import check, repair
    from vidtrace.cli.service import report, serve
    from vidtrace.cli.synth import synth_app
    from vidtrace.cli.train import train

    app.add_typer(synth_app, name="synth")
    app.command("eval")(eval_command)
    app.command("bench")(bench)
    app.command("train")(train)
    app.command("check")(check)
    app.command("repair")(repair)
    app.command("export-descriptors")(export_descriptors)
    app.command("report")(report)
    app.command("serve")(serve)
    app.command("dedup")(dedup)


_register_groups()
usage.one_line_summaries(app)
