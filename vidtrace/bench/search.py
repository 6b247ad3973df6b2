"""Search alone, for `vidtrace bench --speed` (docs/speed.md): exact, hnsw and ivfpq indexes
over libraries of synthetic reference frames shaped like SSCD's (`SyntheticFrames`), built one
after the other; the search time of a 60 s query's QUERY_FRAMES frames in each, the build time
and memory of each, recall@10 against exact search and how often the copied frame is found.
`run_speed_search` is this part alone (`vidtrace bench --speed --only search`)."""

import resource
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from vidtrace.settings import DEFAULT_RUN, RunSettings, usable_cores

SEARCH_HOURS = (1.0, 50.0, 500.0)
QUERY_FRAMES = 120  # a 60 s query at 2 frames/s
Progress = Callable[[str, int, int], None]


# Synthetic reference frames shaped like SSCD's (measured on the development footage's 1,760
# reference frames: 15 / 50 / 74 % of the variance in the first 10 / 50 / 100 directions, a
# mean of norm 0.14): eigenvalue i of the covariance is proportional to exp(-i / 70), in a
# random basis. Frames come in scenes of 2-10 s, a scene's frames close to its anchor.
SPECTRUM_DECAY = 70.0
MEAN_NORM = 0.14
SCENE_NOISE = 0.35  # a frame = its scene's anchor + this much noise (similarity ~0.9)
COPY_SHARE = 0.6  # share of the query's frames that are edited copies of library frames
EDIT_NOISE = (0.6, 1.2)  # an edited copy = its source + this much noise (similarity 0.64-0.86)


