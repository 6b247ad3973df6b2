"""The store protocol: what the rest of vidtrace may ask of a library (stage 3, library).

`ReadStore` is all that matching needs (match/): k-NN search over reference frames, the frames
of a reference, and the audio prints with given hashes (the inverted index). `Store` adds what
the API needs to manage a library: its manifest, the references, a write session, adding and
removing, the descriptor it was built with, and facts for `vidtrace info`. Backends:
`FolderStore` (folder.py: SQLite catalog + faiss index in a folder, the embedded default). A
backend implements these methods and nothing above it changes (docs/architecture.md)."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from vidtrace.descriptors.base import Descriptor
from vidtrace.library.manifest import Manifest
from vidtrace.types import AudioPrints, FrameHits, FrameSet, Reference


class ReadStore(Protocol):
    """Read-only access to stored references, as matching uses it."""

    def search(self, vectors: np.ndarray, k: int, nprobe: int, ef_search: int = ...
               ) -> FrameHits:
        """The k nearest stored reference frames of each float32[n, d] query vector, as hits
        (query row, reference key, reference frame, similarity); an ivfpq index visits
        `nprobe` lists, an hnsw index keeps `ef_search` candidates."""
        ...

    def reference(self, key: int) -> Reference:
        """The reference with store key `key` (LibraryError when there is none)."""
        ...

    def frames(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """(times float64[T], vectors float32[T, d]) of a reference, checksum-verified."""
        ...

    def fine_frames(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        """A reference's fine-rate (times, vectors), or None when the store keeps none."""
        ...

    def print_hits(self, hashes: np.ndarray, version: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hash uint32[m], reference key int64[m], tick int64[m]) of every stored audio
        print of fingerprinter `version` whose hash is in `hashes` (audio/; none for
        references without sound)."""
        ...


class Store(ReadStore, Protocol):
    """A library: everything persistent. Changes happen inside `writing()`, which holds the
    library's single-writer lock; reads happen anywhere, inside `snapshot()` when several
    reads must see one state."""

    location: str
    manifest: Manifest

    def references(self) -> list[Reference]: ...

    def find(self, *, video_id: str | None = None, content_hash: str | None = None
             ) -> Reference | None: ...

    def snapshot(self) -> AbstractContextManager[None]: ...

    def writing(self, wait: float = 0.0, on_wait: Callable[[str], None] | None = None
                ) -> AbstractContextManager[None]: ...

    def add(self, ref: Reference, frames: FrameSet, fine: FrameSet | None,
            prints: AudioPrints | None = None) -> Reference:
        """Store one described reference with its audio prints, if it has sound (`ref.key` is
        ignored; the stored one is returned)."""
        ...

    def remove(self, video_id: str) -> Reference: ...

    def set_manifest(self, manifest: Manifest) -> None:
        """Replace the manifest (query defaults, a learned descriptor's version)."""
        ...

    def load_descriptor(self, threads: int) -> Descriptor:
        """The library's descriptor, with any state it learned, checked against the version
        the library was built with."""
        ...

    def save_descriptor_state(self, descriptor: Descriptor) -> None: ...

    def info(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
