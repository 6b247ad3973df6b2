"""Related clips of a footage collection (stage 8, synth & eval): groups of clips that show the
same thing (one scene filmed twice, a screen recording that shows another clip).

A benchmark keeps every such group on the filler side: were one member a reference and another
filler, a "negative" or a filler piece would hold a true copy the ground truth does not list; were
two members references, a copy of one would truly match the other, which the ground truth cannot
list either. The groups come from the collection's MANIFEST.md: its paragraph that begins
"Related groups" names them, one group per `;`-separated clause, each clip in backquotes (a `*`
matches any run of characters, as in `mdn_toy_*`).
"""

import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path

from vidtrace.errors import ConfigError

MANIFEST = "MANIFEST.md"
_NAME = re.compile(r"`([^`]+)`")


def parse_related(text: str) -> list[list[str]]:
    """The groups (lists of file-name patterns) of a manifest's "Related groups" paragraph;
    clauses naming fewer than one pattern are skipped; [] when there is no such paragraph."""
    paragraphs = re.split(r"\n\s*\n", text)
    para = next((p for p in paragraphs if p.lstrip().lower().startswith("related groups")), None)
    if para is None:
        return []
    head, _, body = para.partition(":")  # "Related groups (...): clause; clause; ..."
    groups = [_NAME.findall(clause) for clause in (body or head).split(";")]
    return [g for g in groups if g]


def manifest_near(sources: Path | Sequence[Path]) -> Path | None:
    """The MANIFEST.md in the sources folder (or the first source's folder) or its parent."""
    first = Path(sources) if isinstance(sources, str | Path) else Path(next(iter(sources), "."))
    folder = first if first.is_dir() else first.parent
    for candidate in (folder / MANIFEST, folder.parent / MANIFEST):
        if candidate.is_file():
            return candidate
    return None


def related_groups(sources: Path | Sequence[Path]) -> list[list[str]]:
    """The related groups named by the manifest near `sources` ([] when there is none)."""
    path = manifest_near(sources)
    if path is None:
        return []
    try:
        return parse_related(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the footage manifest ({e}); fix or remove "
                          "it") from None


def group_members(clips: Sequence[Path], groups: Sequence[Sequence[str]]) -> list[set[Path]]:
    """For each group, the clips whose file name matches one of its patterns (groups that
    match no clip are left out)."""
    out: list[set[Path]] = []
    for patterns in groups:
        members = {c for c in clips if any(fnmatch.fnmatchcase(Path(c).name, p)
                                           for p in patterns)}
        if members:
            out.append(members)
    return out
