import json, sys
from vidtrace.groundtruth import read_ground_truth
R="/work/cache/bench/default-seed0-7d2e24f74edc"
truth={q.query:q for q in read_ground_truth(R+"/groundtruth.json")}
def load(p): return {json.loads(l)["query"]: json.loads(l)["matches"] for l in open(p)}
a=load(sys.argv[1]); b=load(sys.argv[2])
def ok(m,q):
    return any(s.ref_id==m["reference"] and abs(s.query_start-m["query_start"])<=3 and abs(s.query_end-m["query_end"])<=3 and abs(s.ref_start-m["reference_start"])<=3 and abs(s.ref_end-m["reference_end"])<=3 for s in q.segments)
def fmt(m): 
    sp=(m["reference_end"]-m["reference_start"])/max(1e-9,m["query_end"]-m["query_start"])
    return f'{m["reference"]} {m["query_start"]:.1f}-{m["query_end"]:.1f} -> {m["reference_start"]:.1f}-{m["reference_end"]:.1f} s{m["score"]:.2f} x{sp:.2f}'
for q in truth:
    t=truth[q]
    fa=[fmt(m)+(" OK" if ok(m,t) else " FALSE") for m in a[q]]; fb=[fmt(m)+(" OK" if ok(m,t) else " FALSE") for m in b[q]]
    if fa!=fb or (len(sys.argv)>3 and any("FALSE" in x for x in fb)):
        print(q, "neg" if t.is_negative else "", "truth:", [(s.ref_id, s.query_start, s.query_end, s.ref_start, s.ref_end) for s in t.segments])
        print("   main:", fa); print("   new :", fb)
