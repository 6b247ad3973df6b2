"""Descriptor backends by name. A backend whose libraries are missing is simply not listed.

A name joined by "+" ("sscd+sift-fv", weights as "sscd*2+pdq") is a fusion of those backends
(fusion.py). "learned:PATH.npz" is a trained head on the backbone its file names (learned.py);
its path may not contain "+". A preset name ("fast", presets.py) is a head shipped in the
package, used as learned:<its file>.
"""

from vidtrace.descriptors.base import Descriptor
from vidtrace.descriptors.presets import PRESETS
from vidtrace.errors import ConfigError


def _backends() -> dict[str, type[Descriptor]]:
    found: dict[str, type[Descriptor]] = {}
    try:
        from vidtrace.descriptors.sscd import SSCDDescriptor, SSCDFastDescriptor

        found[SSCDDescriptor.name] = SSCDDescriptor
        found[SSCDFastDescriptor.name] = SSCDFastDescriptor
    except ImportError:
        pass
    try:
        from vidtrace.descriptors.pdq import PDQDescriptor

        found[PDQDescriptor.name] = PDQDescriptor
    except ImportError:
        pass
    try:
        from vidtrace.descriptors.siftfv import SiftFVBinaryDescriptor, SiftFVDescriptor

        found[SiftFVDescriptor.name] = SiftFVDescriptor
        found[SiftFVBinaryDescriptor.name] = SiftFVBinaryDescriptor
    except ImportError:
        pass
    return found


def available_descriptors() -> list[str]:
    """Every backend name, and the presets whose backbone is installed (sscd-fast)."""
    found = _backends()
    return sorted([*found, *(PRESETS if "sscd-fast" in found else ())])


def create_descriptor(name: str, threads: int = 1) -> Descriptor:
    """An instance of the backend called `name` (or the fusion "a+b", or the head
    "learned:PATH.npz"), on `threads` threads."""
    if "+" in name:
        from vidtrace.descriptors.fusion import FusedDescriptor

        return FusedDescriptor(name, create_descriptor, threads)
    if name.startswith("learned:"):
        from vidtrace.descriptors.learned import LearnedDescriptor

        return LearnedDescriptor(name, create_descriptor, threads)
    if name in PRESETS:
        from vidtrace.descriptors.learned import LearnedDescriptor

        return LearnedDescriptor(f"learned:{PRESETS[name].path}", create_descriptor, threads)
    backends = _backends()
    if name not in backends:
        known = ", ".join(available_descriptors()) or "none installed"
        raise ConfigError(f"unknown descriptor {name!r}; available: {known} (or a fusion "
                          "such as sscd+pdq, or a trained head as learned:PATH.npz)")
    return backends[name](threads=threads)


def canonical_descriptor(name: str) -> str:
    """`name` with the path of every learned head made absolute (fusion parts and weights
    kept), so a library records a head it finds again from any working folder."""
    from vidtrace.descriptors.learned import PREFIX, head_file

    parts = []
    for item in name.split("+"):
        part, star, weight = item.strip().partition("*")
        if part.startswith(PREFIX):
            part = f"{PREFIX}{head_file(part).expanduser().resolve()}"
        parts.append(f"{part}{star}{weight}")
    return "+".join(parts)
