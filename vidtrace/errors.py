"""Errors that vidtrace raises for bad input; the CLI prints them as one line, never a traceback."""

from pathlib import Path


class VidtraceError(Exception):
    """Base of every error a user can cause and fix."""


class VideoError(VidtraceError):
    """A video file cannot be used: missing, unreadable, corrupt, empty, or no video stream."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[type["VideoError"], tuple[str, str]]:
        # picklable, so an error raised in an indexing worker process reaches the caller
        return (type(self), (self.path, self.reason))


class LibraryError(VidtraceError):
    """A reference library is missing, damaged, or was built with other settings."""


class ConfigError(VidtraceError):
    """A setting or argument is out of range or unknown."""
