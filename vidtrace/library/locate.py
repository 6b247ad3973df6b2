"""Where a library lives, and which store backend serves it (stage 3, library).

A library location is a folder (the folder store, folder.py) or a URI (the Milvus store,
milvus.py, with the [milvus] extra):

    milvus://HOST:PORT/NAME     a Milvus server; NAME prefixes the library's collections
    milvus-lite://PATH.db       embedded Milvus (milvus-lite) at PATH.db; a relative PATH is
                                relative to the current folder, an absolute one starts with a
                                third slash (milvus-lite:///data/refs.db)

This is the one place that reads locations: the API and the CLI call `create_store`,
`open_store` and `is_uri`.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from vidtrace.errors import ConfigError
from vidtrace.library.manifest import MANIFEST_FILE, Manifest
from vidtrace.library.store import Store

SCHEMES = ("milvus://", "milvus-lite://")
LITE_NAME = "vidtrace"  # the collections' prefix inside a milvus-lite file
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")
_HOST_PORT = re.compile(r"[A-Za-z0-9.\-]+:[0-9]{1,5}|\[[0-9A-Fa-f:]+\]:[0-9]{1,5}")


@dataclass(frozen=True)
class MilvusLocation:
    """A parsed Milvus URI: `text` as given, `uri` as pymilvus takes it, the collections'
    `name` prefix, and whether it is a `server` (else milvus-lite)."""

    text: str
    uri: str
    name: str
    server: bool


def is_uri(location: str | Path) -> bool:
    """Whether `location` names a Milvus library rather than a folder."""
    return str(location).startswith(SCHEMES)


def parse_uri(text: str) -> MilvusLocation:
    """The Milvus location in `text` (ConfigError naming the expected form otherwise)."""
    if text.startswith("milvus-lite://"):
        rest = text.removeprefix("milvus-lite://")
        if not rest.endswith(".db") or rest in (".db", "/.db"):
            raise ConfigError(f"{text}: a milvus-lite library is a path ending in .db: "
                              "milvus-lite://PATH.db (absolute: milvus-lite:///PATH.db)")
        path = Path(rest).absolute()
        return MilvusLocation(text, str(path), LITE_NAME, server=False)
    rest = text.removeprefix("milvus://")
    host, _, name = rest.partition("/")
    if not _HOST_PORT.fullmatch(host) or not _NAME.fullmatch(name):
        raise ConfigError(f"{text}: a Milvus library is milvus://HOST:PORT/NAME, NAME of "
                          "letters, digits and underscores starting with a letter")
    return MilvusLocation(text, f"http://{host}", name, server=True)


def open_store(location: str | Path) -> Store:
    """The library at `location` (LibraryError when there is none)."""
    if is_uri(location):
        from vidtrace.library.milvus import MilvusStore

        return MilvusStore.open(parse_uri(str(location)))
    from vidtrace.library.folder import FolderStore

    return FolderStore.open(location)


def create_store(location: str | Path, manifest: Manifest, exist_ok: bool = False) -> Store:
    """A new empty library at `location` (`exist_ok`: open one already there instead)."""
    if is_uri(location):
        from vidtrace.library.milvus import MilvusStore

        return MilvusStore.create(parse_uri(str(location)), manifest, exist_ok)
    from vidtrace.library.folder import FolderStore

    return FolderStore.create(location, manifest, exist_ok)


def library_exists(location: str | Path) -> bool:
    """Whether a library is there already. A Milvus location is reported as absent: creating
    with `exist_ok` opens what is there (one round trip instead of two)."""
    if is_uri(location):
        return False
    return (Path(location) / MANIFEST_FILE).exists()


def folder_only(location: str | Path, command: str) -> None:
    """ConfigError for a command that works on library folders only, given a URI."""
    if is_uri(location):
        raise ConfigError(f"{location}: `vidtrace {command}` works on library folders only; "
                          "a Milvus library is checked and served by Milvus itself "
                          "(docs/scale.md)")