class SyntheticFrames:
    """Deterministic synthetic reference frames and queries (see the constants above)."""

    def __init__(self, dim: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.dim, self.seed = dim, seed
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        scale = np.sqrt(np.exp(-np.arange(dim) / SPECTRUM_DECAY))
        self._basis = (q * (scale / np.linalg.norm(scale))).T.astype(np.float32)
        mean = rng.standard_normal(dim)
        self._mean = (MEAN_NORM * mean / np.linalg.norm(mean)).astype(np.float32)

    def _noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.standard_normal((n, self.dim), dtype=np.float32) @ self._basis

    def video(self, rowid: int, n: int) -> np.ndarray:
        """float32[n, dim] unit frames of synthetic video `rowid` at 1 frame/s."""
        rng = np.random.default_rng([self.seed, rowid])
        lengths = rng.integers(2, 11, size=n // 2 + 1)
        scene = np.repeat(np.arange(len(lengths)), lengths)[:n]
        anchors = self._mean + self._noise(rng, len(lengths))
        x = anchors[scene] + SCENE_NOISE * self._noise(rng, n)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def videos(self, frames: int, per_video: int = 3600
               ) -> Callable[[], Iterator[tuple[int, np.ndarray]]]:
        """A callable yielding (rowid, frames) of `frames` synthetic frames in videos of
        `per_video` frames, the same each call."""
        def gen() -> Iterator[tuple[int, np.ndarray]]:
            for rowid, first in enumerate(range(0, frames, per_video), start=1):
                yield rowid, self.video(rowid, min(per_video, frames - first))
        return gen

    def queries(self, frames: int, n: int, per_video: int = 3600
                ) -> tuple[np.ndarray, np.ndarray]:
        """(float32[n, dim] query frames, int64[n] the packed id of each copy's source frame,
        -1 for an unrelated frame): a COPY_SHARE of them edited copies of library frames."""
        from vidtrace.library.index import pack_ids

        rng = np.random.default_rng([self.seed, 1 << 20])
        out = np.empty((n, self.dim), np.float32)
        truth = np.full(n, -1, np.int64)
        n_videos = -(-frames // per_video)
        for i in range(n):
            if rng.random() < COPY_SHARE:
                rowid = int(rng.integers(1, n_videos + 1))
                length = min(per_video, frames - (rowid - 1) * per_video)
                frame = int(rng.integers(length))
                x = self.video(rowid, length)[frame] + rng.uniform(*EDIT_NOISE) * self._noise(
                    rng, 1)[0]
                truth[i] = pack_ids(rowid, length)[frame]
            else:
                x = self._mean + self._noise(rng, 1)[0]
            out[i] = x / np.linalg.norm(x)
        return out, truth

def _best_time(fn: Callable[[], object], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return float(best)


EF_SWEEP = (32, 64, 128, 256)  # hnsw efSearch values also measured (docs/speed.md)


def _quality(I: np.ndarray, I_exact: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(recall@k: the share of the exact top k returned, how often the copied frame is in the
    top k), over the query frames that copy a library frame (truth >= 0)."""
    copies = truth >= 0
    k = I_exact.shape[1]
    overlap = [len(set(a) & set(b)) / k for a, b in zip(I_exact[copies], I[copies], strict=True)]
    return float(np.mean(overlap)), float((I[copies] == truth[copies, None]).any(axis=1).mean())


def _exact_search(dim: int, videos: Callable[[], Iterator[tuple[int, np.ndarray]]],
                  queries: np.ndarray, k: int, repeats: int) -> tuple[float, np.ndarray]:
    """(best of `repeats` search seconds, int64[n, k] ids) of an exact index of `videos()`,
    freed on return."""
    from vidtrace.library.index import FrameIndex

    flat = FrameIndex(dim)
    for rowid, vectors in videos():
        flat.add(rowid, vectors)
    return _best_time(lambda: flat.search(queries, k), repeats), flat.search(queries, k)[1]


def search_latency(hours: float, dim: int, k: int, nprobe: int = 32, repeats: int = 3,
                   seed: int = 0, ef_search: int = 128, m: int = 32, ef_construction: int = 64,
                   ef_sweep: Sequence[int] = EF_SWEEP) -> dict[str, Any]:
    """Exact (flat), ivfpq and hnsw indexes over `hours` of synthetic reference frames at 1
    frame/s (SyntheticFrames), built one after the other (one in memory at a time): the best
    of `repeats` searches of QUERY_FRAMES query frames in each (ivfpq visiting `nprobe` lists,
    hnsw keeping `ef_search` candidates, `m` links a frame, built with `ef_construction`), the
    approximate indexes' build seconds, each index's bytes, recall@10 against the exact top 10
    and how often each finds the copied frame itself in its top 10 (`_quality`); hnsw also at
    each efSearch of `ef_sweep` (one search each)."""
    from vidtrace.library.index import IVF_MIN_TRAIN, build_index

    synth = SyntheticFrames(dim, seed)
    frames = int(hours * 3600)
    videos = synth.videos(frames)
    queries, truth = synth.queries(frames, QUERY_FRAMES)
    exact_s, I_exact = _exact_search(dim, videos, queries, k, repeats)
    row: dict[str, Any] = {
        "hours": hours, "frames": frames, "exact_search_s": exact_s,
        "exact_bytes": frames * (dim * 4 + 8), "copy_found_exact": _quality(
            I_exact, I_exact, truth)[1],
        "ivfpq_search_s": None, "ivfpq_bytes": None, "ivfpq_build_s": None, "nlist": None,
        "nprobe": nprobe, "recall_at_10": None, "copy_found_ivfpq": None}
    if frames >= IVF_MIN_TRAIN:  # else too few frames to train an ivfpq index on
        start = time.perf_counter()
        ivf = build_index(dim, False, "ivfpq", frames, videos, seed)
        row["ivfpq_build_s"] = time.perf_counter() - start
        row["ivfpq_search_s"] = _best_time(lambda: ivf.search(queries, k, nprobe), repeats)
        recall, found = _quality(ivf.search(queries, k, nprobe)[1], I_exact, truth)
        row |= {"ivfpq_bytes": ivf.memory_bytes(), "nlist": ivf.nlist, "recall_at_10": recall,
                "copy_found_ivfpq": found}
        del ivf
    return row | _hnsw_row(dim, frames, videos, queries, truth, I_exact, repeats, seed,
                           ef_search, m, ef_construction, ef_sweep)


def _hnsw_row(dim: int, frames: int, videos: Callable[[], Iterator[tuple[int, np.ndarray]]],
              queries: np.ndarray, truth: np.ndarray, I_exact: np.ndarray, repeats: int,
              seed: int, ef_search: int, m: int, ef_construction: int, ef_sweep: Sequence[int]
              ) -> dict[str, Any]:
    """`search_latency`'s hnsw figures (its arguments; I_exact the exact top k)."""
    from vidtrace.library.index import build_index

    k = I_exact.shape[1]
    start = time.perf_counter()
    hnsw = build_index(dim, False, "hnsw", frames, videos, seed, m, ef_construction)
    build_s = time.perf_counter() - start
    sweep = []
    for ef in sorted({ef_search, *ef_sweep}):
        search_s = _best_time(partial(hnsw.search, queries, k, ef_search=ef), repeats)
        recall, found = _quality(hnsw.search(queries, k, ef_search=ef)[1], I_exact, truth)
        sweep.append({"ef_search": ef, "search_s": search_s, "recall_at_10": recall,
                      "copy_found": found})
    chosen = next(e for e in sweep if e["ef_search"] == ef_search)
    return {"hnsw_build_s": build_s, "hnsw_m": m, "hnsw_ef_construction": ef_construction,
            "ef_search": ef_search, "hnsw_search_s": chosen["search_s"],
            "hnsw_bytes": hnsw.memory_bytes(), "hnsw_recall_at_10": chosen["recall_at_10"],
            "copy_found_hnsw": chosen["copy_found"], "hnsw_ef_sweep": sweep}


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    """Floats to 4 decimals, in nested lists of dicts too (report rows)."""
    def r(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 4)
        if isinstance(v, list):
            return [_rounded(x) if isinstance(x, dict) else r(x) for x in v]
        return v
    return {k: r(v) for k, v in row.items()}


def search_table(dim: int, settings: RunSettings, search_hours: Sequence[float] = SEARCH_HOURS,
                 progress: Progress | None = None) -> list[dict[str, Any]]:
    """`search_latency` rows at each of `search_hours`, with `settings`' k, nprobe, efSearch and
    hnsw build settings."""
    q, lib = settings.query, settings.library
    rows = []
    for i, hours in enumerate(search_hours):
        rows.append(_rounded(search_latency(
            hours, dim, q.knn_k, q.nprobe, ef_search=q.ef_search, m=lib.hnsw_m,
            ef_construction=lib.hnsw_ef_construction)))
        if progress:
            progress("search", i + 1, len(search_hours))
    return rows


def run_speed_search(settings: RunSettings = DEFAULT_RUN,
                     search_hours: Sequence[float] = SEARCH_HOURS,
                     progress: Progress | None = None) -> dict[str, Any]:
    """The search part of the speed report alone (`vidtrace bench --speed --only search`): the
    descriptor's dimension, the search table, and the process's peak memory."""
    import os

    from vidtrace.descriptors import create_descriptor

    dim = create_descriptor(settings.library.descriptor, settings.resources.thread_count).dim
    load_before = os.getloadavg()[0]  # other processes' load makes the timings noisier
    search = search_table(dim, settings, search_hours, progress)
    return {"cores": usable_cores(), "dim": dim, "search": search,
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def format_search(rows: list[dict[str, Any]]) -> list[str]:
    """The search table: one line per index kind per library size."""
    lines = [f"{'ref hours':>9} {'frames':>9} {'index':<28} {'search ms':>9} {'MB':>8} "
             f"{'build s':>8} {'recall@10':>9} {'copy@10':>7}"]
    for r in rows:
        head = f"{r['hours']:>9g} {r['frames']:>9}"
        lines.append(f"{head} {'exact':<28} {r['exact_search_s'] * 1000:>9.1f} "
                     f"{r['exact_bytes'] / 1e6:>8.1f} {'-':>8} {'1.000':>9} "
                     f"{r['copy_found_exact']:>7.3f}")
        if r.get("hnsw_search_s") is not None:
            name = f"hnsw (M {r['hnsw_m']}, efSearch {r['ef_search']})"
            lines.append(f"{head} {name:<28} {r['hnsw_search_s'] * 1000:>9.1f} "
                         f"{r['hnsw_bytes'] / 1e6:>8.1f} {r['hnsw_build_s']:>8.1f} "
                         f"{r['hnsw_recall_at_10']:>9.3f} {r['copy_found_hnsw']:>7.3f}")
        if r["ivfpq_search_s"] is None:
            lines.append(f"{head} {'ivfpq (too few frames for ivfpq)':<28}")
            continue
        name = f"ivfpq ({r['nlist']} lists, nprobe {r['nprobe']})"
        lines.append(f"{head} {name:<28} {r['ivfpq_search_s'] * 1000:>9.1f} "
                     f"{r['ivfpq_bytes'] / 1e6:>8.1f} {r['ivfpq_build_s']:>8.1f} "
                     f"{r['recall_at_10']:>9.3f} {r['copy_found_ivfpq']:>7.3f}")
    sweeps = [r for r in rows if r.get("hnsw_ef_sweep")]
    if sweeps:
        lines += ["", "hnsw efSearch: search ms / recall@10 / copy@10"]
        for r in sweeps:
            cells = [f"{e['ef_search']}: {e['search_s'] * 1000:.1f} / {e['recall_at_10']:.3f} "
                     f"/ {e['copy_found']:.3f}" for e in r["hnsw_ef_sweep"]]
            lines.append(f"{r['hours']:>9g} h  " + "   ".join(cells))
    return lines
