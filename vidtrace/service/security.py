"""The service's bearer token and the checks on what clients send.

The token comes from `--token-file`, or is generated at the first start and kept in the
library's service folder (`LIB/service/token`, mode 0600) for the next starts. Reference ids
sent by clients must match `REF_ID_PATTERN`; uploaded files get names the service makes, with
at most a known video suffix from the client's file name.
"""

import os
import re
import secrets
import stat
from pathlib import Path

from vidtrace.errors import ConfigError

TOKEN_FILE = "token"
MIN_TOKEN_CHARS = 16
REF_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_REF_ID = re.compile(REF_ID_PATTERN)
# suffixes kept on stored uploads (FFmpeg guesses some formats from them); anything else: none
VIDEO_SUFFIXES = frozenset({
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ogv", ".ogg", ".mpg", ".mpeg", ".ts",
    ".mts", ".m2ts", ".flv", ".wmv", ".3gp", ".y4m",
})


def valid_ref_id(value: str) -> bool:
    """Whether `value` may be a reference id: 1-128 letters, digits, '.', '_' or '-', starting
    with a letter or digit."""
    return bool(_REF_ID.fullmatch(value))


def ref_id_from_filename(filename: str) -> str | None:
    """A reference id made from a client's file name: its last path component without suffix,
    other characters replaced by '_'; None when nothing usable is left."""
    stem = re.split(r"[\\/]", filename)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem[1:] else stem
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip("._-")[:128]
    return cleaned if cleaned and valid_ref_id(cleaned) else None


def stored_suffix(filename: str) -> str:
    """The suffix a stored upload gets: the client's, lower-cased, when it is a known video
    suffix, else none."""
    name = re.split(r"[\\/]", filename)[-1]
    suffix = ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
    return suffix if suffix in VIDEO_SUFFIXES else ""


def read_token_file(path: Path) -> str:
    """The token in `path` (surrounding whitespace removed); ConfigError when it is missing or
    shorter than MIN_TOKEN_CHARS."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the token file ({e.strerror}); give a readable "
                          "file with --token-file") from e
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise ConfigError(f"{path}: the token must be one word of at least {MIN_TOKEN_CHARS} "
                          "characters; put a long random token in the file")
    return token


def service_token(service_dir: Path, token_file: Path | None = None) -> tuple[str, bool]:
    """(token, whether it was generated now): read from `token_file` when given, else from
    `service_dir/token`, generated there (mode 0600) when missing."""
    if token_file is not None:
        return read_token_file(token_file), False
    path = service_dir / TOKEN_FILE
    service_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        return read_token_file(path), False
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token, True
