"""The service's token and input checks (vidtrace/service/security.py)."""

import stat
from pathlib import Path

import pytest

from vidtrace.errors import ConfigError
from vidtrace.service.security import (
    ref_id_from_filename,
    service_token,
    stored_suffix,
    valid_ref_id,
)


def test_generated_token_is_kept_private(tmp_path: Path) -> None:
    folder = tmp_path / "lib" / "service"
    token, created = service_token(folder)
    assert created and len(token) >= 40
    path = folder / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    again, created_again = service_token(folder)
    assert (again, created_again) == (token, False)
    path.chmod(0o644)
    assert service_token(folder) == (token, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_token_file(tmp_path: Path) -> None:
    given = tmp_path / "token.txt"
    given.write_text("  a-long-enough-token-value\n")
    assert service_token(tmp_path / "service", given) == ("a-long-enough-token-value", False)
    assert not (tmp_path / "service" / "token").exists()
    given.write_text("short\n")
    with pytest.raises(ConfigError, match="at least 16 characters"):
        service_token(tmp_path / "service", given)
    with pytest.raises(ConfigError, match=r"missing\.txt: cannot read the token file"):
        service_token(tmp_path / "service", tmp_path / "missing.txt")


def test_reference_ids() -> None:
    assert valid_ref_id("big_buck_bunny_0-30s") and valid_ref_id("a.b-c_d")
    for bad in ("", "-x", ".hidden", "a b", "a/b", "x" * 129, "ü"):
        assert not valid_ref_id(bad), bad
    assert ref_id_from_filename("film.mp4") == "film"
    assert ref_id_from_filename("../../etc/passwd") == "passwd"
    assert ref_id_from_filename("C:\\clips\\My film (1).mov") == "My_film__1_"
    assert ref_id_from_filename("...") is None and ref_id_from_filename("") is None
    assert ref_id_from_filename(".bashrc") == "bashrc"


def test_stored_suffix() -> None:
    assert stored_suffix("a.MP4") == ".mp4" and stored_suffix("x/y.webm") == ".webm"
    assert stored_suffix("evil.sh") == "" and stored_suffix("noext") == ""
    assert stored_suffix("a.mp4/../b") == ""
