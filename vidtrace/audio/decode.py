"""Decoding a file's soundtrack (audio): its first audio stream, mixed to mono and resampled
in PyAV's resampler to one fixed rate.

A file without an audio stream has no soundtrack (None), which is not an error: such a video
simply has no fingerprints. A file that cannot be opened or whose audio cannot be decoded is
a VideoError naming it.
"""

from pathlib import Path

import numpy as np

from vidtrace.errors import VideoError

SAMPLE_RATE = 8000  # Hz: the band below 4 kHz holds the peaks speech and music keep


def decode_audio(path: str | Path, rate: int = SAMPLE_RATE) -> np.ndarray | None:
    """The first audio stream of `path` as float32[n] mono samples at `rate` Hz, in [-1, 1]
    (sample 0 at the stream's first sample), or None when the file has no audio stream."""
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as e:
        raise VideoError(path, f"cannot be opened ({e}); check that it is a media file"
                         ) from e
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
        except (av.FFmpegError, ValueError) as e:
            raise VideoError(path, f"its audio cannot be decoded ({type(e).__name__}): the "
                             "file is corrupt or truncated; re-encode it") from e
    if not chunks:
        return np.zeros(0, np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)
