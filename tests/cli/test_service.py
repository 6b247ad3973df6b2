"""`vidtrace report` and `vidtrace serve` (vidtrace/cli/service.py)."""

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.clip_media import ClipMedia, clip_media
from tests.report.page_parser import parse, select
from vidtrace.cli.main import app
from vidtrace.cli.service import parse_size
from vidtrace.errors import ConfigError

runner = CliRunner()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> ClipMedia:
    return clip_media(tmp_path_factory.getbasetemp() / "clip-media")


def test_report_command_writes_the_page(media: ClipMedia, tmp_path: Path) -> None:
    out = tmp_path / "evidence.html"
    result = runner.invoke(app, ["report", str(media.library), str(media.two_segment),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"2 copied segments; evidence written to {out}" in result.stdout
    els = parse(out.read_text(encoding="utf-8"))
    assert len(select(els, "tr", "segment")) == 2 == len(select(els, "line", "segment"))
    none = runner.invoke(app, ["report", str(media.library), str(media.unrelated), "--out",
                               str(tmp_path / "none.html")])
    assert none.exit_code == 0 and "no copied segment found" in none.stdout
    assert "No copied segment found" in (tmp_path / "none.html").read_text(encoding="utf-8")


def test_report_command_errors_are_one_line(media: ClipMedia, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["report", str(tmp_path / "nolib"), str(media.unrelated)])
    assert missing.exit_code == 1 and "no such library folder" in missing.output
    assert "Traceback" not in missing.output
    bad = runner.invoke(app, ["report", str(media.library), str(tmp_path / "none.mp4"),
                              "--out", str(tmp_path / "x.html")])
    assert bad.exit_code == 1 and "none.mp4" in bad.output
    assert not (tmp_path / "x.html").exists()


def test_parse_size() -> None:
    assert parse_size("2G") == 2 * 1024**3 and parse_size("500M") == 500 * 1024**2
    assert parse_size("64k") == 65536 and parse_size("1.5GB") == int(1.5 * 1024**3)
    assert parse_size("1048576") == 1048576
    for bad in ("", "2X", "-1", "0"):
        with pytest.raises(ConfigError, match="--max-upload"):
            parse_size(bad)


def test_serve_prints_a_new_token_once(media: ClipMedia, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvicorn", reason="needs the [service] extra")
    import uvicorn

    library = Path(shutil.copytree(media.library, tmp_path / "library"))
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append(kw))
    first = runner.invoke(app, ["serve", str(library), "--port", "8123"])
    assert first.exit_code == 0, first.output
    token = (library / "service" / "token").read_text().strip()
    assert f"): {token}" in first.stdout and f"http://127.0.0.1:8123/#token={token}" in first.stdout
    again = runner.invoke(app, ["serve", str(library), "--max-upload", "10M"])
    assert again.exit_code == 0 and token not in again.stdout
    wide = runner.invoke(app, ["serve", str(library), "--host", "0.0.0.0"])
    assert wide.exit_code == 0 and "without TLS" in wide.output
    assert "without TLS" not in again.output
    bad = runner.invoke(app, ["serve", str(library), "--max-upload", "lots"])
    assert bad.exit_code == 1 and re.search(r"--max-upload must be a size", bad.output)
    assert runs == [{"host": "127.0.0.1", "port": 8123, "log_level": "info"},
                    {"host": "127.0.0.1", "port": 8000, "log_level": "info"},
                    {"host": "0.0.0.0", "port": 8000, "log_level": "info"}]
