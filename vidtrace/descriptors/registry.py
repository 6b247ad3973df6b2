"""Descriptor backends by name. A backend whose libraries are missing is simply not listed."""

from vidtrace.descriptors.base import Descriptor
from vidtrace.errors import ConfigError


def _backends() -> dict[str, type[Descriptor]]:
    found: dict[str, type[Descriptor]] = {}
    try:
        from vidtrace.descriptors.sscd import SSCDDescriptor, SSCDFastDescriptor

        found[SSCDDescriptor.name] = SSCDDescriptor
        found[SSCDFastDescriptor.name] = SSCDFastDescriptor
    except ImportError:
        pass
    return found


def available_descriptors() -> list[str]:
    return sorted(_backends())


def create_descriptor(name: str, threads: int = 1) -> Descriptor:
    """An instance of the backend called `name`, running on `threads` threads."""
    backends = _backends()
    if name not in backends:
        known = ", ".join(sorted(backends)) or "none installed"
        raise ConfigError(f"unknown descriptor {name!r}; available: {known}")
    return backends[name](threads=threads)
