"""`vidtrace dedup`: the copies inside a collection of videos. Parsing and printing only; the
work is `vidtrace.dedup.dedup_paths`."""

import json
from pathlib import Path
from typing import Annotated

import typer

from vidtrace.cli.console import count, fail, out, print_error, progress_bar, user_errors


def dedup(
    folders: Annotated[
        list[Path], typer.Argument(help="Video files or folders of videos.", metavar="FOLDER")
    ],
    library: Annotated[
        Path | None,
        typer.Option(
            "--lib",
            help="Keep the descriptions in this library folder (created if missing), so "
            "a later run describes only new or changed files \\[default: a temporary one].",
            metavar="LIB",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object: pairs, groups, failed files.")
    ] = False,
    min_duration: Annotated[
        float, typer.Option(help="Shortest overlap reported, seconds.", min=0.0)
    ] = 3.0,  # DEFAULT_MIN_DURATION_S
    jobs: Annotated[int, typer.Option(help="Describe this many files at once.", min=1)] = 1,
    wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for another process writing to --lib (0: fail at once).", min=0.0
        ),
    ] = 0.0,
) -> None:
    """Find the footage the videos of a collection share: every pair of overlapping segments,
    the groups of videos connected by shared footage and a suggested original for each."""
    from vidtrace.dedup import dedup_paths
    from vidtrace.video.files import expand_video_paths

    if not expand_video_paths(folders):
        raise fail("no video files found in the given paths")
    with user_errors(), progress_bar() as bar:
        describing = bar.add_task("describing", total=None, rate="")
        matching = bar.add_task("matching", total=None, rate="", visible=False)

        def on_file(path: Path):  # type: ignore[no-untyped-def]
            bar.update(describing, description=path.name[:40])
            bar.advance(describing)
            return lambda seconds: bar.update(describing, rate=f"{seconds:.0f} s")

        def tick(done: int, total: int) -> None:
            bar.update(describing, visible=False)
            bar.update(matching, completed=done, total=total, visible=True)

        result = dedup_paths(
            folders, library, min_duration, jobs=jobs, wait=wait, on_file=on_file, progress=tick
        )
    if as_json:
        print(json.dumps(result.to_json()), flush=True)
    else:
        _print(result)
    for message in result.failed.values():  # each names its file
        print_error(message)
    if result.failed:
        raise typer.Exit(1)


def _print(result) -> None:  # type: ignore[no-untyped-def]
    grouped = {m for g in result.groups for m in g.members}
    out.print(
        f"{count(len(result.videos), 'video')}: {count(len(result.overlaps), 'overlap')} of at "
        f"least {result.min_duration:g} s in {count(len(result.groups), 'group')}, "
        f"{len(result.videos) - len(grouped)} sharing nothing (described "
        f"{count(result.described, 'new video')} in {result.describe_s:.1f} s, matched in "
        f"{result.match_s:.1f} s)"
    )
    if result.overlaps:
        out.print("overlaps (a <-> b, seconds):")
    for o in result.overlaps:
        how = (
            "identical files"
            if o.identical
            else (
                f"score {o.score:.2f}  speed {o.speed:.2f}" + ("" if o.both_ways else "  one way")
            )
        )
        out.print(
            f"  {o.a}  {o.a_start:.1f}-{o.a_end:.1f}  <->  {o.b}  "
            f"{o.b_start:.1f}-{o.b_end:.1f}   {how}"
        )
    for i, g in enumerate(result.groups, start=1):
        out.print(f"group {i}: {count(len(g.members), 'video')}, suggested original {g.original}")
        for name in g.members:
            f = result.videos[name]
            size = f"{f.width}x{f.height}" if f.width else "size unknown"
            spans = ", ".join(f"{s:.1f}-{e:.1f}" for s, e in g.shared[name])
            out.print(f"  {name}  {f.duration:.1f} s  {size}  shares {spans} s")
    if result.groups:
        from vidtrace.dedup import ORIGINAL_RULE

        out.print(f"original: {ORIGINAL_RULE}")
