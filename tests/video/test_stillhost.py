"""Insets over a still background (vidtrace/video/stillhost.py) on hand-made frames: a still
textured backdrop with a moving picture inside a known rectangle, and the cases that must not be
insets (a letterboxed moving picture, a small object moving in a still scene, a still window);
and on real footage, an inset over a screen recording whose own fields change, and the screen
recordings alone."""

from pathlib import Path

import cv2
import numpy as np

from tests.conftest import CLIPS, shared_video
from tests.media import decode_frames, pip_box
from vidtrace.synth import CopyPiece, PictureInPicture, compose_query
from vidtrace.video.inset import grey_stack
from vidtrace.video.pip import detect_inset
from vidtrace.video.stillhost import changed_pixels, detect_still_host_inset
from vidtrace.video.views import inset_windows

H, W, T = 288, 512, 12


def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """uint8[h, w, 3] smooth random texture (a stand-in for a picture)."""
    noise = rng.integers(0, 256, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    return cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)


def _still_host(box: tuple[int, int, int, int], seed: int = 0) -> list[np.ndarray]:
    """T frames: one still texture, with a new texture every frame inside box (x0, y0, x1, y1)."""
    rng = np.random.default_rng(seed)
    host = _texture(rng, H, W)
    x0, y0, x1, y1 = box
    frames = []
    for _ in range(T):
        frame = host.copy()
        frame[y0:y1, x0:x1] = _texture(rng, y1 - y0, x1 - x0)
        frames.append(frame)
    return frames


def test_moving_picture_over_a_still_host_is_the_inset() -> None:
    for box in [(0, 0, 128, 72), (384, 216, 512, 288), (128, 72, 384, 216), (40, 150, 200, 240)]:
        found = detect_still_host_inset(_still_host(box))
        assert found is not None, box
        assert found.iou(box) >= 0.9, (found.box, box)
        assert (found.frame_w, found.frame_h) == (W, H)


def test_letterboxed_moving_picture_is_no_inset() -> None:
    rng = np.random.default_rng(1)
    frames = [np.zeros((H, W, 3), np.uint8) for _ in range(T)]
    for frame in frames:
        frame[36:252] = _texture(rng, 216, W)
    assert detect_still_host_inset(frames) is None


def test_small_object_moving_in_a_still_scene_is_no_inset() -> None:
    """A 40 px disc crossing a still texture: its trail is no rectangle busy along every side."""
    rng = np.random.default_rng(2)
    host = _texture(rng, H, W)
    frames = []
    for k in range(T):
        frame = host.copy()
        cv2.circle(frame, (60 + 30 * k, 80 + 10 * k), 20, (255, 255, 255), -1)
        frames.append(frame)
    assert detect_still_host_inset(frames) is None


def test_still_window_and_short_runs_give_nothing() -> None:
    still = [_texture(np.random.default_rng(3), H, W)] * T
    assert detect_still_host_inset(still) is None
    assert detect_still_host_inset(_still_host((0, 0, 128, 72))[:5]) is None


def _framed_inset_over_moving_host(line_px: int) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """T frames of a host panning across a texture with a moving picture at (300, 40)-(460,
    130) inside a white frame line of `line_px` pixels."""
    rng = np.random.default_rng(4)
    wide = _texture(rng, H, W + 8 * T)
    box = (300, 40, 460, 130)
    x0, y0, x1, y1 = box
    frames = []
    for k in range(T):
        frame = np.ascontiguousarray(wide[:, 8 * k : 8 * k + W])
        frame[y0 - line_px : y1 + line_px, x0 - line_px : x1 + line_px] = 255
        frame[y0:y1, x0:x1] = _texture(rng, y1 - y0, x1 - x0)
        frames.append(frame)
    return frames, box


def test_inset_with_a_frame_line_is_found_by_the_line_detector() -> None:
    """A 3 px frame line puts the line's two edges `offset` apart, where they used to cancel."""
    for line_px in (0, 3, 6):
        frames, box = _framed_inset_over_moving_host(line_px)
        found = detect_inset(frames)
        assert found is not None, line_px
        assert found.iou(box) >= 0.8, (line_px, found.box)


# Real footage: a screen recording as the host. Its UI changes here and there (text typed into
# a field, a button lit, the cursor), so the host is not still as a whole, yet it stays still
# around the picture laid over it.
SCREEN = "sleap_gui_skeleton_screen.mp4"


def test_an_inset_over_a_screen_recording_is_found_among_its_other_changes(
        tmp_path: Path) -> None:
    """Big Buck Bunny, 10 s, as an inset with rounded corners and as a square one over the
    screen recording (9 s in, where its fields change): a third or more of what changes lies
    outside the inset, so no one box holds the window's changes, and the region of change the
    inset makes is found on its own."""
    host = str(shared_video(SCREEN))
    for size, x, y, corner in ((0.3, 0.35, 0.4, 0.25), (0.4, 0.5, 0.5, 0.0)):
        pip = PictureInPicture(host, 9.0, size, x, y, corner=corner)
        path = tmp_path / f"screen-{size}.mp4"
        compose_query([CopyPiece(CLIPS / "big_buck_bunny_0-30s.webm", 2.0, 12.0)], path,
                      edits=[pip], fps=4.0)
        _, frames = decode_frames(path, 2.0, 288, 512)
        truth = pip_box(pip, path, frames)
        changed = changed_pixels(grey_stack(frames))
        x0, y0, x1, y1 = (round(v) for v in truth)
        outside = int(changed.sum()) - int(changed[y0:y1, x0:x1].sum())
        assert outside >= 0.3 * changed.sum(), (size, outside, int(changed.sum()))
        found = detect_still_host_inset(frames)
        assert found is not None and found.iou(truth) >= 0.85, (size, found, truth)
        windows = list(inset_windows((0.5 * i, f) for i, f in enumerate(frames)))
        assert len(windows) == 1 and windows[0][0].inset is not None
        assert windows[0][0].inset.iou(truth) >= 0.85, (size, windows[0][0].inset, truth)


def test_screen_recordings_alone_show_no_inset() -> None:
    """Every 10 s window of both screen recordings of the footage, untouched: their fields,
    buttons and cursor change, none of them an inset."""
    for name in (SCREEN, "sleap_gui_labeling_screen.mp4"):
        times, frames = decode_frames(shared_video(name), 2.0, 288, 512)
        for start in range(0, int(times[-1]) + 1, 10):
            window = frames[(times >= start) & (times < start + 10)]
            if len(window):
                assert detect_still_host_inset(window) is None, (name, start)
