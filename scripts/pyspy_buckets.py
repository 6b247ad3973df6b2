"""Group a py-spy raw profile into where-the-time-goes buckets, per thread.

    py-spy record --threads -f raw -r 100 -o prof.txt -- vidtrace query LIB QUERY
    python scripts/pyspy_buckets.py prof.txt 100

A sample goes to the first bucket whose keys appear anywhere in its stack (so SSCD run inside
a view counts as SSCD inference). py-spy is not a dependency: install it where you profile.
"""

import sys
from collections import Counter, defaultdict
from pathlib import Path

BUCKETS: list[tuple[str, list[str]]] = [
    ("imports", ["_find_and_load"]),
    ("model load", ["InferenceSession.__init__", "_create_inference_session"]),
    ("SSCD inference", ["run (onnxruntime"]),
    ("decode", ["decode (av", "_Demuxed.decode", "iter_frames", "__next__ (av"]),
    ("border crop / resize", ["video/borders.py"]),
    ("views (pip/canvas detection)", ["video/pip.py", "video/canvas.py", "video/views.py"]),
    ("search", ["faiss", "index.py"]),
    ("match (rank, align)", ["align", "hough", "stage1", "stage2", "rank"]),
]


def main(path: str, rate: float) -> None:
    by_thread: dict[str, Counter[str]] = defaultdict(Counter)
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        thread = next((f for f in stack.split(";") if f.startswith("thread")), "?")
        bucket = next((name for name, keys in BUCKETS if any(k in stack for k in keys)), "other")
        by_thread[thread][bucket] += int(count)
    for thread, counts in by_thread.items():
        total = sum(counts.values())
        print(f"{thread}: {total / rate:.2f} s sampled")
        for bucket, n in counts.most_common():
            print(f"  {bucket:<30} {n / rate:6.2f} s  {100 * n / total:5.1f} %")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 100.0)
