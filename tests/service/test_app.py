"""The HTTP service (vidtrace/service/) through FastAPI's test client: every route and error."""

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.clip_media import FRIDAY, ClipMedia
from tests.report.page_parser import parse, select
from tests.service.conftest import LIMIT
from tests.service.helpers import AUTH, TOKEN, upload, wait_job
from vidtrace.api import Library
from vidtrace.errors import LibraryError
from vidtrace.settings import AudioMode

NO_JOB = "0" * 32
PROTECTED = [("GET", "/v1/references"), ("POST", "/v1/references"),
             ("DELETE", "/v1/references/some_id"), ("POST", "/v1/queries"),
             ("POST", "/v1/dedup"), ("GET", f"/v1/jobs/{NO_JOB}"),
             ("GET", f"/v1/jobs/{NO_JOB}/report"),
             ("GET", "/openapi.json")]


def _submit(client: Any, route: str, path: Path, name: str | None = None,
            **data: str) -> str:
    r = client.post(route, headers=AUTH, files=upload(path, name), data=data)
    assert r.status_code == 202, r.text
    return str(r.json()["job"])


def _cli_json_line(library: Path, query: Path) -> dict[str, Any]:
    from typer.testing import CliRunner

    from vidtrace.cli.main import app

    out = CliRunner().invoke(app, ["query", str(library), str(query), "--json"])
    assert out.exit_code == 0, out.output
    (line,) = [row for row in out.stdout.splitlines() if row.startswith("{")]
    return dict(json.loads(line))


