"""`vidtrace check` and `vidtrace repair`: verify a library, rebuild what can be derived.
Parsing and printing only; the work is `vidtrace.library.repair`."""

import json
from pathlib import Path
from typing import Annotated

import typer

from vidtrace.cli.console import count, out, print_error, user_errors


def check(
    location: Annotated[str, typer.Argument(help="Library folder.", metavar="LIB")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Verify a library without changing it: manifest, catalog, every stored frame row's
    checksum, the saved index, the descriptor state. Exit status 1 when something is wrong."""
    from vidtrace.library.locate import folder_only
    from vidtrace.library.repair import check_library

    with user_errors():
        folder_only(location, "check")
        library = Path(location)
        report = check_library(library)
    if as_json:
        print(json.dumps({"library": str(library), "ok": report.ok,
                          "references": report.references, "problems": report.problems,
                          "notes": report.notes}))
    else:
        for problem in report.problems:
            print_error(problem)
        for note in report.notes:
            out.print(f"note: {note}")
        state = "ok" if report.ok else f"{len(report.problems)} problem(s); run `vidtrace repair`"
        out.print(f"{library}: {count(report.references, 'reference')}, {state}")
    if not report.ok:
        raise typer.Exit(1)


def repair(
    location: Annotated[str, typer.Argument(help="Library folder.", metavar="LIB")],
    wait: Annotated[float, typer.Option(help="Seconds to wait for another process writing to "
                                        "the library.", min=0.0)] = 0.0,
) -> None:
    """Rebuild what can be derived from the catalog: drop references whose stored frames are
    damaged (listed: add their files again), salvage a damaged catalog, rebuild the index,
    remove temporary files."""
    from vidtrace.library.locate import folder_only
    from vidtrace.library.repair import check_library, repair_library

    with user_errors():
        folder_only(location, "repair")
        library = Path(location)
        report = repair_library(library, wait)
        after = check_library(library)
    for note in report.notes:
        out.print(note)
    for video_id in report.dropped:
        out.print(f"dropped {video_id}: its stored frames were damaged; add its file again")
    for problem in after.problems:
        print_error(problem)
    out.print(f"{library}: {count(after.references, 'reference')}, "
              + ("ok" if after.ok else "still damaged; rebuild it with `vidtrace index`"))
    if not after.ok:
        raise typer.Exit(1)
