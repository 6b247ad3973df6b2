"""`vidtrace synth ...`: write edited query videos and benchmarks with exact ground truth."""

import json
from pathlib import Path
from typing import Annotated

import typer

from vidtrace.cli.console import fail, out, user_errors

synth_app = typer.Typer(no_args_is_help=True, help="Make edited copies of real footage with "
                        "exact ground truth (the transformation engine).")


def parse_edit(spec: str) -> dict[str, object]:
    """'kind:key=value,key=value' -> {"kind": kind, key: value, ...}; values are JSON when they
    parse as JSON (numbers, lists such as [255,0,0]), else strings."""
    kind, _, rest = spec.partition(":")
    edit: dict[str, object] = {"kind": kind.strip()}
    for part in filter(None, (p.strip() for p in _split_params(rest))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"edit {spec!r}: parameter {part!r} is not key=value")
        try:
            edit[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            edit[key.strip()] = value
    return edit


def _split_params(text: str) -> list[str]:
    """Split on commas outside [...], so colours like color=[255,0,0] stay whole."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_piece(spec: str):  # type: ignore[no-untyped-def]
    """'PATH:START:END' (filler) or 'PATH:START:END:copy' (a copied reference segment)."""
    from vidtrace.synth import CopyPiece, FillerPiece

    fields = spec.rsplit(":", 3) if spec.endswith(":copy") else spec.rsplit(":", 2)
    try:
        path, start, end = Path(fields[0]), float(fields[1]), float(fields[2])
    except (IndexError, ValueError):
        raise ValueError(f"piece {spec!r} is not PATH:START:END or PATH:START:END:copy") from None
    return CopyPiece(path, start, end) if spec.endswith(":copy") else FillerPiece(path, start, end)


@synth_app.command("query")
def synth_query(
    output: Annotated[Path, typer.Argument(help="Query video to write (.mp4).")],
    piece: Annotated[list[str], typer.Option(help="PATH:START:END[:copy], in order; ':copy' "
                                             "marks a copied reference segment.")],
    edit: Annotated[list[str] | None, typer.Option(help="KIND:key=value,... applied to the "
                                                   "whole query, in order.")] = None,
    truth: Annotated[Path | None, typer.Option(help="Write the ground truth JSON here.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of random edits (noise).")] = 0,
) -> None:
    """Write one query video spliced from pieces of real footage and edited, with its truth."""
    from vidtrace.groundtruth import write_ground_truth
    from vidtrace.synth import compose_query, edit_from_json

    with user_errors():
        try:
            pieces = [parse_piece(p) for p in piece]
            edits = [edit_from_json(parse_edit(e)) for e in edit or []]
        except ValueError as e:
            raise fail(str(e)) from None
        for p in pieces:
            if not p.path.is_file():
                raise fail(f"{p.path}: no such file; check the path")
        qt = compose_query(pieces, output, edits=edits, seed=seed)
        if truth is not None:
            write_ground_truth(truth, [qt])
    out.print(f"wrote {output} ({qt.duration:.1f} s)")
    for s in qt.segments:
        out.print(f"  truth: query {s.query_start:.1f}-{s.query_end:.1f} s <- {s.ref_id} "
                  f"{s.ref_start:.1f}-{s.ref_end:.1f} s")