def test_health_needs_no_token(client: Any) -> None:
    r = client.get("/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "version": "0.1.0"}


@pytest.mark.parametrize(("method", "route"), PROTECTED)
def test_every_other_route_needs_the_token(client: Any, method: str, route: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}):
        r = client.request(method, route, headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.json() == {"detail": "missing or wrong bearer token"}
        assert r.headers["www-authenticate"] == "Bearer"


def test_query_result_is_the_cli_json_line(client: Any, media: ClipMedia,
                                           service_library: Path) -> None:
    # the client's file name is the full local path, as the CLI prints it: text, not a path
    job = _submit(client, "/v1/queries", media.two_segment, name=str(media.two_segment))
    view = wait_job(client, job)
    assert view["status"] == "done" and view["progress"] == 1.0 and view["error"] is None
    assert view["kind"] == "query" and view["id"] == job
    assert view["result"] == _cli_json_line(service_library, media.two_segment)
    assert len(view["result"]["matches"]) == 2


def test_report_of_a_finished_query(client: Any, media: ClipMedia) -> None:
    job = _submit(client, "/v1/queries", media.two_segment)
    matches = wait_job(client, job)["result"]["matches"]
    r = client.get(f"/v1/jobs/{job}/report", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    els = parse(r.text)
    rows = select(els, "tr", "segment")
    assert len(rows) == len(matches) == len(select(els, "line", "segment"))
    assert all(m["reference"] in row.text for m, row in zip(matches, rows, strict=True))
    assert len(select(els, "img", "thumb")) >= 20
    assert "two_segment.mp4" in r.text
    again = client.get(f"/v1/jobs/{job}/report", headers=AUTH)
    assert again.text == r.text  # rendered once, kept with the job


def test_report_and_job_errors(client: Any, media: ClipMedia, tmp_path: Path) -> None:
    from vidtrace.service.jobs import JobKind

    assert client.get(f"/v1/jobs/{NO_JOB}", headers=AUTH).status_code == 404
    assert client.get(f"/v1/jobs/{NO_JOB}/report", headers=AUTH).status_code == 404
    assert client.get("/v1/jobs/not-a-job-id", headers=AUTH).status_code == 422
    assert client.get("/v1/jobs/../v1/health/report", headers=AUTH).status_code in (404, 422)
    queued = client.app.state.jobs.new(JobKind.QUERY)  # never submitted: stays queued
    r = client.get(f"/v1/jobs/{queued.id}/report", headers=AUTH)
    assert r.status_code == 409 and "queued" in r.json()["detail"]
    add = _submit(client, "/v1/references", FRIDAY)
    assert wait_job(client, add)["status"] == "done"
    r = client.get(f"/v1/jobs/{add}/report", headers=AUTH)
    assert r.status_code == 404 and "only queries have reports" in r.json()["detail"]
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00not a video" * 500)
    failed = wait_job(client, _submit(client, "/v1/queries", junk))
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"].startswith("junk.mp4: ") and "service" not in failed["error"]
    assert client.get(f"/v1/jobs/{failed['id']}/report", headers=AUTH).status_code == 409


def test_add_list_query_remove_a_reference(client: Any, service_library: Path) -> None:
    before = client.get("/v1/references", headers=AUTH).json()["references"]
    assert sorted(r["id"] for r in before) == ["big_buck_bunny_0-30s", "mdn_flower",
                                               "udacity_highway_lanes"]
    view = wait_job(client, _submit(client, "/v1/references", FRIDAY, id="friday-1940"))
    assert view["status"] == "done" and view["kind"] == "reference"
    assert view["result"]["reference"] == "friday-1940" and view["result"]["status"] == "added"
    assert view["result"]["frames"] == 7
    listed = {r["id"]: r for r in client.get("/v1/references", headers=AUTH).json()["references"]}
    assert listed["friday-1940"]["frames"] == 7
    stored = list((service_library / "service" / "references").iterdir())
    assert [p.suffix for p in stored] == [".mp4"] and stored[0].read_bytes() == FRIDAY.read_bytes()
    found = wait_job(client, _submit(client, "/v1/queries", FRIDAY))["result"]["matches"]
    assert found[0]["reference"] == "friday-1940"
    same = wait_job(client, _submit(client, "/v1/references", FRIDAY, id="other"))
    assert same["result"]["status"] == "unchanged" and same["result"]["reference"] == "friday-1940"
    assert len(list((service_library / "service" / "references").iterdir())) == 1
    gone = client.delete("/v1/references/friday-1940", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["removed"] == "friday-1940"
    assert not stored[0].exists()
    assert client.delete("/v1/references/friday-1940", headers=AUTH).status_code == 404
    ids = [r["id"] for r in client.get("/v1/references", headers=AUTH).json()["references"]]
    assert "friday-1940" not in ids and len(ids) == 3


def test_reference_ids_are_checked(client: Any, media: ClipMedia) -> None:
    for bad in ("bad id!", "-leading-dash", "x" * 129, "../../etc"):
        r = client.post("/v1/references", headers=AUTH, files=upload(FRIDAY), data={"id": bad})
        assert r.status_code == 422, bad
    assert client.delete("/v1/references/bad%20id!", headers=AUTH).status_code == 422
    # no id: the file name's stem, made safe
    job = _submit(client, "/v1/references", FRIDAY, name="../../x/My clip (1940).MP4")
    assert wait_job(client, job)["result"]["reference"] == "My_clip__1940_"
    # an id taken by other content fails the job, naming the id and no server path
    taken = wait_job(client, _submit(client, "/v1/references", media.unrelated, id="mdn_flower"))
    assert taken["status"] == "failed"
    assert "'mdn_flower' is already used" in taken["error"]
    assert "unrelated.mp4: " in taken["error"] and "/service/" not in taken["error"]


def test_uploads_over_the_limit_get_413(client: Any, service_library: Path) -> None:
    big = b"\x00" * (LIMIT + 1)
    r = client.post("/v1/queries", headers=AUTH, files={"file": ("big.mp4", big)})
    assert r.status_code == 413 and "--max-upload" in r.json()["detail"]

    def chunks():  # no Content-Length: the limit is met while streaming
        yield b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n"
        for _ in range(LIMIT // 65536 + 2):
            yield b"\x00" * 65536
        yield b"\r\n--B--\r\n"

    r = client.post("/v1/references", headers={**AUTH, "Content-Type":
                                                "multipart/form-data; boundary=B"},
                    content=chunks())
    assert r.status_code == 413
    service = service_library / "service"
    assert [p for p in service.rglob("*") if p.is_file() and p.name != "token"] == []


@pytest.mark.parametrize("kind", ["json", "no-file-field", "empty-file", "truncated"])
def test_bad_uploads_get_422(client: Any, kind: str, service_library: Path) -> None:
    if kind == "json":
        r = client.post("/v1/queries", headers=AUTH, json={"file": "x"})
    elif kind == "no-file-field":
        r = client.post("/v1/queries", headers=AUTH, files={"video": ("a.mp4", b"abc")})
    elif kind == "empty-file":
        r = client.post("/v1/queries", headers=AUTH, files={"file": ("a.mp4", b"")})
    else:
        r = client.post("/v1/queries", headers={**AUTH, "Content-Type":
                                                "multipart/form-data; boundary=B"},
                        content=b"--B\r\nContent-Disposition: form-data; name=\"file\"; "
                        b"filename=\"a.mp4\"\r\n\r\nabc")
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], str)
    assert list((service_library / "service" / "uploads").iterdir()) == []


def test_an_uploaded_file_name_is_never_a_path(client: Any, media: ClipMedia,
                                               service_library: Path, tmp_path: Path) -> None:
    name = "../../../escaped.mp4"
    job = _submit(client, "/v1/queries", media.unrelated, name=name)
    assert wait_job(client, job)["result"] == {"query": name, "matches": []}
    assert not any(p.name == "escaped.mp4" for p in tmp_path.parent.rglob("escaped.mp4"))
    stored = list((service_library / "service" / "uploads").iterdir())
    assert [p.name for p in stored] == [f"{p.stem}.mp4" for p in stored]
    assert all(len(p.stem) == 32 for p in stored)


def test_openapi_schema_and_page(client: Any) -> None:
    schema = client.get("/openapi.json", headers=AUTH).json()
    assert set(schema["paths"]) == {"/v1/references", "/v1/references/{ref_id}", "/v1/queries",
                                    "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/report",
                                    "/v1/health", "/v1/dedup"}
    body = schema["paths"]["/v1/queries"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["required"] == ["file"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    page = client.get("/")
    assert page.status_code == 200 and "connect-src 'self'" in page.headers[
        "content-security-policy"]
    ids = {e.attrs.get("id") for e in parse(page.text)}
    assert {"token", "query-file", "query-submit", "refs", "report-frame", "dedup-submit",
            "dedup-groups", "dedup-pairs"} <= ids
    assert "<script src" not in page.text and "://" not in page.text  # nothing fetched


def test_queries_run_while_a_reference_is_being_added(client: Any, media: ClipMedia,
                                                      service_library: Path) -> None:
    """An addition held just before its commit (the reference described, the catalog not yet
    written) does not stop queries: they finish against the library as it was, and the next
    query after the commit sees the new reference."""
    engine = client.app.state.engine
    store = engine._writer_lib.store  # test hook on the writer's store: hold `add`
    entered, release = threading.Event(), threading.Event()
    add_to_store = store.add

    def held_add(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(120)
        return add_to_store(*args, **kwargs)

    store.add = held_add
    expected = _cli_json_line(service_library, media.two_segment)["matches"]
    add = _submit(client, "/v1/references", FRIDAY, id="friday")
    try:
        assert entered.wait(120), "the addition never reached its commit"
        queries = [_submit(client, "/v1/queries", media.two_segment) for _ in range(2)]
        queries.append(_submit(client, "/v1/queries", FRIDAY))
        views = [wait_job(client, q) for q in queries]
        assert client.get(f"/v1/jobs/{add}", headers=AUTH).json()["status"] == "running"
        # the service holds the store's write lock: another writer is told so at once
        with Library.open(service_library) as other, pytest.raises(
                LibraryError, match="is writing to this library"):
            other.remove("mdn_flower")
    finally:
        release.set()
    assert all(v["status"] == "done" for v in views)
    assert [v["result"]["matches"] for v in views[:2]] == [expected] * 2
    assert all(m["reference"] != "friday" for m in views[2]["result"]["matches"])
    assert wait_job(client, add)["status"] == "done"
    after = wait_job(client, _submit(client, "/v1/queries", FRIDAY))
    assert after["result"]["matches"][0]["reference"] == "friday"


def test_another_writer_and_new_query_defaults_are_seen(client: Any, media: ClipMedia,
                                                        service_library: Path) -> None:
    """A reference added by another writer (as `vidtrace index` would) is listed and found by
    the service's next query; query defaults stored meanwhile (as `vidtrace calibrate` would)
    apply to the next query and are stated on its page."""
    with Library.open(service_library) as other:
        other.add([FRIDAY], ids=["friday-cli"])
    ids = [r["id"] for r in client.get("/v1/references", headers=AUTH).json()["references"]]
    assert "friday-cli" in ids
    found = wait_job(client, _submit(client, "/v1/queries", FRIDAY))["result"]["matches"]
    assert found[0]["reference"] == "friday-cli"
    with Library.open(service_library) as other:
        other.store_query_settings(match_threshold=0.99)
    # the picture alone scores under 0.99; with its own soundtrack agreeing it passes
    strict = wait_job(client, _submit(client, "/v1/queries", FRIDAY))["result"]["matches"]
    assert strict and all(m["score"] >= 0.99 for m in strict)
    assert strict[0]["evidence"] == ["video", "audio"]
    with Library.open(service_library) as other:
        other.store_query_settings(audio=AudioMode.OFF)
    job = _submit(client, "/v1/queries", FRIDAY)
    assert wait_job(client, job)["result"]["matches"] == []
    page = client.get(f"/v1/jobs/{job}/report", headers=AUTH).text
    assert "No copied segment found" in page and "0.990" in page
    gone = client.delete("/v1/references/friday-cli", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["frames"] == 7
    assert FRIDAY.exists()  # a file the service did not upload is never deleted
