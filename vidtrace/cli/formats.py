"""The field's formats on the command line: `vidtrace export-descriptors`, `vidtrace eval` with
any ground-truth format, and the VSC 2022 CSV that `vidtrace query --format vsc` prints.
Parsing only; the work is done by `vidtrace.formats` and `vidtrace.formats.official`."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vidtrace.cli.console import err, expand_paths, fail, out, print_error, user_errors
from vidtrace.errors import ConfigError, VidtraceError

if TYPE_CHECKING:
    from vidtrace.api import Library
    from vidtrace.formats.vsc import VscMatchWriter
    from vidtrace.types import FrameSet

QUERY_FORMATS = ("json", "vsc")


def vsc_writer(fmt: str | None) -> "VscMatchWriter | None":
    """For `vidtrace query --format`: a VSC 2022 CSV writer on stdout for "vsc", None for "json"
    or no option; ConfigError for anything else."""
    if fmt is None or fmt == "json":
        return None
    if fmt != "vsc":
        raise ConfigError(f"--format must be one of {', '.join(QUERY_FORMATS)}, not {fmt!r}")
    from vidtrace.formats.vsc import VscMatchWriter

    return VscMatchWriter(sys.stdout)


def _is_library(path: Path) -> bool:
    from vidtrace.library.manifest import MANIFEST_FILE

    return (path / MANIFEST_FILE).is_file()


def _library_framesets(lib: "Library") -> Iterator["FrameSet"]:
    from vidtrace.types import FrameSet

    for rec in lib.videos():
        times, vectors = lib.store.frames(rec.key)
        yield FrameSet(rec.video_id, times, vectors, rec.duration)


def _described(lib: "Library", files: list[Path], fps: float) -> tuple[list["FrameSet"], int]:
    """Each file described as a query at `fps` frames/s; a file that fails is reported and
    skipped. Returns the frame sets and the number of failures."""
    settings = lib.query_defaults.without_views().with_changes(query_fps=fps)
    sets, failed = [], 0
    for f in files:
        try:
            sets.append(lib.describe_query(f, settings=settings).full)
        except VidtraceError as e:
            print_error(str(e))
            failed += 1
    return sets, failed


def export_descriptors(
    paths: Annotated[list[Path], typer.Argument(help="A library folder (its reference videos "
                     "are exported), or query video files or folders (described with --library's "
                     "descriptor).")],
    out_file: Annotated[Path, typer.Option("--out", help="The .npz to write (VSC 2022 "
                        "descriptor-track layout: video_ids, timestamps, features).")],
    library: Annotated[Path | None, typer.Option(help="The library whose descriptor and "
                       "settings describe the video files.")] = None,
    fps: Annotated[float, typer.Option(help="Frames per second described from video files "
                   "(VSC 2022 allowed at most one descriptor per second).", min=0.01)] = 1.0,
) -> None:
    """Write frame descriptors in the VSC 2022 descriptor-track .npz layout: a library's
    references, or query videos described by a library's descriptor."""
    from vidtrace.api import Library
    from vidtrace.formats.descriptors import vsc_limits, write_vsc_descriptors

    failed = 0
    with user_errors():
        if library is None and len(paths) == 1 and _is_library(paths[0]):
            what = "reference"
            with Library.open(paths[0]) as lib:
                records = lib.videos()
                dim = lib.manifest.dim
                rows = write_vsc_descriptors(out_file, _library_framesets(lib),
                                             sum(r.n_frames for r in records), dim)
            durations = [r.duration for r in records]
        else:
            if library is None:
                raise fail("describing video files needs --library LIB (its descriptor and "
                           "settings); to export a library's references give only its folder")
            files = expand_paths(paths)
            if not files:
                raise fail("no video files found in the given paths")
            what = "query"
            with Library.open(library) as lib:
                dim = lib.manifest.dim
                sets, failed = _described(lib, files, fps)
            if not sets:
                raise fail(f"none of the {len(files)} video files could be described; "
                           f"{out_file} not written")
            rows = write_vsc_descriptors(out_file, sets)
            durations = [fs.duration for fs in sets]
    for problem in vsc_limits(dim, rows, durations):
        err.print(f"note: {problem}", markup=False)
    out.print(f"wrote {rows} descriptors ({dim}-d float32) of {len(durations)} {what} videos "
              f"to {out_file}")
    if failed:
        raise typer.Exit(1)


