"""The HTTP service (DESIGN.md, interfaces): FastAPI routes over the service engine.

`create_app(folder, token, ...)` returns the ASGI app `vidtrace serve` runs with uvicorn. Every
route but `GET /v1/health` and the page at `/` (which holds no data and asks for the token)
needs `Authorization: Bearer TOKEN`. Uploads are streamed to the library's service folder
under names the service makes (uploads.py); work goes to the engine (engine.py): additions and
removals on its one writer thread, queries and dedup runs on its pool; the event loop only
waits on futures.
"""

import asyncio
import hmac
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from vidtrace.dedup import DEFAULT_MIN_DURATION_S
from vidtrace.errors import LibraryError
from vidtrace.service.engine import Engine, QueryOutcome
from vidtrace.service.jobs import Job, JobKind, JobStatus, JobTable
from vidtrace.service.security import (
    REF_ID_PATTERN,
    ref_id_from_filename,
    stored_suffix,
    valid_ref_id,
)
from vidtrace.service.uploads import BadUpload, Upload, UploadTooLarge, receive_upload

DEFAULT_MAX_UPLOAD = 2 * 1024**3  # bytes
SERVICE_DIR = "service"  # inside the library folder: token, uploads/, references/
JOB_ID_PATTERN = r"^[0-9a-f]{32}$"
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
PAGE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src data: blob:; frame-src blob: about:")


class JobCreated(BaseModel):
    job: str


class JobView(BaseModel):
    id: str
    kind: Literal["query", "reference", "dedup"]
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    result: dict[str, Any] | None
    error: str | None


class Reference(BaseModel):
    id: str
    duration: float
    frames: int
    content_hash: str


class ReferenceList(BaseModel):
    references: list[Reference]


class Removed(BaseModel):
    removed: str
    duration: float
    frames: int


