"""`POST /v1/dedup`: the footage the references share, as a job of the service."""

from typing import Any

from tests.clip_media import ClipMedia
from tests.service.helpers import AUTH, upload, wait_job
from vidtrace.dedup import ORIGINAL_RULE


def test_dedup_job_over_the_references(client: Any, media: ClipMedia) -> None:
    # the clip library (big_buck_bunny_0-30s, udacity_highway_lanes, mdn_flower) shares
    # nothing; the two-segment copy added as a reference shares footage with two of them
    r = client.post("/v1/references", headers=AUTH, files=upload(media.two_segment),
                    data={"id": "copy"})
    assert wait_job(client, r.json()["job"])["status"] == "done"
    r = client.post("/v1/dedup?min_duration=3", headers=AUTH)
    assert r.status_code == 202, r.text
    view = wait_job(client, r.json()["job"])
    assert view["status"] == "done" and view["kind"] == "dedup" and view["progress"] == 1.0
    doc = view["result"]
    assert doc["videos"] == 4 and doc["min_duration"] == 3.0 and doc["failed"] == []
    pairs = {(p["a"], p["b"]): p for p in doc["pairs"]}
    assert set(pairs) == {("big_buck_bunny_0-30s", "copy"), ("copy", "udacity_highway_lanes")}
    truth = {s.ref_id: s for s in media.two_segment_truth.segments}
    bunny, highway = pairs["big_buck_bunny_0-30s", "copy"], pairs["copy", "udacity_highway_lanes"]
    t = truth["big_buck_bunny_0-30s"]
    assert max(abs(bunny["a_start"] - t.ref_start), abs(bunny["a_end"] - t.ref_end),
               abs(bunny["b_start"] - t.query_start), abs(bunny["b_end"] - t.query_end)) <= 1.0
    t = truth["udacity_highway_lanes"]
    assert max(abs(highway["a_start"] - t.query_start), abs(highway["a_end"] - t.query_end),
               abs(highway["b_start"] - t.ref_start), abs(highway["b_end"] - t.ref_end)) <= 1.0
    (group,) = doc["groups"]
    assert sorted(m["video"] for m in group["members"]) == [
        "big_buck_bunny_0-30s", "copy", "udacity_highway_lanes"]
    # the copy holds both stretches, so the rule suggests it: a splice of two originals is
    # the hub of their group (docs/dedup.md)
    assert group["original"] == "copy" and group["rule"] == ORIGINAL_RULE


def test_dedup_refuses_a_negative_duration_and_needs_the_token(client: Any) -> None:
    r = client.post("/v1/dedup?min_duration=-1", headers=AUTH)
    assert r.status_code == 422
    assert client.post("/v1/dedup").status_code == 401
    r = client.post("/v1/dedup", headers=AUTH)
    doc = wait_job(client, r.json()["job"])["result"]
    assert doc["pairs"] == [] and doc["groups"] == [] and doc["min_duration"] == 3.0
    r = client.get(f"/v1/jobs/{r.json()['job']}/report", headers=AUTH)
    assert r.status_code == 404 and "only queries have reports" in r.json()["detail"]
