"""Which files are videos and which are photos, for every command (stage 1, video): one list of
suffixes each, and how folders are expanded into files, sorted so that no order depends on the
file system."""

from collections.abc import Iterable, Sequence
from pathlib import Path

from vidtrace.errors import ConfigError

VIDEO_SUFFIXES = frozenset({
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ogv", ".ogg", ".mpg", ".mpeg", ".ts",
    ".mts", ".m2ts", ".flv", ".wmv", ".3gp", ".y4m",
})
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})


def list_files(source: Path | Sequence[Path], suffixes: Iterable[str]) -> list[Path]:
    """Files with one of `suffixes` in folder `source` (recursively) or in the list, sorted by
    path; ConfigError when `source` is not a folder."""
    wanted = frozenset(suffixes)
    if isinstance(source, str | Path):
        folder = Path(source)
        if not folder.is_dir():
            raise ConfigError(f"{folder}: not a folder")
        files = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in wanted]
    else:
        files = [Path(p) for p in source]
    return sorted(set(files))


def expand_video_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders replaced by the video files below them (sorted). A missing path
    is kept so the caller reports it as an error for that file."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(list_files(p, VIDEO_SUFFIXES))
        else:
            found.append(p)
    return found
