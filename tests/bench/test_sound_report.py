"""`vidtrace bench --audio`'s table: the Chromaprint column appears beside the landmark one
when the system library was there, and is left out (the report says why) when it was not."""

from typing import Any

from vidtrace.bench.sound import EDITS, format_sound


def _doc(chromaprint: dict[str, Any]) -> dict[str, Any]:
    f = {"video": 1.0, "audio": 0.5, "fused": 1.0}
    return {"f1_3s": {e: f for e in EDITS}, "fused_evidence": {"none": ["video+audio"]},
            "overall_f1_3s": f, "fpr": {"video": 0.0, "audio": 0.0, "fused": 0.0},
            "latency_mean_s": {"video": 1.0, "audio": 0.4, "fused": 1.1},
            "chromaprint": chromaprint}


def test_the_chromaprint_column_follows_the_report() -> None:
    cp = {"version": "1.5.1", "f1_3s": {e: (0.25 if e == "speed" else None) for e in EDITS},
          "overall_f1_3s": 0.75, "fpr": 0.0, "latency_mean_s": 2.5}
    rows = format_sound(_doc(cp)).splitlines()
    assert rows[0].endswith("Chromaprint audio-only F1@3s |")
    speed = next(r for r in rows if r.startswith("| speed |"))
    assert speed.endswith("| 0.250 |") and "| 0.500 |" in speed
    assert rows[-1].endswith("| 2.50 |") and rows[-3].endswith("| 0.750 |")
    plain = format_sound(_doc({"skipped": "the system Chromaprint library is missing"}))
    assert "Chromaprint" not in plain
    assert all(r.count("|") == 6 for r in plain.splitlines())
