"""Chromaprint beside the landmark prints, for measuring the two on one benchmark (issue 21;
docs/audio.md "Chromaprint, measured").

Chromaprint (the AcoustID project's C library) turns a soundtrack into one 32-bit
sub-fingerprint per item of about 0.124 s (12 chroma filters' signs over a sliding window
of 4,096 samples at 11,025 Hz, two thirds overlapping). No PyPI wheel ships the library; this
module loads the system one (Debian's `libchromaprint1`) through ctypes and is simply absent
(`version()` None) without it. It is not a store's fingerprint: nothing here is indexed, and
queries are compared with every reference print by brute force, which is what Chromaprint
itself offers (it has no index that finds a short excerpt with its offset).

Matching a query against one reference print (`ChromaprintMatcher.match`): for each variant
of a speed grid (reference seconds per query second over [min_speed, max_speed] in about 2 %
steps, with the pitch moved, i.e. resampled, and with it kept, i.e. time-stretched, as
landmarks search them) the query's sound is brought back to the reference's time scale, printed,
and compared with the reference print at every offset: the bit errors of each aligned item
pair, averaged over `smooth_items` items. The longest run of items whose smoothed bit error
rate stays under `max_ber`, on the few offsets whose whole diagonal errs least, is the
variant's segment; the segment with the most evidence over variants (its items weighted by
1 - 2 x their bit error rate) is kept when it spans at least `min_duration_s` of query and
scores at least `min_score`. Score: 1 - 2 x its mean bit error rate (1 identical, about 0
unrelated sound). `min_score` 0.55 was set on clips the sound benchmark does not use
(docs/audio.md): copies there scored 0.75-0.99, the best wrong reference 0.38. Approximate:
segment ends are item-aligned and Chromaprint's filter delay is counted once, at the end.
"""

import ctypes
import ctypes.util
from dataclasses import dataclass
from functools import cache

import numpy as np

from vidtrace.audio.tempo import resampled, stretched
from vidtrace.types import Match

RATE = 11025  # Hz: Chromaprint's own working rate (it resamples anything else to it)


@cache
def _lib() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("chromaprint")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.chromaprint_get_version.restype = ctypes.c_char_p
    lib.chromaprint_new.restype = ctypes.c_void_p
    lib.chromaprint_new.argtypes = [ctypes.c_int]
    lib.chromaprint_free.argtypes = [ctypes.c_void_p]
    lib.chromaprint_start.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.chromaprint_feed.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    lib.chromaprint_finish.argtypes = [ctypes.c_void_p]
    lib.chromaprint_get_raw_fingerprint.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32)),
        ctypes.POINTER(ctypes.c_int)]
    lib.chromaprint_dealloc.argtypes = [ctypes.c_void_p]
    lib.chromaprint_get_item_duration_ms.argtypes = [ctypes.c_void_p]
    lib.chromaprint_get_delay_ms.argtypes = [ctypes.c_void_p]
    return lib


def version() -> str | None:
    """The loaded Chromaprint's version, or None where the system library is missing."""
    lib = _lib()
    return None if lib is None else lib.chromaprint_get_version().decode()


@dataclass(frozen=True)
class RawPrint:
    """A raw Chromaprint fingerprint: `items` uint32[n], item i starting at i x `item_s`
    seconds, each item depending on `delay_s` seconds of sound after its start."""

    items: np.ndarray
    item_s: float
    delay_s: float


def raw_print(samples: np.ndarray, rate: int = RATE) -> RawPrint:
    """The raw fingerprint of float32 mono `samples` at `rate` Hz (default algorithm).
    RuntimeError where the library is missing or fails."""
    lib = _lib()
    if lib is None:
        raise RuntimeError("Chromaprint is not installed (Debian: apt-get install "
                           "libchromaprint1)")
    pcm = np.ascontiguousarray(np.clip(samples, -1.0, 1.0) * 32767.0, dtype=np.int16)
    ctx = lib.chromaprint_new(1)  # CHROMAPRINT_ALGORITHM_DEFAULT (TEST2)
    if not ctx:
        raise RuntimeError("chromaprint_new failed")
    try:
        ok = (lib.chromaprint_start(ctx, rate, 1)
              and lib.chromaprint_feed(ctx, pcm.ctypes.data, len(pcm))
              and lib.chromaprint_finish(ctx))
        if not ok:
            raise RuntimeError("Chromaprint could not fingerprint the sound")
        ptr = ctypes.POINTER(ctypes.c_uint32)()
        size = ctypes.c_int()
        if not lib.chromaprint_get_raw_fingerprint(ctx, ctypes.byref(ptr), ctypes.byref(size)):
            raise RuntimeError("chromaprint_get_raw_fingerprint failed")
        try:
            items = np.ctypeslib.as_array(ptr, (size.value,)).copy() if size.value else (
                np.zeros(0, np.uint32))
        finally:
            lib.chromaprint_dealloc(ptr)
        return RawPrint(items.astype(np.uint32), lib.chromaprint_get_item_duration_ms(ctx) / 1e3,
                        lib.chromaprint_get_delay_ms(ctx) / 1e3)
    finally:
        lib.chromaprint_free(ctx)


