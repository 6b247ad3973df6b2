"""Make the issue-20 data: held-out evaluation pairs, the held-out library frame bank, and the
training pairs, all described by sscd-fast (backbone) and sscd (teacher). One-off driver; the
same calls are what `vidtrace bench --learned` makes when its cache is empty."""

import sys
import time
from pathlib import Path

from vidtrace.bench.learned import make_data

if __name__ == "__main__":
    start = time.time()
    make_data(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]),
              progress=lambda stage, done, total: print(
                  f"{time.time() - start:7.0f}s {stage} {done}/{total}", flush=True))
