"""Soundtracks for synthetic videos (stage 8, synth): cut a source's sound, edit it, and mux
it into a video the engine wrote (which is silent).

Sound edits act on float32 mono samples at `RATE` Hz: gain, added noise at a signal-to-noise
ratio, resampling to a speed (the pitch moves with it, as when a video is sped up by
resampling), time stretching to a speed with the pitch kept (WSOLA, as editors' "keep pitch"
does), and a second track mixed over the first at a level (music overlay). `mux` copies the
video stream's packets and encodes the samples (AAC by default, at a chosen bit rate: the
low-bitrate re-encode edit), so the picture is untouched.
"""

from pathlib import Path

import numpy as np

from vidtrace.audio import decode_audio
from vidtrace.audio.tempo import RATE, STRETCH_WINDOW_S, resampled, stretched
from vidtrace.errors import VideoError

__all__ = ["RATE", "STRETCH_WINDOW_S", "gain", "loop_to", "mixed", "mux", "noisy",
           "resampled", "sound_of", "stretched"]


def sound_of(path: str | Path, start: float = 0.0, end: float | None = None) -> np.ndarray:
    """Seconds [start, end] of `path`'s soundtrack, float32 mono at RATE (VideoError when it
    has none)."""
    samples = decode_audio(path, RATE)
    if samples is None:
        raise VideoError(path, "has no audio stream; give a file with sound")
    stop = len(samples) if end is None else round(end * RATE)
    return samples[round(start * RATE):stop]


def loop_to(samples: np.ndarray, seconds: float) -> np.ndarray:
    """`samples` repeated (or cut) to last `seconds`."""
    n = round(seconds * RATE)
    if len(samples) == 0:
        return np.zeros(n, np.float32)
    return np.resize(samples, n).astype(np.float32)


def gain(samples: np.ndarray, db: float) -> np.ndarray:
    return (samples * np.float32(10 ** (db / 20))).astype(np.float32)


def noisy(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """`samples` plus white noise `snr_db` below their power."""
    power = float(np.mean(samples.astype(np.float64) ** 2)) or 1e-8
    noise = np.random.default_rng(seed).standard_normal(len(samples))
    return (samples + noise * np.sqrt(power / 10 ** (snr_db / 10))).astype(np.float32)


def mixed(samples: np.ndarray, other: np.ndarray, level_db: float) -> np.ndarray:
    """`other` (looped or cut to the length of `samples`) mixed over `samples`, its power
    `level_db` relative to theirs (0: as loud; -10: ten dB quieter; +6: louder)."""
    x = np.asarray(samples, np.float32)
    y = np.resize(np.asarray(other, np.float32), len(x)) if len(other) else np.zeros_like(x)
    p_x = float(np.mean(x.astype(np.float64) ** 2)) or 1e-8
    p_y = float(np.mean(y.astype(np.float64) ** 2)) or 1e-8
    return (x + y * np.float32(np.sqrt(p_x / p_y * 10 ** (level_db / 10)))).astype(np.float32)


def mux(video: str | Path, samples: np.ndarray | None, out: str | Path, *,
        codec: str = "aac", bit_rate: int = 128_000) -> Path:
    """Write `out`: the video stream of `video` (packets copied) with `samples` (float32 mono
    at RATE; None: no audio stream) encoded with `codec` at `bit_rate` bits/s."""
    import av

    out = Path(out)
    with av.open(str(video)) as src, av.open(str(out), "w") as dst:
        v_in = src.streams.video[0]
        v_out = dst.add_stream_from_template(v_in)
        a_out: av.AudioStream | None = None
        if samples is not None:
            stream = dst.add_stream(codec, rate=RATE if codec == "aac" else 48000, layout="mono")
            assert isinstance(stream, av.AudioStream)
            stream.bit_rate = bit_rate
            a_out = stream
        for packet in src.demux(v_in):
            if packet.dts is None:
                continue
            packet.stream = v_out
            dst.mux(packet)
        if a_out is not None and samples is not None:
            x = np.clip(samples, -1.0, 1.0).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(x, format="fltp", layout="mono")
            frame.sample_rate = RATE
            frame.pts = 0
            dst.mux(a_out.encode(frame))
            dst.mux(a_out.encode(None))
    return out
