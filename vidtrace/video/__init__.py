"""Stage 1 of the pipeline: turning a video file into sampled, resized RGB frames."""

from vidtrace.video.decode import VideoInfo, decode_frames, iter_frames, probe

__all__ = ["VideoInfo", "decode_frames", "iter_frames", "probe"]
