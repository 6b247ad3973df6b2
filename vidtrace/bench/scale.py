"""`vidtrace bench --scale`: the stores at scale, on synthetic references (docs/scale.md).

For each store backend and library size (reference hours at 1 frame/s, references of one hour
each), in a fresh process of its own (so its memory is its own): a library of synthetic
SSCD-shaped frames (speed.py's `SyntheticFrames`) is built through the store protocol (`add`
inside `writing()`, every reference a `Reference` and `FrameSet`, as indexing writes them),
then searched with `QUERIES` queries of `QUERY_FRAMES` frames in which 60 % of the frames are
planted edited copies of library frames. Reported per run: build seconds (all adds, the index
ready), the memory the process grew by (resident set after the build, less before it; for an
embedded Milvus the server runs in the process, so this is its memory too) and its peak, the
search latency per query (p50, p95), and recall of the planted copies: the share of copied
query frames whose source frame is among the k nearest (frame recall) and whose source
reference is (reference recall, what stage 1's vote needs).

Backends: "faiss" (the folder store: SQLite catalog + faiss index, index_type auto: exact below
50,000 frames, ivfpq above), "milvus-lite" (the Milvus store, embedded, with the index type
given, IVF_PQ by default: the server's layout at the same code size as faiss's ivfpq), and
"milvus" at a server URI when one is given. Sizes beyond those measured are extrapolated
(`extrapolate`: from the two largest runs when they used one index kind, else from the largest
and the kind's known growth) and labelled "extrapolated"; recall is never extrapolated.
"""

import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.bench.search import SyntheticFrames
from vidtrace.settings import DEFAULT_LIBRARY, DEFAULT_QUERY, QuerySettings

BACKENDS = ("faiss", "milvus-lite", "milvus")
# what fits a few minutes each on 2 shared cores (milvus-lite searched 120 frames in seconds
# at 10 h: larger embedded runs would not)
DEFAULT_PLAN = (("faiss", 10.0), ("faiss", 100.0), ("milvus-lite", 1.0), ("milvus-lite", 10.0))
EXTRAPOLATE_HOURS = (1_000.0, 10_000.0, 100_000.0)
QUERIES = 20
QUERY_FRAMES = 120  # a 60 s query at 2 frames/s
DIM = 512  # SSCD's
PER_VIDEO = 3600  # one-hour references
SYNTHETIC_DESCRIPTOR = "synthetic-sscd-shaped"
SETTLE_TIMEOUT_S = 86_400.0  # the child's wait for the index; the parent's timeout ends it
Progress = Callable[[str, int, int], None]


def _rss_kb(field: str, pid: int | None = None) -> int:
    """A memory field of /proc/PID/status (this process by default), in kB."""
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _open_store(backend: str, work: Path, hours: float, index_type: str, server: str | None
                ) -> Any:
    """A new empty store for `backend` (through library/locate.py, as the API makes one)."""
    from vidtrace.library.locate import create_store
    from vidtrace.library.manifest import Manifest
    from vidtrace.settings import Metric

    settings = DEFAULT_LIBRARY.with_changes(index_type=index_type, fine_fps=0.0)
    manifest = Manifest.new(SYNTHETIC_DESCRIPTOR, DIM, Metric.INNER_PRODUCT, settings,
                            QuerySettings())
    tag = f"{backend.replace('-', '_')}_{hours:g}h".replace(".", "_")
    if backend == "faiss":
        return create_store(work / tag, manifest)
    if backend == "milvus-lite":
        return create_store(f"milvus-lite://{work.absolute()}/{tag}.db", manifest)
    return create_store(f"{server}/vidtrace_scale_{tag}_{os.getpid()}", manifest)


