"""Threshold calibration on hand-made predictions with a known best threshold."""

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from vidtrace.evaluate.calibrate import calibrate_threshold, filter_predictions
from vidtrace.groundtruth import read_predictions
from vidtrace.types import CopySegment, Match, QueryTruth, Threshold


def positive(i: int) -> QueryTruth:
    return QueryTruth(f"queries/p{i}.mp4", 60.0, (CopySegment("r", 10.0, 30.0, 5.0, 25.0),))


def negative(i: int) -> QueryTruth:
    return QueryTruth(f"queries/n{i}.mp4", 60.0, ())


def hit(score: float) -> Match:
    return Match("r", 10.0, 30.0, 5.0, 25.0, score)


def miss(score: float) -> Match:
    return Match("x", 40.0, 50.0, 0.0, 10.0, score)


def test_threshold_lies_between_copies_and_non_copies() -> None:
    # copies score 0.55-0.8; false matches on negatives and positives score 0.2-0.42
    truth = [positive(i) for i in range(10)] + [negative(i) for i in range(10)]
    preds = {f"p{i}.mp4": [hit(0.55 + 0.025 * i), miss(0.2 + 0.02 * i)] for i in range(10)}
    preds.update({f"n{i}.mp4": [miss(0.25 + 0.017 * i)] for i in range(10)})
    c = calibrate_threshold(truth, preds)
    assert 0.42 < c.threshold <= 0.55
    assert c.f1 == pytest.approx(1.0) and c.fpr == 0.0
    # the plateau's median, not its edge
    assert c.threshold == pytest.approx(0.49, abs=0.011)


def test_fpr_bound_wins_over_f1() -> None:
    # one negative scores as high as the weakest copies: the threshold must pass it
    truth = [positive(i) for i in range(10)] + [negative(0)]
    preds = {f"p{i}.mp4": [hit(0.5 + 0.03 * i)] for i in range(10)}
    preds["n0.mp4"] = [miss(0.6)]
    c = calibrate_threshold(truth, preds, max_fpr=0.0)
    assert c.threshold > 0.6 and c.fpr == 0.0
    assert c.f1 < 1.0  # copies scoring below 0.6 are lost


def test_filter_keeps_failed_queries() -> None:
    out = filter_predictions({"a": [hit(0.3), hit(0.7)], "b": None}, 0.5)
    assert out == {"a": [hit(0.7)], "b": None}


def test_filter_keeps_sound_only_matches_as_the_matcher_does() -> None:
    # the matcher reports a sound-only match whatever the picture threshold (its score is the
    # sound's confidence); a picture match reinforced by sound is thresholded like any other
    sound = replace(hit(0.3), evidence=("audio",))
    both = replace(hit(0.3), evidence=("video", "audio"), frames=40)
    out = filter_predictions({"a": [sound, both, hit(0.3)]}, Threshold(0.5, 0.6, 9))
    assert out == {"a": [sound]}


def test_the_threshold_falls_with_matched_frames_to_the_long_one() -> None:
    rule = Threshold(0.30, 0.42, 3)
    needs = [rule.required(n) for n in (3, 4, 12, 27, 300)]
    assert needs[0] == pytest.approx(0.42) and needs[2] == pytest.approx(0.36)
    assert needs[3] == pytest.approx(0.34) and needs == sorted(needs, reverse=True)
    assert needs[-1] == pytest.approx(0.312)  # a tenth of the margin left at 300 frames
    # fewer frames than the least a segment has, or none known, need the most
    assert rule.required(1) == rule.required(0) == pytest.approx(0.42)
    # a short threshold at or below the long one is one flat threshold
    assert [Threshold(0.5, 0.42).required(n) for n in (0, 3, 100)] == [0.5, 0.5, 0.5]
    assert Threshold(-math.inf, 0.42).required(3) == -math.inf


def test_calibration_sweeps_the_long_threshold_and_keeps_the_short_one() -> None:
    # copies are long (40 frames) and weak (0.33-0.38); each negative gets a 3-frame chance
    # line at 0.36-0.40: one flat threshold can only lose copies or take the chance lines,
    # the threshold by matched frames keeps all copies and no chance line
    truth = [positive(i) for i in range(10)] + [negative(i) for i in range(10)]
    preds = {f"p{i}.mp4": [replace(hit(0.33 + 0.005 * i), frames=40)] for i in range(10)}
    preds.update({f"n{i}.mp4": [replace(miss(0.36 + 0.004 * i), frames=3)] for i in range(10)})
    flat = calibrate_threshold(truth, preds, max_fpr=0.0)
    assert flat.threshold > 0.396 and flat.f1 == 0.0
    c = calibrate_threshold(truth, preds, max_fpr=0.0, short=0.42, min_frames=3)
    assert c.f1 == pytest.approx(1.0) and c.fpr == 0.0 and c.threshold <= 0.33
    assert c.rule == Threshold(c.threshold, 0.42, 3)
    kept = filter_predictions(preds, c.rule)
    assert all(kept[f"n{i}.mp4"] == [] for i in range(10))
    # filtering by a plain number is one flat threshold, frames or not
    assert filter_predictions(preds, 0.35)["n0.mp4"] == preds["n0.mp4"]


def test_predictions_keep_their_frames_and_evidence_through_json(tmp_path: Path) -> None:
    found = [Match("r", 1.0, 9.5, 2.0, 10.5, 0.37, ("video", "audio"), 17),
             Match("s", 0.0, 6.0, 0.0, 6.0, 0.5, ("audio",))]
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"query": "queries/q.mp4",
                                "matches": [m.to_json() for m in found]}) + "\n"
                    + json.dumps({"query": "old.mp4", "matches": [
                        {k: v for k, v in found[0].to_json().items()
                         if k not in ("frames", "evidence")}]}) + "\n")
    read = read_predictions(path)
    assert read["q.mp4"] == found
    # a file from before matches carried their frames: unknown, so the short threshold holds
    (old,) = read["old.mp4"] or []
    assert old.frames == 0 and old.evidence == ("video",)
    assert not Threshold(0.31, 0.42).keeps(old.score, old.frames)
    assert Threshold(0.31, 0.42).keeps(found[0].score, found[0].frames)
