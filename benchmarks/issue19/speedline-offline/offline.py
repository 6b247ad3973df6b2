"""Re-run stage 2 + fusion + threshold offline on dumped S matrices; write predictions; evaluate."""
import json, pickle, sys
from dataclasses import replace
from pathlib import Path
import numpy as np
from vidtrace.align import AlignInput, AlignParams, aligner
from vidtrace.match.fusion import Picture, fuse
from vidtrace.settings import DEFAULT_QUERY
from vidtrace.types import Match
from vidtrace.groundtruth import read_ground_truth, read_predictions
from vidtrace.evaluate.report import evaluate

dump = Path(sys.argv[1]); root = Path(sys.argv[2]); out = Path(sys.argv[3])
s = DEFAULT_QUERY
params = replace(AlignParams.from_settings(s, 1.0), threshold=-np.inf)
al = aligner(s.stage2, params)
truth = read_ground_truth(root / "groundtruth.json")
with open(out, "w") as f:
    for q in truth:
        d = pickle.loads((dump / (Path(q.query).stem + ".pkl")).read_bytes())
        pics = []
        for ref, rt, S in d["pairs"]:
            for g in al.align(AlignInput(d["times"], rt, S, d["duration"], ref.duration)):
                pics.append(Picture(ref, Match(ref.video_id, g.query_start, g.query_end,
                                               g.ref_start, g.ref_end, g.score), g.speed))
        ms = fuse(pics, d["sounds"], d["names"], s.threshold(), s.audio_min_s)
        f.write(json.dumps({"query": q.query, "matches": [m.to_json() for m in ms]}) + "\n")
rep = evaluate(truth, read_predictions(out))
o = rep["overall"]; c = o["competition"]["3"]
print(f"F1@3 {c['f1']:.4f} P {c['precision']:.4f} R {c['recall']:.4f} tp {c['tp']} fp {c['fp']} fn {c['fn']} FPR {o['fpr']:.4f} top1 {o['top1']:.4f} vcsl {o['vcsl']['f1']:.4f}")
print(" ".join(f"{k}:{v['competition']['3']['recall']:.3f}" for k, v in rep["by_edit"].items()))
json.dump(rep, open(str(out) + ".eval.json", "w"), indent=1)