def planted_queries(synth: SyntheticFrames, frames: int, n: int, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(float32[n, DIM] query frames, int64[n] (reference rowid << 24 | frame) of each planted
    copy's source, -1 for an unrelated frame): speed.py's recipe (COPY_SHARE copies, each an
    edited library frame), with each source video made once rather than once per copy."""
    from vidtrace.bench.search import COPY_SHARE, EDIT_NOISE

    rng = np.random.default_rng([seed, 1 << 21])
    n_videos = -(-frames // PER_VIDEO)
    copy = rng.random(n) < COPY_SHARE
    rowids = rng.integers(1, n_videos + 1, n)
    picks = rng.random(n)
    noise = rng.uniform(*EDIT_NOISE, n).astype(np.float32)
    out = synth._mean + synth._noise(rng, n)
    truth = np.full(n, -1, np.int64)
    for rowid in np.unique(rowids[copy]):
        length = min(PER_VIDEO, frames - (int(rowid) - 1) * PER_VIDEO)
        video = synth.video(int(rowid), length)
        rows = np.flatnonzero(copy & (rowids == rowid))
        at = (picks[rows] * length).astype(np.int64)
        out[rows] = video[at] + noise[rows, None] * synth._noise(rng, len(rows))
        truth[rows] = (int(rowid) << 24) | at
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32), truth


def measure(backend: str, hours: float, work: Path, index_type: str = "auto",
            nprobe: int = DEFAULT_QUERY.nprobe, k: int = DEFAULT_QUERY.knn_k,
            queries: int = QUERIES, server: str | None = None, server_pid: int | None = None,
            seed: int = 0) -> dict[str, Any]:
    """One backend at one size, in this process (`run_scale` runs each in a fresh one);
    `server_pid`: the Milvus server's process, whose memory is then reported."""
    from vidtrace.types import FrameSet, Reference

    frames = round(hours * 3600)
    synth = SyntheticFrames(DIM, seed)
    base_kb = _rss_kb("VmRSS")
    server_kb = _rss_kb("VmRSS", server_pid) if server_pid is not None else 0
    store = _open_store(backend, work, hours, index_type, server)
    keys: dict[int, int] = {}
    start = time.perf_counter()
    with store.writing():
        for rowid, vectors in synth.videos(frames, PER_VIDEO)():
            digest = hashlib.sha256(f"synthetic:{seed}:{rowid}".encode()).hexdigest()
            n = len(vectors)
            ref = Reference(0, f"synthetic-{rowid}", "", digest, float(n), 1.0,
                            SYNTHETIC_DESCRIPTOR, n)
            fs = FrameSet(ref.video_id, np.arange(n, dtype=np.float64), vectors, float(n))
            keys[rowid] = store.add(ref, fs, None).key
    if backend == "faiss":
        _ = store.index  # the index of the committed state, loaded as a query would
    else:
        # sealed and indexed, as a server's long-lived library is; the parent's run timeout
        # bounds the wait (an index of 1,000 h takes longer than settle's default)
        store.settle(timeout_s=SETTLE_TIMEOUT_S)
    build_s = time.perf_counter() - start
    grown_mb = (_rss_kb("VmRSS") - base_kb) / 1024
    if server_pid is not None:  # the server's memory, not this client's
        grown_mb = (_rss_kb("VmRSS", server_pid) - server_kb) / 1024
    xq, truth = planted_queries(synth, frames, queries * QUERY_FRAMES, seed)
    store.search(xq[:QUERY_FRAMES], k, nprobe)  # warm
    latencies, frame_hits, ref_hits, copies = [], 0, 0, 0
    for i in range(queries):
        rows = slice(i * QUERY_FRAMES, (i + 1) * QUERY_FRAMES)
        t0 = time.perf_counter()
        hits = store.search(xq[rows], k, nprobe)
        latencies.append(time.perf_counter() - t0)
        for row, packed in enumerate(truth[rows]):
            if packed < 0:
                continue
            copies += 1
            key, frame = keys[int(packed >> 24)], int(packed & ((1 << 24) - 1))
            mine = hits.query_frame == row
            ref_hits += bool(np.any(hits.ref_key[mine] == key))
            frame_hits += bool(np.any((hits.ref_key[mine] == key) & (hits.ref_frame[mine]
                                                                     == frame)))
    info = store.info()
    if backend == "milvus":  # leave the server as it was
        for table in store.tables.values():
            if store.client.has_collection(table):
                store.client.drop_collection(table)
    store.close()
    return {"backend": backend, "hours": hours, "frames": frames,
            "index": info["index"]["kind"], "nprobe": nprobe, "k": k,
            "build_s": round(build_s, 2), "memory_mb": round(grown_mb, 1),
            "memory_of": "server" if server_pid is not None else "process",
            "peak_rss_mb": round(_rss_kb("VmHWM") / 1024, 1),
            "latency_p50_s": round(float(np.percentile(latencies, 50)), 4),
            "latency_p95_s": round(float(np.percentile(latencies, 95)), 4),
            "queries": queries, "query_frames": QUERY_FRAMES, "copied_frames": copies,
            "frame_recall": round(frame_hits / max(copies, 1), 4),
            "reference_recall": round(ref_hits / max(copies, 1), 4), "measured": True}


def _measure_in_child(args: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """`measure(**args)` in a fresh Python process; its JSON row, or an error row."""
    code = ("import json, sys; from pathlib import Path; from vidtrace.bench.scale import "
            "measure; a = json.loads(sys.argv[1]); a['work'] = Path(a['work']); "
            "print(json.dumps(measure(**a)))")
    try:
        done = subprocess.run([sys.executable, "-c", code, json.dumps(args)], text=True,
                              capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"backend": args["backend"], "hours": args["hours"], "measured": False,
                "error": f"did not finish in {timeout_s:.0f} s"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1][:300]
        return {"backend": args["backend"], "hours": args["hours"], "measured": False,
                "error": tail}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# latency exponent of an index kind when the runs cannot give one (a single run, or the two
# largest of different kinds): exact search reads every frame; faiss's ivfpq has sqrt(n) lists
# (library/index.py) so a fixed nprobe reads ~sqrt(n) codes; Milvus's IVF has a fixed list
# count per segment and one more segment per segment's worth of frames: linear.
KIND_EXPONENT = {"flat": 1.0, "ivfpq": 0.5, "FLAT": 1.0, "IVF_PQ": 1.0, "IVF_SQ8": 1.0,
                 "IVF_FLAT": 1.0}


def extrapolate(rows: Sequence[dict[str, Any]], hours: float) -> dict[str, Any]:
    """A labelled estimate at `hours` from one backend's measured `rows` (ascending hours).
    When the two largest runs used the same index kind: memory and build time along the line
    through them, latency along the power law through them (exponent at least 0). Otherwise
    (one run, or a change of kind between them): memory and build time in proportion to the
    hours of the largest run (an upper bound: it scales the process's fixed part too), latency
    with the kind's exponent (KIND_EXPONENT)."""
    big = rows[-1]
    f = hours / big["hours"]
    prev = rows[-2] if len(rows) > 1 and rows[-2]["index"] == big["index"] else None
    if prev is not None and prev["latency_p50_s"] > 0:
        slope = max(0.0, math.log(big["latency_p50_s"] / prev["latency_p50_s"])
                    / math.log(big["hours"] / prev["hours"]))
        model = "fit through the two largest runs"
    else:
        slope = KIND_EXPONENT.get(big["index"], 1.0)
        model = f"exponent of a {big['index']} index; sizes in proportion to the largest run"

    def linear(field: str) -> float:
        if prev is None:
            return float(big[field]) * f
        per_hour = max(0.0, (big[field] - prev[field]) / (big["hours"] - prev["hours"]))
        return float(big[field]) + per_hour * (hours - big["hours"])

    return {"backend": big["backend"], "hours": hours, "frames": round(hours * 3600),
            "index": big["index"], "build_s": round(linear("build_s"), 1),
            "memory_mb": round(linear("memory_mb"), 1),
            "latency_p50_s": round(big["latency_p50_s"] * f ** slope, 4),
            "latency_p95_s": round(big["latency_p95_s"] * f ** slope, 4),
            "latency_exponent": round(slope, 3), "model": model, "frame_recall": None,
            "reference_recall": None, "measured": False,
            "extrapolated_from_hours": [r["hours"] for r in ([prev] if prev else []) + [big]]}


def parse_plan(items: Sequence[str]) -> list[tuple[str, float]]:
    """(backend, hours) runs from BACKEND:H,H,... texts (ConfigError otherwise)."""
    from vidtrace.errors import ConfigError

    plan = []
    for item in items:
        backend, _, hours = item.partition(":")
        try:
            sizes = [float(h) for h in hours.split(",")]
        except ValueError:
            sizes = []
        if backend not in BACKENDS or not sizes or min(sizes) <= 0:
            raise ConfigError(f"--run {item}: give BACKEND:HOURS[,HOURS...] with BACKEND one "
                              f"of {', '.join(BACKENDS)}, e.g. faiss:10,100")
        plan += [(backend, h) for h in sizes]
    return plan


def run_scale(work: Path | None = None, plan: Sequence[tuple[str, float]] = DEFAULT_PLAN,
              milvus_index: str = "ivfpq", server: str | None = None,
              server_pid: int | None = None,
              extrapolate_to: Sequence[float] = EXTRAPOLATE_HOURS, queries: int = QUERIES,
              timeout_s: float = 900.0, progress: Progress | None = None) -> dict[str, Any]:
    """Each (backend, hours) of `plan` measured, then estimates at `extrapolate_to`. The
    "milvus" backend needs `server` (milvus://HOST:PORT) and uses its auto index (IVF_SQ8);
    "milvus-lite" uses `milvus_index`."""
    from vidtrace.errors import ConfigError

    if server is None and any(b == "milvus" for b, _ in plan):
        raise ConfigError("--run milvus:... needs --server milvus://HOST:PORT (docs/scale.md)")
    backends = list(dict.fromkeys(b for b, _ in plan))
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=work, prefix="scale-") as tmp:
        for i, (backend, h) in enumerate(plan):
            if progress:
                progress(f"{backend} {h:g} h", i, len(plan))
            args = {"backend": backend, "hours": h, "work": tmp, "queries": queries,
                    "index_type": {"faiss": "auto", "milvus": "auto"}.get(backend,
                                                                          milvus_index),
                    "server": server, "server_pid": server_pid if backend == "milvus" else None}
            runs.append(_measure_in_child(args, timeout_s))
        if progress:
            progress("done", len(plan), len(plan))
    estimates = []
    for backend in backends:
        rows = sorted((r for r in runs if r["backend"] == backend and r.get("measured")),
                      key=lambda r: r["hours"])
        if rows:
            estimates += [extrapolate(rows, h) for h in extrapolate_to if h > rows[-1]["hours"]]
    return {"dim": DIM, "per_video_s": PER_VIDEO, "query_frames": QUERY_FRAMES,
            "milvus_lite_index": milvus_index, "server": server, "runs": runs,
            "extrapolated": estimates}


def format_scale(doc: dict[str, Any]) -> str:
    lines = [f"{'backend':<12} {'hours':>8} {'index':<8} {'build s':>9} {'memory MB':>10} "
             f"{'p50 ms':>8} {'p95 ms':>8} {'frame rec':>9} {'ref rec':>8}"]
    for r in [*doc["runs"], *doc["extrapolated"]]:
        if "error" in r:
            lines.append(f"{r['backend']:<12} {r['hours']:>8g} failed: {r['error']}")
            continue
        rec = (f"{r['frame_recall']:>9.3f} {r['reference_recall']:>8.3f}"
               if r["measured"] else f"{'-':>9} {'-':>8}  extrapolated")
        lines.append(f"{r['backend']:<12} {r['hours']:>8g} {r['index']:<8} {r['build_s']:>9.1f} "
                     f"{r['memory_mb']:>10.0f} {1000 * r['latency_p50_s']:>8.1f} "
                     f"{1000 * r['latency_p95_s']:>8.1f} {rec}")
    return "\n".join(lines)
