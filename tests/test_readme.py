"""The README's sample output is what `scripts/demo` prints (issue 23: samples cannot drift)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _samples():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("readme_samples",
                                                  ROOT / "scripts" / "readme_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_masking_keeps_what_must_not_vary() -> None:
    samples = _samples()
    line = "  query     2.8-   16.8 s  <-  big_buck_bunny_0-30s     7.6-   21.8 s   score 0.61"
    moved = line.replace("16.8", "16.9").replace("0.61", "0.69")
    assert samples.agrees(moved, line)
    assert not samples.agrees(line.replace("16.8", "18.8"), line)  # an end 2 s away
    assert not samples.agrees(line.replace("big_buck_bunny_0-30s", "mdn_flower"), line)
    assert not samples.agrees(line, line + "\n" + line)  # an extra segment
    timing = "4 added (51.0 s of video in 4.6 s, 11.0x real time), 0 unchanged"
    assert samples.agrees(timing.replace("4.6 s, 11.0x", "9.1 s, 5.6x"), timing)


@pytest.mark.slow
def test_readme_shows_what_the_demo_prints(tmp_path: Path) -> None:
    samples = _samples()
    output = samples.demo_output(str(tmp_path / "demo-out"))
    readme = samples.readme_block((ROOT / "README.md").read_text())
    assert str(tmp_path) not in output
    assert samples.agrees(output, readme), (
        f"README.md's demo output is stale; run scripts/readme-samples\n{output}")
