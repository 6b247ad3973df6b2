"""`vidtrace report` (the evidence page of a query) and `vidtrace serve` (the HTTP service)."""

import re
from pathlib import Path
from typing import Annotated

import typer

from vidtrace.cli.console import count, fail, out, progress_bar, user_errors
from vidtrace.errors import ConfigError

LibArg = Annotated[str, typer.Argument(help="Library folder (or, for report, a Milvus URI).",
                                        metavar="LIB")]
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from "2G", "500M", "64k", "1.5GB" or a plain number (powers of 1024)."""
    m = _SIZE.match(text)
    if m is None:
        raise ConfigError(f"--max-upload must be a size such as 2G, 500M or 1048576, not {text!r}")
    scale = 1024 ** " KMGT".index(m.group(2).upper() or " ")
    size = int(float(m.group(1)) * scale)
    if size <= 0:
        raise ConfigError("--max-upload must be more than 0 bytes")
    return size


def report(
    library: LibArg,
    query: Annotated[Path, typer.Argument(help="Query video file.")],
    out_path: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "report.html"),
) -> None:
    """Write the evidence page of one query: frames side by side, alignment plot, timeline."""
    from vidtrace.api import Library
    from vidtrace.report import render_html
    from vidtrace.report.build import build_report

    with user_errors():
        lib = Library.open(library)
        try:
            with progress_bar() as bar:
                task = bar.add_task(query.name[:40], total=None, rate="")
                result = build_report(lib, query, progress=lambda s: bar.update(
                    task, rate=f"{s:.0f} s"))
        finally:
            lib.close()
        out_path.write_text(render_html(result), encoding="utf-8")
    n = len(result.segments)
    what = count(n, "copied segment") if n else "no copied segment found"
    out.print(f"{query}: {what}; evidence written to {out_path}")


def serve(
    location: LibArg,
    host: Annotated[str, typer.Option(help="Address to listen on; other than 127.0.0.1 only "
                                      "behind a TLS proxy.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    token_file: Annotated[Path | None, typer.Option(
        help="File holding the bearer token \\[default: LIB/service/token, generated at the "
        "first start].")] = None,
    max_upload: Annotated[str, typer.Option(help="Largest upload accepted (413 above it).")
                          ] = "2G",
    workers: Annotated[int, typer.Option(help="Queries run at once.", min=1)] = 2,
) -> None:
    """Serve the library over HTTP: add references, query videos, read evidence pages."""
    from vidtrace.cli.console import err
    from vidtrace.service import SERVICE_EXTRA_HINT

    try:
        import uvicorn

        from vidtrace.service.app import SERVICE_DIR, create_app
    except ImportError:
        raise fail(SERVICE_EXTRA_HINT) from None
    from vidtrace.api import Library
    from vidtrace.library.locate import folder_only
    from vidtrace.service.security import service_token

    with user_errors():
        folder_only(location, "serve")
        library = Path(location)
        limit = parse_size(max_upload)
        Library.open_or_create(library).close()
        token, created = service_token(library / SERVICE_DIR, token_file)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    if created:
        out.print(f"bearer token (shown once; kept in {library / SERVICE_DIR / 'token'}, "
                  f"mode 0600): {token}")
        out.print(f"web page: {url}/#token={token}")
    else:
        where = token_file or library / SERVICE_DIR / "token"
        out.print(f"bearer token in {where}; web page: {url}/ (paste the token)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"warning: listening on {host} without TLS: the token crosses the network in "
                  "clear text; put a TLS proxy in front", markup=False)
    app = create_app(library, token, limit, workers)
    uvicorn.run(app, host=host, port=port, log_level="info")
