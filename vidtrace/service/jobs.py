"""Jobs of the service: a reference addition, a query or a dedup run, followed by its id.

A job goes queued -> running -> done | failed; `progress` runs from 0 to 1; `result` is set when
it is done (a query's is exactly the CLI's `--json` line), `error` (one line) when it failed.
Worker threads update jobs while the event loop reads them, so every access holds the job's
lock. The table keeps the newest `keep` jobs; evicting a finished query job deletes its upload
and its rendered report (`<job id>.html` beside the upload).
"""

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobKind(StrEnum):
    QUERY = "query"
    REFERENCE = "reference"
    DEDUP = "dedup"


@dataclass
class Job:
    """One job. `upload`: the file it works on (a query's is deleted with the job); `payload`:
    what a finished query keeps for its report; `report_html`: the report once rendered."""

    id: str
    kind: JobKind
    upload: Path | None = None
    status: JobStatus = JobStatus.QUEUED
    progress: float = 0.0
    result: Any = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None
    payload: Any = None
    report_html: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> None:
        with self.lock:
            self.status = JobStatus.RUNNING

    def set_progress(self, value: float) -> None:
        with self.lock:
            self.progress = max(self.progress, min(1.0, max(0.0, value)))

    def finish(self, result: Any, payload: Any = None) -> None:
        with self.lock:
            self.status, self.progress, self.result = JobStatus.DONE, 1.0, result
            self.payload, self.finished = payload, time.time()

    def fail(self, error: str) -> None:
        with self.lock:
            self.status, self.error, self.finished = JobStatus.FAILED, error, time.time()

    @property
    def done(self) -> bool:
        with self.lock:
            return self.status in (JobStatus.DONE, JobStatus.FAILED)

    def view(self) -> dict[str, Any]:
        """The job as `GET /v1/jobs/{id}` shows it."""
        with self.lock:
            return {"id": self.id, "kind": str(self.kind), "status": str(self.status),
                    "progress": round(self.progress, 4), "result": self.result,
                    "error": self.error}


class JobTable:
    """The service's jobs by id, newest last; at most `keep` (finished jobs are evicted first,
    oldest first; a query job's upload is deleted with it)."""

    def __init__(self, keep: int = 200) -> None:
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def new(self, kind: JobKind, upload: Path | None = None) -> Job:
        job = Job(uuid.uuid4().hex, kind, upload)
        with self._lock:
            self._jobs[job.id] = job
            self._evict()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def _evict(self) -> None:
        excess = len(self._jobs) - self.keep
        for job_id in [j.id for j in self._jobs.values() if j.done][:max(excess, 0)]:
            job = self._jobs.pop(job_id)
            if job.kind is JobKind.QUERY and job.upload is not None:
                job.upload.unlink(missing_ok=True)
                (job.upload.parent / f"{job.id}.html").unlink(missing_ok=True)  # its report
