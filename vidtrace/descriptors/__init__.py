"""Stage 2 of the pipeline: frame descriptors, one interface and several backends by name."""

from vidtrace.descriptors.base import Descriptor
from vidtrace.descriptors.registry import available_descriptors, create_descriptor

__all__ = ["Descriptor", "available_descriptors", "create_descriptor"]
