"""Insets over a still background (vidtrace/video/stillhost.py) on hand-made frames: a still
textured backdrop with a moving picture inside a known rectangle, and the cases that must not be
insets (a letterboxed moving picture, a small object moving in a still scene, a still window)."""

import cv2
import numpy as np

from vidtrace.video.pip import detect_inset
from vidtrace.video.stillhost import detect_still_host_inset

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
