"""Extra views of a collection's videos (dedup/, after describing, before matching): a copy
shown as a picture-in-picture inset, or inside a blurred canvas, of another upload.

A library stores whole frames, and an inset needs pixels. So each video's file is decoded
again at the rate and sampling its frames were stored at, and the detector of queries
(video/views.py, docs/pip.md and docs/views.md) runs on it window by window; only frames of
windows where an inset or canvas is found are cropped and described. The decode and the
detector cost about a tenth of describing (0.06 CPU s a 10 s video at 2 frames/s, against
about 0.5 s to describe it); a collection with no inset describes nothing more. The views are
made for each run and not stored: a kept library (`--lib`) decodes its files again.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidtrace.api import Library
from vidtrace.errors import VidtraceError
from vidtrace.settings import QuerySettings
from vidtrace.types import Reference
from vidtrace.video.decode import iter_frames
from vidtrace.video.views import InsetCollector, InsetView


def inset_view(lib: Library, ref: Reference, path: str | Path, settings: QuerySettings
               ) -> InsetView | None:
    """The inset (or canvas) view of `ref`'s stored frames, made from its file `path`
    (rows index its stored frames); None when the file cannot be read now, or nothing was
    found in it."""
    if not (settings.pip_view or settings.canvas_view) or not Path(path).is_file():
        return None
    s = lib.settings
    stored, _ = lib.store.frames(ref.key)
    if len(stored) == 0:
        return None
    collector = InsetCollector(lib.descriptor.describe, s.input_size, s.crop_borders,
                               lib.resources.batch_size, pip=settings.pip_view,
                               canvas=settings.canvas_view)
    try:
        decoded = iter_frames(path, s.index_fps, s.short_side, s.max_long_side,
                              sampling=s.index_sampling)
        times = np.array([t for t, _ in collector.whole_frames(decoded)], dtype=np.float64)
    except (VidtraceError, OSError):
        return None
    view = collector.view(lib.descriptor.dim)
    if len(view) == 0:
        return None
    # the decode gives the stored times again; rows are matched by time all the same, within
    # a quarter of a sampling period, in case a file was stored by an earlier version
    t = times[view.rows]
    after = np.searchsorted(stored, t)
    lo, hi = np.clip(after - 1, 0, len(stored) - 1), np.clip(after, 0, len(stored) - 1)
    nearest = np.where(np.abs(stored[lo] - t) <= np.abs(stored[hi] - t), lo, hi)
    close = np.abs(stored[nearest] - t) <= 0.25 / s.index_fps
    rows, keep = np.unique(nearest[close], return_index=True)
    if len(rows) == 0:
        return None
    return InsetView(rows.astype(np.int64), view.vectors[close][keep], view.windows)


def inset_views(lib: Library, refs: Sequence[Reference], settings: QuerySettings
                ) -> dict[str, InsetView]:
    """The inset views found among `refs` (by video id), each from its reference's path."""
    out = {}
    for ref in refs:
        view = inset_view(lib, ref, ref.path, settings)
        if view is not None:
            out[ref.video_id] = view
    return out
