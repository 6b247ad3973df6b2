import sys
from pathlib import Path
from vidtrace.api import Library
root = Path(sys.argv[1]); lib = Library.open_or_create(Path(sys.argv[2]) / "lib")
have = {r.video_id for r in lib.videos()}
for r in sorted((root / "references").glob("*.mp4")):
    if r.stem not in have:
        lib.add([r]); print("added", r, flush=True)
print([ (r.video_id, r.duration) for r in lib.videos()])
