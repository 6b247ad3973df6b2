"""Index the bench references once and dump, per query, what stage 2 sees (S per candidate)."""
import pickle, sys, time
from pathlib import Path
from vidtrace.api import Library
from vidtrace.match import Matcher
from vidtrace.groundtruth import read_ground_truth

root = Path(sys.argv[1]); out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
libdir = out / "lib"
lib = Library.open_or_create(libdir)
if not lib.videos():
    refs = sorted((root / "references").glob("*.mp4"))
    for r in refs:
      lib.add([r]); print("added", r, flush=True)
s = lib.query_defaults
import types
def ready():
    done = (root / "complete.json").is_file()
    qs = sorted((root / "queries").glob("q*.mp4"))
    return done, (qs if done else qs[:-1])
while True:
  done, qs = ready()
  todo = [p for p in qs if not (out / (p.stem + ".pkl")).exists()]
  if not todo:
    if done: break
    time.sleep(30); continue
  for p in todo:
    q = types.SimpleNamespace(query="queries/" + p.name)
    f = out / (p.stem + ".pkl")
    t = time.perf_counter()
    views = lib.describe_query(root / q.query, s)
    src = lib.sources(s, root / q.query)
    with lib.store.snapshot():
        m = Matcher(lib.store, s, lib.settings.index_fps)
        hits = m.hits(views)
        cands = m._ranked(views, hits, src)
        pairs = []
        for c in cands:
            ref = lib.store.reference(c.ref_key)
            rt, rv = lib.store.frames(c.ref_key)
            pairs.append((ref, rt, views.similarity(rv)))
        sounds = m.sounds(src.audio)
        names = {g.ref_key: lib.store.reference(g.ref_key).video_id for g in sounds}
    doc = {"query": q.query, "times": views.full.times, "duration": views.full.duration,
           "pairs": pairs, "sounds": sounds, "names": names, "candidates": cands}
    f.write_bytes(pickle.dumps(doc))
    print(q.query, round(time.perf_counter() - t, 1), flush=True)