def _runs_below(values: np.ndarray, limit: float) -> tuple[int, int]:
    """(start, end) of the longest run of `values` < limit (end exclusive; (0, 0) if none)."""
    below = np.concatenate([[False], values < limit, [False]])
    edges = np.flatnonzero(np.diff(below.astype(np.int8)))
    if not len(edges):
        return 0, 0
    starts, ends = edges[::2], edges[1::2]
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best])


@dataclass(frozen=True)
class ChromaprintMatcher:
    """Brute-force segment matching of a query's sound against reference prints (module
    docstring); `references` maps a reference id to its RawPrint."""

    references: dict[str, RawPrint]
    min_speed: float = 0.8
    max_speed: float = 1.5
    speed_step: float = 0.02
    max_ber: float = 0.35
    min_score: float = 0.55
    smooth_items: int = 8
    min_duration_s: float = 4.0
    top_offsets: int = 4

    def speeds(self) -> np.ndarray:
        """The speed grid, float64[S] ascending: multiplicative steps of `speed_step` over
        [min_speed, max_speed], 1.0 on it."""
        step = np.log1p(self.speed_step)
        lo = int(np.ceil(np.log(self.min_speed) / step - 1e-9))
        hi = int(np.floor(np.log(self.max_speed) / step + 1e-9))
        return np.exp(np.arange(lo, hi + 1) * step)

    def variants(self, samples: np.ndarray) -> list[tuple[float, RawPrint]]:
        """(speed, print of `samples` brought back to the reference's time scale) per
        variant: the pitch moved (resampled) at every speed, kept (time-stretched) at every
        speed but 1."""
        out = []
        for s in self.speeds():
            if abs(s - 1.0) < 1e-9:
                out.append((1.0, raw_print(samples)))
                continue
            out.append((float(s), raw_print(resampled(samples, 1.0 / s))))
            out.append((float(s), raw_print(stretched(samples, 1.0 / s, RATE))))
        return out

    def match(self, samples: np.ndarray) -> list[Match]:
        """The copied segments of float32 mono `samples` at RATE Hz: at most one per
        reference, best score first."""
        variants = self.variants(samples)
        found = []
        for ref_id, ref in self.references.items():
            best: tuple[float, float, Match] | None = None
            for speed, q in variants:
                seg = self._segment(q, ref, speed, ref_id)
                if seg and (best is None or seg[:2] > best[:2]):
                    best = seg
            if best:
                found.append(best[2])
        return sorted(found, key=lambda m: -m.score)

    def _segment(self, q: RawPrint, ref: RawPrint, speed: float, ref_id: str
                 ) -> tuple[float, float, Match] | None:
        """The variant's best low-error run: (evidence, -mean BER, Match), evidence being the
        run's items weighted by 1 - 2 x their bit error rate. Only the `top_offsets` offsets
        with the lowest mean error over their whole diagonal are searched for runs."""
        w = self.smooth_items
        m, n = len(q.items), len(ref.items)
        if m < w or n < w:
            return None
        errors = np.bitwise_count(q.items[:, None] ^ ref.items[None, :]).astype(np.float32)
        # offset (ref item - query item) of every pair; mean error per diagonal
        diag_of = (np.arange(n)[None, :] - np.arange(m)[:, None]).ravel() + (m - 1)
        sums = np.bincount(diag_of, errors.ravel(), m + n - 1)
        counts = np.bincount(diag_of, None, m + n - 1)
        offsets = np.arange(m + n - 1) - (m - 1)
        usable = counts >= w
        order = np.argsort(np.where(usable, sums / np.maximum(counts, 1), np.inf))
        kernel = np.ones(w, np.float32) / (32 * w)
        best = None
        for offset in offsets[order[:self.top_offsets]]:
            if counts[offset + m - 1] < w:
                break
            diag = np.diagonal(errors, offset) / 32  # pairs (i, i + offset), as BER
            a, b = _runs_below(np.convolve(diag, kernel * 32, "valid"), self.max_ber)
            if b <= a:
                continue
            run = diag[a:b + w - 1]  # the items the run's windows cover
            evidence = float(np.sum(1.0 - 2.0 * run))
            if best is None or evidence > best[0]:
                best = (evidence, -float(run.mean()), int(offset), a, len(run))
        if best is None:
            return None
        evidence, neg_ber, offset, a, k = best
        i0 = a + max(0, -offset)  # query item index of the run's start
        q0, q1 = i0 * q.item_s / speed, ((i0 + k) * q.item_s + q.delay_s) / speed
        score = max(0.0, 1.0 + 2.0 * neg_ber)
        if q1 - q0 < self.min_duration_s or score < self.min_score:
            return None
        r0 = (i0 + offset) * ref.item_s
        r1 = (i0 + offset + k) * ref.item_s + ref.delay_s
        return evidence, neg_ber, Match(ref_id, q0, q1, r0, r1, score, ("audio",))
