"""Audio fingerprints (DESIGN.md, a second kind of descriptor beside the frame vectors).

A video's soundtrack is decoded to mono at 8 kHz (decode.py), turned into landmark hashes,
pairs of spectral peaks (landmarks.py, Wang 2003), and a query's hashes are matched against a
store's inverted index by voting over (reference, speed, time offset) (match.py). numpy and
scipy only; PyAV decodes. docs/audio.md says why this and not Chromaprint (chromaprint.py,
measured beside it on the benchmark, is not part of the library).
"""

from vidtrace.audio.decode import decode_audio
from vidtrace.audio.landmarks import (
    PRINT_VERSION,
    QueryPeaks,
    file_prints,
    fingerprint,
    peaks,
    query_peaks,
)
from vidtrace.audio.match import AudioParams, AudioSegment, match_audio

__all__ = ["PRINT_VERSION", "AudioParams", "AudioSegment", "QueryPeaks", "decode_audio",
           "file_prints", "fingerprint", "match_audio", "peaks", "query_peaks"]
