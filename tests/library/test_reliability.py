"""A library never silently loses or corrupts data (issue 16): concurrent writers, kills,
damaged and missing files, read-only libraries, a full disk, bad settings, orphan workers.

These run `vidtrace` as separate processes, as users do; the ones that need root (a read-only
bind mount, a small tmpfs) skip with the reason elsewhere."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLIPS
from vidtrace.api import Library
from vidtrace.errors import LibraryError

FILES = [CLIPS / "mdn_flower.mp4", CLIPS / "mdn_friday_1940.mp4",
         CLIPS / "mdn_stream_of_water.webm", CLIPS / "udacity_highway_lanes.mp4"]
REPO = Path(__file__).resolve().parents[2]


def vidtrace(*args: object, check: bool = False, **kw: object) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """`vidtrace ARGS...` in a new process (this checkout's code), output captured."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "vidtrace", *map(str, args)], env=env,
                          capture_output=True, text=True, check=check, **kw)  # type: ignore[call-overload]


def start(*args: object) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "vidtrace", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_line_error(result: subprocess.CompletedProcess) -> str:  # type: ignore[type-arg]
    """The error a failed command printed: exactly one line starting "error:", no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def searchable(folder: Path) -> dict[str, bool]:
    """{reference id: its own file is found as a copy of itself} for every reference."""
    with Library.open(folder) as lib:
        return {ref.video_id: any(m.ref_id == ref.video_id for m in lib.query(ref.path))
                for ref in lib.videos()}


@pytest.mark.slow
@pytest.mark.parametrize("exists", [True, False], ids=["library-exists", "both-create"])
def test_two_writers_at_once_lose_nothing(tmp_path: Path, exists: bool) -> None:
    lib = tmp_path / "lib"
    if exists:
        vidtrace("index", lib, FILES[0], check=True)
    a = start("index", lib, *FILES[int(exists):2], "--wait", "300")
    b = start("index", lib, FILES[2], FILES[3], "--wait", "300")
    for p in (a, b):
        _, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr
    info = json.loads(vidtrace("info", lib, "--json", check=True).stdout)
    assert info["videos"] == 4 and info["index"]["vectors"] == info["frames"]
    assert searchable(lib) == {f.stem: True for f in FILES}
    assert vidtrace("check", lib).returncode == 0


def test_a_second_writer_waits_or_fails_with_one_line(tmp_path: Path) -> None:
    from vidtrace.library.lock import write_lock

    lib = tmp_path / "lib"
    Library.create(lib).close()
    told: list[str] = []
    with write_lock(lib):
        result = vidtrace("index", lib, FILES[0])
        assert "is writing to this library; wait for it to finish or run again with --wait" in (
            one_line_error(result))
        with pytest.raises(LibraryError, match="is writing"), Library.open(lib) as opened:
            opened.add([FILES[0]], wait=0.3, on_wait=told.append)
    assert told and "waiting for process" in told[0]
    with Library.open(lib) as opened:
        assert opened.videos() == []


@pytest.mark.slow
def test_kill_9_while_indexing_leaves_a_library_a_rerun_completes(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    for delay in (1.5, 3.0, 4.5):
        p = start("index", lib, *FILES)
        time.sleep(delay)
        p.kill()
        p.wait()
        if (lib / "manifest.json").exists():
            assert vidtrace("check", lib).returncode == 0
        else:  # killed while creating: no half-made library is left
            assert not lib.exists()
    vidtrace("index", lib, *FILES, check=True)
    assert searchable(lib) == {f.stem: True for f in FILES}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def small_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small") / "lib"
    with Library.create(folder) as lib:
        lib.add(FILES[:2])
    return folder


@pytest.fixture
def damaged(small_library: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(small_library, tmp_path / "lib"))


def test_a_missing_catalog_is_an_error_not_an_empty_library(damaged: Path) -> None:
    (damaged / "catalog.sqlite").unlink()
    for command in ("info", "query"):
        args = [command, damaged] + ([FILES[0]] if command == "query" else [])
        assert "catalog.sqlite: the library's catalog is missing" in one_line_error(
            vidtrace(*args))
    assert (damaged / "manifest.json").exists() and list(damaged.glob("index-*.faiss"))


def test_damaged_frames_are_an_error_and_repair_drops_them(damaged: Path) -> None:
    with Library.open(damaged) as lib:
        flower = next(r for r in lib.videos() if r.video_id == "mdn_flower")
    # flip bytes inside the flower's stored vectors, where SQLite itself does not look
    import sqlite3

    db = sqlite3.connect(damaged / "catalog.sqlite")
    blob = bytearray(db.execute("SELECT vectors FROM videos WHERE rowid = ?",
                                (flower.key,)).fetchone()[0])
    blob[100:140] = bytes(40)
    db.execute("UPDATE videos SET vectors = ? WHERE rowid = ?", (bytes(blob), flower.key))
    db.commit()
    db.close()
    error = one_line_error(vidtrace("query", damaged, FILES[0]))
    assert "stored frames of reference 'mdn_flower' are damaged" in error
    checked = vidtrace("check", damaged)
    assert checked.returncode == 1 and "'mdn_flower' fail their checksum" in checked.stderr
    repaired = vidtrace("repair", damaged)
    assert repaired.returncode == 0 and "dropped mdn_flower" in repaired.stdout
    assert searchable(damaged) == {"mdn_friday_1940": True}


def test_an_index_from_another_library_is_never_used(damaged: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    with Library.create(other) as lib:
        lib.add([FILES[2]])
    (index,) = damaged.glob("index-*.faiss")
    shutil.copy(next(other.glob("index-*.faiss")), index)
    assert searchable(damaged) == {"mdn_flower": True, "mdn_friday_1940": True}
    assert "the index file" in vidtrace("check", damaged).stderr
    assert vidtrace("repair", damaged).returncode == 0
    assert vidtrace("check", damaged).returncode == 0


def test_a_manifest_with_a_missing_or_wrong_field_names_it(damaged: Path) -> None:
    manifest = damaged / "manifest.json"
    doc = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({k: v for k, v in doc.items() if k != "dim"}))
    assert "the field 'dim' is missing" in one_line_error(vidtrace("info", damaged))
    doc["query"]["knn_k"] = "ten"
    manifest.write_text(json.dumps(doc))
    assert "setting knn_k must be a number, got 'ten'" in one_line_error(
        vidtrace("info", damaged))


def test_bad_settings_are_refused_before_anything_is_made(tmp_path: Path) -> None:
    for fps in ("inf", "nan", "0", "-1"):
        lib = tmp_path / f"lib-{fps}"
        error = one_line_error(vidtrace("index", lib, FILES[0], "--fps", fps))
        assert "setting index_fps must" in error
        assert not lib.exists()


def test_a_still_image_is_not_a_video(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    picture = tmp_path / "still.png"
    cv2.imwrite(str(picture), np.full((90, 160, 3), 128, np.uint8))
    renamed = tmp_path / "still.mp4"
    shutil.copy(picture, renamed)
    lib = tmp_path / "lib"
    result = vidtrace("index", lib, picture, renamed)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("is a still image (png), not a video") == 2
    assert json.loads(vidtrace("info", lib, "--json", check=True).stdout)["videos"] == 0


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def read_only(small_library: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of small_library behind a read-only bind mount (root only)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only bind mount needs root and mount(8)")
    source = Path(shutil.copytree(small_library, tmp_path / "src"))
    target = tmp_path / "ro"
    target.mkdir()
    try:
        _mount("--bind", str(source), str(target))
        _mount("-o", "remount,ro,bind", str(target))
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot make a read-only bind mount here: {e.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_a_read_only_library_can_be_read_and_says_why_it_cannot_be_written(
        read_only: Path) -> None:
    before = sorted((p.name, p.stat().st_size) for p in read_only.iterdir())
    info = json.loads(vidtrace("info", read_only, "--json", check=True).stdout)
    assert info["videos"] == 2
    found = vidtrace("query", read_only, FILES[1], "--json", check=True)
    assert json.loads(found.stdout)["matches"][0]["reference"] == "mdn_friday_1940"
    assert vidtrace("check", read_only).returncode == 0
    for args in (("index", read_only, FILES[2]), ("remove", read_only, "mdn_flower")):
        assert "cannot be written" in one_line_error(vidtrace(*args))
    assert "cannot create the library" in one_line_error(
        vidtrace("index", read_only / "new", FILES[2]))
    assert sorted((p.name, p.stat().st_size) for p in read_only.iterdir()) == before


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_loses_nothing(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk))
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot mount a tmpfs here: {e.stderr.strip()}")
    try:
        lib = disk / "lib"
        vidtrace("index", lib, FILES[0], check=True)
        before = searchable(lib)
        stat = os.statvfs(disk)  # fill the disk but for 24 KB
        (disk / "filler").write_bytes(bytes(stat.f_bavail * stat.f_frsize - 24 * 1024))
        result = vidtrace("index", lib, FILES[3], FILES[1], FILES[2])
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "disk is full" in result.stderr or "No space left" in result.stderr
        assert not [p for p in lib.iterdir() if p.name.endswith(".tmp")]
        after = searchable(lib)
        assert after.items() >= before.items() and all(after.values())
        assert vidtrace("check", lib).returncode == 0
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return not state.exists() or state.read_text().split()[2] != "Z"


@pytest.mark.slow
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    p = start("index", tmp_path / "lib", *FILES, "--jobs", "2")
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2 and p.poll() is None:
        workers = _children(p.pid)  # the two spawned workers (and multiprocessing's helper)
        time.sleep(0.2)
    if len(workers) < 2:
        p.kill()
        pytest.skip("the index run finished before its workers could be seen")
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not [w for w in workers if _alive(w)]


def test_durations_are_the_decoded_ones(tmp_path: Path) -> None:
    from vidtrace.synth import FillerPiece, compose_query

    short = tmp_path / "short.mp4"
    compose_query([FillerPiece(FILES[0], 1.0, 1.2)], short, fps=25.0)
    with Library.create(tmp_path / "lib") as lib:
        (flower, clip) = lib.add([FILES[0], short])
    assert flower.duration == pytest.approx(5.005, abs=0.01)  # 150 frames at 29.97/s
    assert clip.duration == pytest.approx(0.2, abs=0.01)  # 5 frames at 25/s, not 1 s
