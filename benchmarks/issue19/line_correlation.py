"""How similarities along a chance line behave on real unrelated footage (docs/align.md, "The
threshold"): the queries of `null_scores.py` (first edit chain) against the library of the other
half's clips, along every 1x line (offsets 3 s apart) with at least 40 query frames. Prints, for
windows of n consecutive frames: the spread of the window's mean similarity over all lines (what
a threshold sees: it includes each pair's own level, which no length averages away), and, with
each line's own mean removed, the frames per independent observation (n over the effective
number of independent frames) and the autocorrelation at lags of 1-8 frames. Usage, after
null_scores.py:
    python benchmarks/issue19/line_correlation.py WORK_FOLDER
"""

import sys
from pathlib import Path

import numpy as np

from vidtrace.api import Library

MIN_FRAMES = 40
STEP_S = 3.0


def lines(work: Path) -> list[np.ndarray]:
    out = []
    for i in (0, 1):
        with Library.open(work / f"library-{i}") as lib:
            refs = [lib.store.frames(r.key) for r in lib.videos()]
            for q in sorted((work / f"queries-{i}").glob("*-0.mp4")):
                views = lib.describe_query(q)
                qt = views.full.times
                for rt, rv in refs:
                    S = views.similarity(rv)
                    for b in np.arange(-qt[-1], rt[-1], STEP_S):
                        x = qt + b
                        ok = (x >= 0) & (x <= rt[-1])
                        if ok.sum() < MIN_FRAMES:
                            continue
                        j = np.clip(np.round(x[ok] / (rt[1] - rt[0])).astype(int), 0,
                                    len(rt) - 1)
                        out.append(S[np.flatnonzero(ok), j])
    return out


def window_means(seqs: list[np.ndarray], n: int) -> np.ndarray:
    return np.concatenate([np.convolve(s, np.ones(n) / n, mode="valid")[::n] for s in seqs])


def main(work: Path) -> None:
    seqs = lines(work)
    frames = np.concatenate(seqs)
    print(f"{len(seqs)} lines, frame similarity mean {frames.mean():.3f} sd {frames.std():.3f}")
    own = [s - s.mean() for s in seqs]
    v_own = np.concatenate(own).var()
    for n in (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 30, 40):
        spread = window_means(seqs, n).std()
        per = n * window_means(own, n).var() / v_own if n <= 20 else float("nan")
        print(f"n {n:2d}: sd of the mean {spread:.4f}; frames per independent one {per:.2f}")
    den = sum(float(np.dot(s, s)) for s in own)
    for k in (1, 2, 3, 4, 6, 8):
        rho = sum(float(np.dot(s[:-k], s[k:])) for s in own) / den
        print(f"lag {k}: autocorrelation {rho:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
