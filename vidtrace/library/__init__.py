"""Stage 3 of the pipeline: the store, everything persistent about a reference library.

`store` defines the store protocol (what matching and the API may ask); `folder` is the embedded
default backend (manifest, SQLite catalog, faiss index, write lock); `ingest` adds reference
files to any store.
"""

from vidtrace.library.folder import FolderStore
from vidtrace.library.manifest import FORMAT_VERSION, Manifest
from vidtrace.library.store import ReadStore, Store

__all__ = ["FORMAT_VERSION", "FolderStore", "Manifest", "ReadStore", "Store"]
