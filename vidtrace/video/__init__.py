"""Stage 1 of the pipeline: turning a video file into sampled, resized RGB frames.

`reader` opens files (the one reader), `decode` samples whole files, `seek` reads a few frames
or a window, `files` finds videos and photos in folders; borders, canvas, pip and views prepare
frames and the query's extra views.
"""

from vidtrace.video.decode import iter_frames
from vidtrace.video.reader import VideoInfo, VideoReader, probe

__all__ = ["VideoInfo", "VideoReader", "iter_frames", "probe"]