def _warn_problems(problems: dict[str, list[str]]) -> None:
    """One warning line per kind of problem in an evaluation, naming the queries."""
    texts = {"failed": "queries failed (their error lines are scored as finding nothing)",
             "missing": "queries have no prediction (scored as finding nothing)",
             "unknown": "predictions are for queries the ground truth does not list (not "
                        "scored)"}
    for kind, text in texts.items():
        names = problems.get(kind, [])
        if names:
            shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more"
                                             if len(names) > 10 else "")
            err.print(f"warning: {len(names)} {text}: {shown}", markup=False)


def eval_command(
    ground_truth: Annotated[Path, typer.Argument(help="Ground truth: vidtrace JSON, a VSC 2022 "
                            "CSV (segments or pairs) or a VCSL label JSON; detected from the "
                            "file.")],
    predictions: Annotated[Path, typer.Argument(help="Predictions: `vidtrace query --json` "
                           "lines, a VSC 2022 matching CSV or a VCSL prediction JSON; or query "
                           "descriptors (.npz) with --refs.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")
                       ] = False,
    tolerance: Annotated[list[float] | None, typer.Option(help="Boundary tolerance of the "
                         "competition F1 in seconds; repeat for several (default 3 and 5).")
                         ] = None,
    refs: Annotated[Path | None, typer.Option(help="Reference descriptors (.npz): score "
                    "PREDICTIONS as query descriptors on the VSC 2022 descriptor track.")
                    ] = None,
    protocol: Annotated[str, typer.Option(help="Descriptor track: vsc2022 (the codebase's "
                        "evaluation) or drivendata (the competition runtime's).")] = "vsc2022",
    query_metadata: Annotated[Path | None, typer.Option(help="VSC 2022: the queries' metadata "
                              "CSV (video_id, duration_sec), so queries without copies count.")
                              ] = None,
    vcsl_pairs: Annotated[Path | None, typer.Option(help="VCSL: a split's pair file "
                          "(pair_file_test.csv); only its labelled pairs are scored.")] = None,
    vcsl_groups: Annotated[Path | None, typer.Option(help="VCSL: split_meta_pairs.json, the "
                           "query-set groups VCSL averages over (default: one group per "
                           "query).")] = None,
) -> None:
    """Score predictions against ground truth; the formats are detected from the files."""
    from vidtrace.evaluate import format_table
    from vidtrace.evaluate.pairs import DescriptorProtocol
    from vidtrace.formats.official import (
        evaluate_any,
        evaluate_descriptor_files,
        format_official,
    )

    with user_errors():
        if refs is not None or predictions.suffix.lower() == ".npz":
            if refs is None:
                raise ConfigError(f"{predictions}: descriptors need --refs REFS.npz, the "
                                  "reference descriptors")
            if protocol not in set(DescriptorProtocol):
                raise ConfigError(f"--protocol must be vsc2022 or drivendata, not {protocol!r}")
            doc = evaluate_descriptor_files(ground_truth, predictions, refs,
                                            DescriptorProtocol(protocol))
        else:
            doc = evaluate_any(ground_truth, predictions, tolerance or (3.0, 5.0),
                               query_metadata, vcsl_pairs, vcsl_groups)
    if as_json:
        print(json.dumps(doc, indent=1))
        return
    _warn_problems(doc.get("problems", {}))
    if "overall" in doc:
        out.print(format_table(doc), markup=False, end="")
    out.print(format_official(doc), markup=False, end="")
