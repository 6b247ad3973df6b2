"""The library manifest: format version, the library's id, the descriptor identity, the library
settings frames were made with and the library's query defaults. Written atomically when a
library is created (and when its query defaults or learned descriptor change), checked every
time it is opened: a missing or mistyped field is a LibraryError naming the field."""

import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vidtrace.errors import ConfigError, LibraryError
from vidtrace.fsutil import write_atomic
from vidtrace.settings import LibrarySettings, Metric, QuerySettings

FORMAT_NAME = "vidtrace-library"
FORMAT_VERSION = 2
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What a library folder is: `library_id` (a uuid, also in its catalog), the descriptor
    (`descriptor` spec, `descriptor_version`, `dim`, `metric`), the `settings` it was built
    with and its `query` defaults."""

    library_id: str
    descriptor: str
    descriptor_version: str
    dim: int
    metric: Metric
    settings: LibrarySettings
    query: QuerySettings

    @classmethod
    def new(cls, descriptor_version: str, dim: int, metric: Metric, settings: LibrarySettings,
            query: QuerySettings) -> "Manifest":
        return cls(uuid.uuid4().hex, settings.descriptor, descriptor_version, dim,
                   Metric(metric), settings, query)

    def with_query(self, query: QuerySettings) -> "Manifest":
        return replace(self, query=query)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "id": self.library_id,
            "descriptor": self.descriptor,
            "descriptor_version": self.descriptor_version,
            "dim": self.dim,
            "metric": self.metric.value,
            "library": self.settings.to_dict(),
            "query": self.query.to_dict(),
        }

    def save(self, folder: Path) -> None:
        try:
            write_atomic(folder / MANIFEST_FILE, json.dumps(self.to_json(), indent=1).encode())
        except OSError as e:
            raise LibraryError(f"{folder}: cannot write {MANIFEST_FILE} ({e.strerror or e}); "
                               "free some space or make the folder writable") from e

    @classmethod
    def load(cls, folder: Path) -> "Manifest":
        path = folder / MANIFEST_FILE
        if not path.is_file():
            raise LibraryError(
                f"{folder}: not a vidtrace library (no {MANIFEST_FILE}); "
                "create one with `vidtrace index LIB VIDEO...`")
        try:
            doc = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise LibraryError(f"{path}: damaged manifest ({e}); rebuild the library") from e
        return cls.from_json(doc, path, folder)

    @classmethod
    def from_json(cls, doc: Any, path: Path | str, where: Path | str) -> "Manifest":
        """The manifest in `doc` (parsed JSON) read from `path` of the library at `where`
        (names in errors); LibraryError when it is not a supported, whole manifest."""
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
            raise LibraryError(f"{path}: not a vidtrace library manifest")
        if doc.get("version") != FORMAT_VERSION:
            raise LibraryError(
                f"{where}: library format version {doc.get('version')} is not supported by this "
                f"vidtrace (it reads version {FORMAT_VERSION}); rebuild the library with "
                "`vidtrace index` into a new folder")
        try:
            return cls(
                library_id=_field(doc, "id", str, path),
                descriptor=_field(doc, "descriptor", str, path),
                descriptor_version=_field(doc, "descriptor_version", str, path),
                dim=_field(doc, "dim", int, path),
                metric=Metric(_field(doc, "metric", str, path)),
                settings=LibrarySettings.from_dict(_field(doc, "library", dict, path),
                                                   f"{path} library"),
                query=QuerySettings.from_dict(_field(doc, "query", dict, path),
                                              f"{path} query"),
            )
        except (ConfigError, ValueError) as e:
            raise LibraryError(f"{path}: damaged manifest ({e}); fix that field or rebuild "
                               "the library") from e


def _field(doc: dict[str, Any], key: str, kind: type, path: Path | str) -> Any:
    value = doc.get(key)
    if value is None:
        raise LibraryError(f"{path}: damaged manifest: the field {key!r} is missing; restore "
                           "the file or rebuild the library")
    if (not isinstance(value, kind) or isinstance(value, bool)
            or (isinstance(value, int) and kind is int and value <= 0)):
        raise LibraryError(f"{path}: damaged manifest: the field {key!r} should be a "
                           f"{kind.__name__}, not {value!r}; restore the file or rebuild the "
                           "library")
    return value