class Health(BaseModel):
    status: Literal["ok"]
    version: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of error responses: JSON `{"detail": "..."}` (also on HTML routes)."""
    text = {401: "missing or wrong bearer token", 404: "no such job or reference",
            409: "the job has not finished", 413: "the upload is larger than --max-upload",
            422: "the request is not valid",
            503: "the library cannot be changed now (another process kept its write lock)"}
    # a string, or FastAPI's list of field errors for a request that fails validation
    detail = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]}
    body = {"application/json": {"schema": {"type": "object", "required": ["detail"],
                                            "properties": {"detail": detail}}}}
    return {c: {"description": text[c], "content": body} for c in codes}


def _multipart(with_id: bool) -> dict[str, Any]:
    """The OpenAPI request body of an upload route (the body is parsed by uploads.py)."""
    props: dict[str, Any] = {"file": {"type": "string", "format": "binary", "minLength": 1}}
    if with_id:
        props["id"] = {"type": "string", "pattern": REF_ID_PATTERN}
    schema = {"type": "object", "properties": props, "required": ["file"]}
    return {"requestBody": {"required": True,
                            "content": {"multipart/form-data": {"schema": schema}}}}


def _page() -> str:
    return files("vidtrace.service").joinpath("page.html").read_text(encoding="utf-8")


@dataclass
class _Service:
    """What the routes share: the engine, the jobs, the upload folders and the limit."""

    root: Path
    engine: Engine
    jobs: JobTable
    max_upload: int

    @property
    def uploads(self) -> Path:  # queries and their rendered reports, emptied at start
        return self.root / SERVICE_DIR / "uploads"

    @property
    def media(self) -> Path:  # uploaded references, kept while they are in the library
        return self.root / SERVICE_DIR / "references"

    def prepare(self) -> None:
        """Make the service folders (mode 0700), drop uploads of a previous run, start."""
        (self.root / SERVICE_DIR).mkdir(mode=0o700, exist_ok=True)
        for d in (self.uploads, self.media):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        for old in self.uploads.iterdir():  # the jobs they belonged to are gone
            old.unlink(missing_ok=True)
        self.engine.start()

    async def receive(self, request: Request, folder: Path) -> Upload:
        """The upload of `request` streamed into `folder` (HTTP errors 400, 413, 422)."""
        dest = folder / f"{uuid.uuid4().hex}.part"
        try:
            upload = await receive_upload(request, dest, self.max_upload)
        except UploadTooLarge:
            raise HTTPException(413, f"the file is larger than the limit of {self.max_upload} "
                                "bytes (vidtrace serve --max-upload)") from None
        except BadUpload as e:
            raise HTTPException(422, str(e)) from None
        except ClientDisconnect:
            raise HTTPException(400, "the client disconnected during the upload") from None
        final = dest.with_suffix(stored_suffix(upload.filename))
        await anyio.Path(dest).rename(final)
        upload.path = final
        return upload

    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job


def _bearer(token: str) -> Any:
    """The dependency that lets a request through with `Authorization: Bearer <token>`."""
    bearer = HTTPBearer(auto_error=False, description="the token `vidtrace serve` printed")

    def authorised(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                   ) -> None:
        if creds is None or not hmac.compare_digest(creds.credentials.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})

    return Depends(authorised)


def _reference_routes(app: FastAPI, svc: _Service, auth: list[Any]) -> None:
    @app.post("/v1/references", status_code=202, dependencies=auth,
              openapi_extra=_multipart(True), responses=_errors(401, 413, 422))
    async def add_reference(request: Request) -> JobCreated:
        """Add a reference video (multipart `file`, optional `id`; default id: the file
        name without suffix). Returns the job that adds it."""
        upload = await svc.receive(request, svc.media)
        ref_id = upload.fields.get("id") or ref_id_from_filename(upload.filename)
        if not ref_id or not valid_ref_id(ref_id):
            await anyio.Path(upload.path).unlink(missing_ok=True)
            raise HTTPException(422, "give an id of 1-128 letters, digits, '.', '_' or '-', "
                                "starting with a letter or digit")
        job = svc.jobs.new(JobKind.REFERENCE, upload.path)
        svc.engine.submit_add(job, upload.path, ref_id, upload.filename)
        return JobCreated(job=job.id)

    @app.get("/v1/references", dependencies=auth, responses=_errors(401))
    async def list_references() -> ReferenceList:
        """The reference videos in the library."""
        records = await anyio.to_thread.run_sync(svc.engine.references)
        return ReferenceList(references=[
            Reference(id=r.video_id, duration=r.duration, frames=r.n_frames,
                      content_hash=r.content_hash) for r in records])

    @app.delete("/v1/references/{ref_id}", dependencies=auth,
                responses=_errors(401, 404, 422, 503))
    async def remove_reference(ref_id: Annotated[str, PathParam(pattern=REF_ID_PATTERN)]
                               ) -> Removed:
        """Remove a reference video (after the additions queued before it)."""
        try:
            ref = await asyncio.wrap_future(svc.engine.remove(ref_id))
        except LibraryError as e:
            raise HTTPException(503, str(e).replace(str(svc.root), "the library")) from None
        if ref is None:
            raise HTTPException(404, f"no reference {ref_id}")
        return Removed(removed=ref.video_id, duration=ref.duration, frames=ref.n_frames)


def _query_routes(app: FastAPI, svc: _Service, auth: list[Any]) -> None:
    JobId = Annotated[str, PathParam(pattern=JOB_ID_PATTERN)]

    @app.post("/v1/queries", status_code=202, dependencies=auth,
              openapi_extra=_multipart(False), responses=_errors(401, 413, 422))
    async def submit_query(request: Request) -> JobCreated:
        """Query a video (multipart `file`). Returns the job; its result is the CLI's
        `vidtrace query --json` line."""
        upload = await svc.receive(request, svc.uploads)
        job = svc.jobs.new(JobKind.QUERY, upload.path)
        svc.engine.submit_query(job, upload.path, upload.filename, upload.sha256)
        return JobCreated(job=job.id)

    @app.post("/v1/dedup", status_code=202, dependencies=auth, responses=_errors(401, 422))
    async def submit_dedup(
        min_duration: Annotated[float, Query(ge=0.0, le=86400.0, description="shortest "
                                             "overlap reported, seconds")] = DEFAULT_MIN_DURATION_S,
    ) -> JobCreated:
        """Find the footage the references share (`vidtrace dedup` over the library). Returns
        the job; its result is the `vidtrace dedup --json` object, videos named by id."""
        job = svc.jobs.new(JobKind.DEDUP)
        svc.engine.submit_dedup(job, min_duration)
        return JobCreated(job=job.id)

    @app.get("/v1/jobs/{job_id}", dependencies=auth, responses=_errors(401, 404, 422))
    async def get_job(job_id: JobId) -> JobView:
        """A job's status, progress (0-1), result and error."""
        return JobView(**svc.job(job_id).view())

    @app.get("/v1/jobs/{job_id}/report", dependencies=auth, response_class=HTMLResponse,
             responses={200: {"content": {"text/html": {}}}, **_errors(401, 404, 409, 422)})
    async def job_report(job_id: JobId) -> HTMLResponse:
        """The evidence page of a finished query (one self-contained HTML file)."""
        job = svc.job(job_id)
        if job.kind is not JobKind.QUERY:
            raise HTTPException(404, f"job {job_id} is a {job.kind} job; only queries have "
                                "reports")
        status = job.view()["status"]
        if status != JobStatus.DONE:
            raise HTTPException(409, f"job {job_id} is {status}; a report exists once it is "
                                "done")
        html_path = anyio.Path(svc.uploads / f"{job.id}.html")
        if not await html_path.exists():
            outcome: QueryOutcome = job.payload
            html = await asyncio.wrap_future(svc.engine.render_report(outcome))
            await html_path.write_text(html, encoding="utf-8")
        html = await html_path.read_text(encoding="utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


def _open_routes(app: FastAPI, auth: list[Any], version: str) -> None:
    @app.get("/v1/health")
    async def health() -> Health:
        """Liveness; needs no token."""
        return Health(status="ok", version=version)

    @app.get("/openapi.json", dependencies=auth, include_in_schema=False)
    async def openapi() -> dict[str, Any]:
        return app.openapi()

    page = _page()

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_CSP})


def create_app(folder: str | Path, token: str, max_upload: int = DEFAULT_MAX_UPLOAD,
               workers: int = 2, keep_jobs: int = 200) -> FastAPI:
    """The service app on the library in `folder` (must exist), accepting bearer `token`,
    uploads of at most `max_upload` bytes, `workers` queries at once, keeping the newest
    `keep_jobs` jobs."""
    from vidtrace import __version__

    root = Path(folder)
    svc = _Service(root, Engine(root, root / SERVICE_DIR / "references", workers),
                   JobTable(keep_jobs), max_upload)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(svc.prepare)
        yield
        await anyio.to_thread.run_sync(svc.engine.close)

    app = FastAPI(title="vidtrace", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None,
                  description="Video copy detection: add references, query videos, read the "
                  "evidence. Every route but /v1/health needs a bearer token.")
    app.state.engine, app.state.jobs = svc.engine, svc.jobs
    auth = [_bearer(token)]
    _reference_routes(app, svc, auth)
    _query_routes(app, svc, auth)
    _open_routes(app, auth, __version__)
    return app
