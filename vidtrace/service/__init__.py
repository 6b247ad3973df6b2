"""The HTTP service (DESIGN.md, interfaces): `vidtrace serve LIB`.

FastAPI routes (app.py) over an engine that adds references on one writer thread and runs
queries on a pool (engine.py), jobs followed by id (jobs.py), streamed size-limited uploads
(uploads.py), a bearer token and input checks (security.py), a page at `/` (page.html), and a
live server in a thread (live.py; the load benchmark, bench/service_load.py, uses it). Needs
the `service` extra (fastapi, uvicorn, python-multipart); importing `vidtrace` does not import
this package.
"""

SERVICE_EXTRA_HINT = "the service needs the [service] extra: pip install 'vidtrace[service]'"
