"""The library manifest: format version, descriptor identity and the settings frames were made
with. Written once when a library is created (atomically), checked every time it is opened."""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidtrace.errors import LibraryError
from vidtrace.settings import Settings

FORMAT_NAME = "vidtrace-library"
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old or the new file, never a partial one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class Manifest:
    descriptor: str
    descriptor_version: str
    dim: int
    metric: str
    settings: Settings

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "descriptor": self.descriptor,
            "descriptor_version": self.descriptor_version,
            "dim": self.dim,
            "metric": self.metric,
            "settings": self.settings.to_dict(),
        }

    def save(self, folder: Path) -> None:
        write_atomic(folder / MANIFEST_FILE, json.dumps(self.to_json(), indent=1).encode())

    @classmethod
    def load(cls, folder: Path) -> "Manifest":
        path = folder / MANIFEST_FILE
        if not path.exists():
            raise LibraryError(
                f"{folder}: not a vidtrace library (no {MANIFEST_FILE}); "
                "create one with `vidtrace index LIB VIDEO...`"
            )
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise LibraryError(f"{path}: damaged manifest ({e}); rebuild the library") from e
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise LibraryError(f"{path}: not a vidtrace library manifest")
        if doc.get("version") != FORMAT_VERSION:
            raise LibraryError(
                f"{folder}: library format version {doc.get('version')} is not supported by this "
                f"vidtrace (it reads version {FORMAT_VERSION}); rebuild the library with "
                "`vidtrace index` into a new folder"
            )
        return cls(
            descriptor=str(doc["descriptor"]),
            descriptor_version=str(doc["descriptor_version"]),
            dim=int(doc["dim"]),
            metric=str(doc["metric"]),
            settings=Settings.from_dict(doc.get("settings", {})),
        )
