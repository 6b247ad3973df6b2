"""Stage 3 of the pipeline: the reference library folder (manifest, catalog, faiss index)."""

from vidtrace.library.catalog import Catalog, VideoRecord
from vidtrace.library.index import FrameIndex
from vidtrace.library.manifest import FORMAT_VERSION, Manifest

__all__ = ["FORMAT_VERSION", "Catalog", "FrameIndex", "Manifest", "VideoRecord"]
