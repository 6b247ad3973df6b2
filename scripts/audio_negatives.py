"""Sound matching on unrelated soundtracks (docs/audio.md, "Threshold"): each recording of
../shared/data/audio queried in two 20 s excerpts (5-25 s and 25-45 s) against the prints of
the other 17, in memory; for speed changes with the pitch moved only (`keep_pitch` off, 33
variants) and with pitch-kept speeds too (on, 65): the most hits on any line (hits within
0.15 s of the offset of one of the five best lines of a (reference, variant)) and the mean
time of `match_audio` per excerpt (hashing, voting; the in-memory lookup is not the
catalog's). Prints one JSON object.

    PYTHONPATH=. python scripts/audio_negatives.py [AUDIO_FOLDER]
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

from vidtrace.audio.decode import SAMPLE_RATE, decode_audio
from vidtrace.audio.landmarks import fingerprint, query_peaks
from vidtrace.audio.match import AudioParams, _hits, _lines, match_audio
from vidtrace.types import AudioPrints

EXCERPTS_S = (5, 25)
LENGTH_S = 20
LINE_TOL_S = 0.15


def lookup_of(prints: dict[int, AudioPrints]):  # type: ignore[no-untyped-def]
    """A store's `print_hits` over `prints` (key -> prints), in memory."""
    h = np.concatenate([p.hashes for p in prints.values()])
    k = np.concatenate([np.full(len(p), key, np.int64) for key, p in prints.items()])
    t = np.concatenate([p.ticks.astype(np.int64) for p in prints.values()])
    return lambda hashes: (h[np.isin(h, hashes)], k[np.isin(h, hashes)],
                           t[np.isin(h, hashes)])


def best_line(peaks, lookup, params: AudioParams) -> int:  # type: ignore[no-untyped-def]
    speeds, pitches = params.variants()
    hits, _, _ = _hits(peaks, lookup, speeds, pitches)
    best = 0
    for v, ref, offset in _lines(hits, params)[:5]:
        on = ((hits.speed == v) & (hits.ref_key == ref)
              & (np.abs(hits.offset_s - offset) <= LINE_TOL_S))
        best = max(best, int(on.sum()))
    return best


def main(folder: Path) -> None:
    files = sorted(folder.glob("*.m4a"))
    sounds = {i: decode_audio(f) for i, f in enumerate(files)}
    prints = {i: fingerprint(x) for i, x in sounds.items() if x is not None}
    out = {}
    for keep in (False, True):
        params = AudioParams(keep_pitch=keep)
        counting = AudioParams(keep_pitch=keep, min_votes=1)
        rows, seconds, found = [], [], 0
        for i, x in sounds.items():
            lookup = lookup_of({k: p for k, p in prints.items() if k != i})
            for a in EXCERPTS_S:
                peaks = query_peaks(x[a * SAMPLE_RATE:(a + LENGTH_S) * SAMPLE_RATE])
                rows.append((best_line(peaks, lookup, counting), files[i].stem, a))
                start = time.perf_counter()
                found += len(match_audio(peaks, lookup, params))
                seconds.append(time.perf_counter() - start)
        rows.sort(reverse=True)
        out["keep_pitch" if keep else "pitch_moved_only"] = {
            "variants": len(params.variants()[0]), "excerpts": len(rows),
            "segments_found": found, "most_votes": rows[:5],
            "match_mean_s": round(float(np.mean(seconds)), 3)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else
         Path(__file__).resolve().parents[1].parent / "shared" / "data" / "audio")
