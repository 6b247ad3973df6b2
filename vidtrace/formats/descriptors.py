"""The VSC 2022 descriptor-track .npz: frame descriptors of many videos in three flat arrays.

Layout (what facebookresearch/vsc2022's `vsc/storage.py` writes and reads, and what the
DrivenData descriptor track took as `query_descriptors.npz` / `reference_descriptors.npz`):

- `video_ids`: (N,) the video id of each row, a file name without its suffix; the rows of one
  video are contiguous. Written as a numpy unicode array (loads with allow_pickle=False).
- `timestamps`: (N, 2) float64, [start, end] in seconds of the stretch of video each descriptor
  stands for. The vsc2022 baseline gives frame i sampled at f frames/s the interval
  [i / f, (i + 1) / f]; vidtrace writes [t_i, t_(i+1)] for its sample times t, the last one
  ending one sampling step later (no later than the video's end when that is after t_last).
  Older vsc2022 files hold (N,) start times only; both are read.
- `features`: (N, d) float32, one descriptor per row; the challenge scores inner products.

The challenge also limited descriptors to 512 dimensions and to one per second of video on
average (`vsc_limits`). Files are written without holding all features in memory: rows stream
into the archive video by video.
"""

import math
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from vidtrace.errors import VidtraceError
from vidtrace.types import FrameSet

MAX_DIM = 512  # the challenge's limit on descriptor dimensions
KEYS = ("video_ids", "timestamps", "features")


def frame_intervals(fs: FrameSet) -> np.ndarray:
    """[start, end] seconds of each sampled frame of `fs`, float64 (T, 2): from its sample time
    to the next one. The last frame lasts one sampling step (the median gap between samples; for
    a single frame, the rest of the video, or 1 s), cut at the video's end when the video ends
    after its last sample."""
    starts = np.asarray(fs.times, dtype=np.float64)
    if len(starts) == 0:
        return np.zeros((0, 2))
    if len(starts) > 1:
        step = float(np.median(np.diff(starts)))
    else:
        step = fs.duration - starts[0] if fs.duration > starts[0] else 1.0
    last_end = starts[-1] + step
    if fs.duration > starts[-1]:
        last_end = min(last_end, fs.duration)
    ends = np.append(starts[1:], last_end)
    return np.stack([starts, ends], axis=1)


def vsc_limits(dim: int, rows: int, durations: Sequence[float]) -> list[str]:
    """Which VSC 2022 descriptor-track limits a descriptor file breaks, as sentences (none: []):
    `dim` dimensions (at most 512) and `rows` descriptors for videos of `durations` seconds (at
    most the sum of their whole seconds, rounded up)."""
    problems = []
    if dim > MAX_DIM:
        problems.append(f"{dim} dimensions; the challenge allowed at most {MAX_DIM}")
    seconds = sum(math.ceil(d) for d in durations)
    if rows > seconds:
        problems.append(f"{rows} descriptors for {seconds} s of video; the challenge allowed "
                        "at most one per second (describe at --fps 1 or less)")
    return problems


def _write_npy(zf: zipfile.ZipFile, name: str, dtype: np.dtype, shape: tuple[int, ...],
               chunks: Iterable[np.ndarray]) -> int:
    """Stream one .npy member of `shape`/`dtype` from `chunks` (C order); returns the rows."""
    rows = 0
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        np.lib.format.write_array_header_2_0(
            f, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                "shape": shape})
        for chunk in chunks:
            f.write(np.ascontiguousarray(chunk, dtype=dtype).tobytes())
            rows += len(chunk)
    return rows


