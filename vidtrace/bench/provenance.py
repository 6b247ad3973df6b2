"""Where the benchmark harness finds things and what every report records about its run: the
repository, default footage and report paths, the machine, the git commit, and atomic report
writing (bench room, above the API)."""

import json
import os
import platform
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import vidtrace
from vidtrace.errors import ConfigError
from vidtrace.fsutil import write_atomic


def repository_root() -> Path | None:
    """The vidtrace checkout this package runs from, else the one holding the working
    directory (a folder with pyproject.toml and vidtrace/), else None."""
    package_root = Path(vidtrace.__file__).resolve().parent.parent
    for start in (package_root, Path.cwd().resolve()):
        for folder in (start, *start.parents):
            if (folder / "pyproject.toml").is_file() and (folder / "vidtrace").is_dir():
                return folder
    return None


def default_sources(env: Mapping[str, str] = os.environ) -> Path:
    """Source clips: $VIDTRACE_FOOTAGE, else ../shared/data/videos beside the repository root,
    else the repository's shipped clips/. ConfigError when none exists."""
    if env.get("VIDTRACE_FOOTAGE"):
        return Path(env["VIDTRACE_FOOTAGE"])
    root = repository_root()
    candidates = [root.parent / "shared" / "data" / "videos", root / "clips"] if root else []
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise ConfigError("no source footage found; give a folder of clips with --sources or set "
                      "VIDTRACE_FOOTAGE")


def default_photos(env: Mapping[str, str] = os.environ) -> Path | None:
    """Photos for pan/zoom footage and logos: $VIDTRACE_PHOTOS, else ../shared/data/photos
    beside the repository root, else None (clips only)."""
    if env.get("VIDTRACE_PHOTOS"):
        return Path(env["VIDTRACE_PHOTOS"])
    root = repository_root()
    folder = root.parent / "shared" / "data" / "photos" if root else None
    return folder if folder is not None and folder.is_dir() else None


def default_report(name: str) -> Path:
    """benchmarks/<name>.json in the repository root, else in the working directory."""
    return (repository_root() or Path.cwd()) / "benchmarks" / f"{name}.json"


def default_cache() -> Path:
    """.cache/bench in the repository root, else in the working directory."""
    return (repository_root() or Path.cwd()) / ".cache" / "bench"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# CPU vector extensions that onnxruntime's int8 kernels can use: SSCD alone ran at 164 frames/s
# on a development machine with avx512_vnni and at 72 on earlier ones whose flags were not
# recorded (docs/speed.md), so reports name them.
SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8")


def _cpu_flags() -> list[str]:
    """Which of SIMD_FLAGS /proc/cpuinfo lists (empty where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return [f for f in SIMD_FLAGS if f in have]
    except OSError:
        pass
    return []


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_info() -> dict[str, Any]:
    """CPU model and vector extensions (SIMD_FLAGS), logical cores (all, and those this process
    may use), RAM in GiB, OS and Python version."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"cpu": _cpu_model(), "cpu_flags": _cpu_flags(), "cores": os.cpu_count(),
            "usable_cores": usable, "ram_gb": _ram_gb(), "os": platform.platform(),
            "python": platform.python_version()}


def git_commit() -> str | None:
    """The repository's HEAD commit, with "+dirty" when tracked files are modified; None when
    there is no repository or no git."""
    root = repository_root()
    if root is None or not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def bench_inputs(sources: Path | None, photos: Path | None, no_photos: bool, cache: Path | None
            ) -> tuple[Path, Path | None, Path]:
    """(sources, photos, cache) with the defaults filled in: `default_sources()`,
    `default_photos()` (none with `no_photos`), `default_cache()`."""
    if no_photos:
        photos = None
    elif photos is None:
        photos = default_photos()
    return (Path(sources) if sources is not None else default_sources(), photos,
            Path(cache) if cache is not None else default_cache())


def provenance(fmt: str, version: int, name: str, command: str, commit: str | None
               ) -> dict[str, Any]:
    """The head of a report: its format and version, its name (the plan's), the date, the
    command line, vidtrace's version, the git commit and the machine."""
    return {"format": fmt, "version": version, "name": name,
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "command": command,
            "vidtrace_version": vidtrace.__version__, "git_commit": commit,
            "machine": machine_info()}


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write `report` as indented JSON to `path` (folders created; atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(report, indent=1, allow_nan=False) + "\n").encode())
