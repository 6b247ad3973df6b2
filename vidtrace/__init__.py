"""vidtrace: find which parts of a video are copies of which parts of which reference videos.

Importing the package needs numpy only; heavy libraries load inside the stage that needs them.
The public API is `vidtrace.api.Library` and the records in `vidtrace.types`.
"""

from vidtrace.errors import ConfigError, LibraryError, VideoError, VidtraceError
from vidtrace.types import Candidate, FrameSet, Match

__version__ = "0.1.0"

__all__ = [
    "Candidate",
    "ConfigError",
    "FrameSet",
    "LibraryError",
    "Match",
    "VideoError",
    "VidtraceError",
    "__version__",
]
