"""Helpers of the service tests: the token, uploads, waiting for a job."""

import time
from pathlib import Path
from typing import Any

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JOB_TIMEOUT_S = 180.0


def upload(path: Path, name: str | None = None) -> dict[str, Any]:
    """The `files` argument of a multipart upload of `path` as field `file`."""
    return {"file": (name or path.name, path.read_bytes(), "video/mp4")}


def wait_job(client: Any, job_id: str, timeout_s: float = JOB_TIMEOUT_S) -> dict[str, Any]:
    """The job's view once it is done or failed (polling `GET /v1/jobs/{id}`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = client.get(f"/v1/jobs/{job_id}", headers=AUTH)
        assert r.status_code == 200, r.text
        view: dict[str, Any] = r.json()
        if view["status"] in ("done", "failed"):
            return view
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {view['status']} after {timeout_s} s")
        time.sleep(0.1)
