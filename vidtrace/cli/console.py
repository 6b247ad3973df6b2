"""Shared console helpers: one-line errors, progress bars, finding video files in folders."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vidtrace.errors import VidtraceError
from vidtrace.video.files import expand_video_paths

err = Console(stderr=True, highlight=False, soft_wrap=True)
# stdout never uses markup: it prints file names, ids and paths, where "[...]" is text
out = Console(highlight=False, soft_wrap=True, markup=False)

def print_error(message: str) -> None:
    """Print `error: message` on one line, the message verbatim (a "[...]" in a file name or
    a hint is text, not rich markup)."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` on one line and return the Exit to raise."""
    print_error(message)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn VidtraceError into a one-line message and exit status 1, never a traceback."""
    try:
        yield
    except VidtraceError as e:
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        raise fail("interrupted; the library keeps every file finished before", 130) from None


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, folders replaced by the video files below them (video/files.py)."""
    return expand_video_paths(paths)


def progress_bar() -> Progress:
    """A progress bar on stderr, so `--json` output on stdout stays clean."""
    return Progress(
        TextColumn("{task.description}", markup=False),  # a file name: "[...]" is text
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}", markup=False),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@contextmanager
def stage_bars() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback (stage, done, total) drawing one bar per stage on stderr."""
    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, rate="")
            bar.update(tasks[stage], completed=done, total=total)

        yield tick


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`1 reference video`, `2 reference videos`, `0 frames`."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
