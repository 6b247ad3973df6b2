"""Picture-in-picture backgrounds loop without a gap at their end."""

import numpy as np

from tests.conftest import CLIPS
from vidtrace.synth.pip import PictureInPicture, _wrap
from vidtrace.synth.videoio import FrameReader


def test_wrap_treats_a_time_a_hair_before_the_end_as_the_start() -> None:
    assert _wrap(7.8799999, 7.88) == 0.0
    assert _wrap(7.87, 7.88) == 7.87
    assert abs(_wrap(9.0, 7.88) - 1.12) < 1e-9


def test_background_loops_across_its_end_at_every_frame_time() -> None:
    background = CLIPS / "mdn_stream_of_water.webm"
    reader = FrameReader(background)
    k = 0
    while reader.frame_at(k / 10) is not None:
        k += 1
    end = reader.end_s
    reader.close()
    assert end is not None
    # offset chosen so output times step onto end - 0.5 ms, on the first pass and after a loop
    edit = PictureInPicture(background=str(background), offset_s=end - 0.0005 - 1.0, size=0.4)
    frame = np.zeros((120, 160, 3), dtype=np.uint8)
    for t in (0.0, 0.5, 1.0, 1.0 + end, 2.0):
        out = edit.apply(frame, t)
        assert out.shape == frame.shape and out.mean() > 10  # real background pixels
    edit.close()