def write_vsc_descriptors(path: str | Path, framesets: Iterable[FrameSet],
                          count: int | None = None, dim: int | None = None) -> int:
    """Write `framesets` as a VSC 2022 descriptor .npz at `path` (atomically); returns the number
    of rows. With `count` (total frames) and `dim` given, `framesets` is consumed once and
    features are never all in memory (the library export); without them it is listed first.
    Raises VidtraceError when the frame sets disagree with `count`/`dim` or each other."""
    p = Path(path)
    if count is None or dim is None:
        framesets = list(framesets)
        count = sum(len(fs) for fs in framesets)
        dim = framesets[0].dim if framesets else 0
    ids: list[str] = []
    intervals: list[np.ndarray] = []
    seen: set[str] = set()

    def features() -> Iterable[np.ndarray]:
        for fs in framesets:
            if fs.dim != dim and len(fs):
                raise VidtraceError(f"{fs.video_id}: {fs.dim}-d descriptors among {dim}-d ones")
            if fs.video_id in seen:
                raise VidtraceError(f"{p}: video id {fs.video_id!r} twice; ids must be unique")
            seen.add(fs.video_id)
            ids.extend([fs.video_id] * len(fs))
            intervals.append(frame_intervals(fs))
            yield fs.vectors

    tmp = p.with_name(f".{p.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            rows = _write_npy(zf, "features", np.dtype("<f4"), (count, dim), features())
            if rows != count:
                raise VidtraceError(f"{p}: {rows} descriptor rows where {count} were announced")
            id_array = np.array(ids, dtype=str) if ids else np.zeros(0, dtype="<U1")
            _write_npy(zf, "video_ids", id_array.dtype, (count,), [id_array])
            _write_npy(zf, "timestamps", np.dtype("<f8"), (count, 2),
                       intervals or [np.zeros((0, 2))])
        tmp.replace(p)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def _load(p: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        with np.load(p, allow_pickle=False) as data:
            missing = [k for k in KEYS if k not in data.files]
            if missing:
                raise VidtraceError(f"{p}: not a VSC 2022 descriptor file: no array "
                                    f"{', '.join(missing)} (it has {', '.join(data.files)})")
            ids, stamps, feats = (data[k] for k in KEYS)
    except FileNotFoundError as e:
        raise VidtraceError(f"{p}: no such descriptor file") from e
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise VidtraceError(f"{p}: not a readable .npz descriptor file ({e})") from e
    n = len(feats)
    if feats.ndim != 2 or len(ids) != n or len(stamps) != n:
        raise VidtraceError(f"{p}: features {feats.shape}, {len(ids)} video ids and "
                            f"{len(stamps)} timestamps do not line up (need (N, d), N, N)")
    if not (stamps.ndim == 1 or stamps.shape[1:] == (2,)):
        raise VidtraceError(f"{p}: timestamps of shape {stamps.shape}; need (N,) or (N, 2)")
    return ids, stamps, feats


def read_vsc_descriptors(path: str | Path) -> list[FrameSet]:
    """The videos of a VSC 2022 descriptor .npz as FrameSets in file order: times are the start
    timestamps (sorted), vectors float32, duration the last end timestamp (the last start for
    (N,) timestamps). Integer video ids become their decimal strings. Raises VidtraceError
    naming the file for a wrong layout, a non-finite value or two rows of one video at the same
    time."""
    p = Path(path)
    ids, stamps, feats = _load(p)
    if not np.all(np.isfinite(feats)) or not np.all(np.isfinite(stamps)):
        raise VidtraceError(f"{p}: features or timestamps hold NaN or infinite values")
    ids = ids.astype(str)
    stamps = stamps.astype(np.float64)
    starts = stamps if stamps.ndim == 1 else stamps[:, 0]
    ends = stamps if stamps.ndim == 1 else stamps[:, 1]
    order = np.argsort(ids, kind="stable")
    boundaries = np.flatnonzero(ids[order][1:] != ids[order][:-1]) + 1
    out: list[tuple[int, FrameSet]] = []
    for rows in np.split(order, boundaries) if len(order) else []:
        rows = rows[np.argsort(starts[rows], kind="stable")]
        times = starts[rows]
        if len(times) > 1 and not np.all(np.diff(times) > 0):
            raise VidtraceError(f"{p}: video {str(ids[rows[0]])!r} has two descriptors starting at "
                                "the same time")
        out.append((int(rows.min()), FrameSet(str(ids[rows[0]]), times,
                                               feats[rows].astype(np.float32),
                                               float(ends[rows].max()))))
    return [fs for _, fs in sorted(out, key=lambda item: item[0])]
