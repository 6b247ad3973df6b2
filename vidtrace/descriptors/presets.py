"""Named descriptor presets shipped inside the package (issue 20).

A preset is a name that resolves to a trained head file under `vidtrace/descriptors/heads/`,
used as `learned:<that file>` (learned.py): `--descriptor fast` indexes references, and their
queries are described, with sscd-fast and the shipped head. A library records the preset's name,
and its version names the head's digest, so a library built with one head refuses another.
docs/learned.md holds the command and the data that reproduce each head; the test suite checks
each file against the checksum recorded here.
"""

from dataclasses import dataclass
from pathlib import Path

HEADS = Path(__file__).parent / "heads"


@dataclass(frozen=True)
class Preset:
    """`name` -> the head file `file` (under HEADS) whose sha256 is `sha256`."""

    name: str
    file: str
    sha256: str
    about: str

    @property
    def path(self) -> Path:
        return HEADS / self.file


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("fast", "fast.npz",
           "a2341dd8fa556fa6c3842be1560999d44896a2a086e59fd9fe7684384911d028",
           "sscd-fast with a head trained by DMI + distillation toward sscd (issue 20)"),
)}
