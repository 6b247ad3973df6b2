"""Sources of what matching may need beyond stored vectors (match/): pixels of the query and
of reference files decoded again, and reference vectors at a fine rate.

The facade (api.py) builds them from the query's file, the store and the descriptor and hands
them to the `Matcher` explicitly (`Sources`); the matcher never sees a file path.
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vidtrace.audio import decode_audio, query_peaks
from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import ConfigError, VideoError
from vidtrace.library.store import Store
from vidtrace.match.matcher import FineSource, Sources
from vidtrace.retrieve import FrameSource
from vidtrace.settings import AudioMode, FineMode, LibrarySettings, QuerySettings
from vidtrace.types import Reference
from vidtrace.video.borders import prepare_frame


def sources_for(store: Store, settings: QuerySettings, descriptor: Callable[[], Descriptor],
                batch_size: int, query_path: str | Path | None) -> Sources:
    """The sources a query with `settings` may need: fine-rate vectors as `settings.fine`
    says (ConfigError when the library stores none and "library" is asked), and, when the
    query's file is known, its pixels again and (sound on) its soundtrack's peaks.
    `descriptor()` gives the library's descriptor (loaded only when frames must be described
    again)."""
    lib = store.manifest.settings
    fine = None
    if settings.fine is FineMode.LIBRARY:
        if lib.fine_fps == 0:
            raise ConfigError(f"{store.location}: was built without fine-rate rows; refine by "
                              "decoding (--fine decode) or build a library with --fine-fps")
        fine = library_fine(store)
    elif settings.fine is FineMode.DECODE:
        fine = decoded_fine(descriptor(), lib, settings.fine_decode_fps, batch_size)
    frames = None if query_path is None else decoded_frames(query_path, store, lib)
    audio = None
    if query_path is not None and settings.audio is not AudioMode.OFF:
        try:
            audio = query_peaks(decode_audio(query_path))
        except VideoError:  # damaged sound: the picture alone answers (as for references)
            audio = None
    return Sources(frames, fine, audio)


def decoded_frames(query_path: str | Path, store: Store, lib: LibrarySettings
                   ) -> FrameSource:
    """Frames of the query (key None) or of a stored reference's file at given times, decoded
    again and sized as the library decodes them; a reference file that is gone gives no
    frames (None), so re-ranking just cannot confirm it."""
    from vidtrace.video.seek import frames_at

    def frames(key: int | None, times: Sequence[float]) -> list[np.ndarray | None]:
        path = Path(query_path) if key is None else Path(store.reference(key).path)
        if key is not None and not path.is_file():
            return [None] * len(times)
        return frames_at(path, times, lib.short_side, lib.max_long_side)

    return frames


def library_fine(store: Store) -> FineSource:
    """A reference's fine-rate rows stored in the library, within the window asked for."""

    def fine(ref: Reference, start: float, end: float) -> tuple[np.ndarray, np.ndarray] | None:
        stored = store.fine_frames(ref.key)
        if stored is None:
            return None
        times, vectors = stored
        inside = (times >= start) & (times <= end)
        return times[inside], vectors[inside]

    return fine


def decoded_fine(descriptor: Descriptor, lib: LibrarySettings, fps: float, batch_size: int
                 ) -> FineSource:
    """A reference's frames in the window decoded from its file at `fps` and described as the
    library describes frames (VideoError when the file cannot be read)."""
    from vidtrace.video.seek import iter_window

    def fine(ref: Reference, start: float, end: float) -> tuple[np.ndarray, np.ndarray] | None:
        frames = ((t, prepare_frame(image, lib.input_size, lib.crop_borders))
                  for t, image in iter_window(ref.path, fps, start, end, lib.short_side,
                                              lib.max_long_side))
        described = list(descriptor.describe_stream(frames, batch_size))
        if not described:
            return None
        return (np.concatenate([t for t, _ in described]),
                np.concatenate([v for _, v in described]))

    return fine
