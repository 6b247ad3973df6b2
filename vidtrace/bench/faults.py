"""`vidtrace bench --faults`: what crashes, concurrent writers, a full disk, damaged files and
read-only folders do to a library (issue 16; docs/library.md).

Every case runs `vidtrace` as its own process, as a user would, on the shipped clips, and
counts: runs; consistent afterwards (`vidtrace check` passes, or the command refused with one
line and the library is unchanged); data lost (a reference that was committed, or that a
re-run should add, is not found by its own file; goal 0); wrong answers (a command that exits
0 with a wrong result; goal 0); tracebacks (goal 0).

1. `kill -9` of `vidtrace index` at a random moment, then a re-run of the same command.
2. Two `vidtrace index` processes adding different files to one library at once.
3. A full disk: the library on a small tmpfs filled to several levels (root only).
4. Each library file overwritten with random bytes at several offsets: `info`, `query`, then
   `repair` (the catalog, the index, the manifest).
5. A read-only library (read-only bind mount as root, else chmod): info, query, check, index,
   remove, and a library created under a read-only folder.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import vidtrace

Progress = Callable[[str, int, int], None]


@dataclass
class Tally:
    """The counts of one kind of fault."""

    runs: int = 0
    consistent: int = 0
    data_lost: int = 0
    wrong_answers: int = 0
    tracebacks: int = 0
    skipped: str | None = None
    examples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


class Runner:
    """Runs `vidtrace` commands of this installation in new processes."""

    def __init__(self) -> None:
        root = Path(vidtrace.__file__).resolve().parent.parent
        self.env = {**os.environ, "PYTHONPATH": str(root)}

    def args(self, *args: object) -> list[str]:
        return [sys.executable, "-m", "vidtrace", *map(str, args)]

    def run(self, *args: object, timeout: float = 900) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run(self.args(*args), env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def start(self, *args: object) -> subprocess.Popen:  # type: ignore[type-arg]
        return subprocess.Popen(self.args(*args), env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)


def _found(run: Runner, lib: Path, files: list[Path]) -> dict[str, bool]:
    """{file stem: the library finds the file as a copy of a reference of that name}."""
    result = run.run("query", lib, *files, "--json")
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            stem = Path(row["query"]).stem
            found[stem] = any(m["reference"] == stem for m in row.get("matches", []))
    return {f.stem: found.get(f.stem, False) for f in files}


def _count_traceback(t: Tally, *results: subprocess.CompletedProcess) -> None:  # type: ignore[type-arg]
    for r in results:
        if "Traceback" in (r.stderr or ""):
            t.tracebacks += 1
            t.note(r.stderr.strip().splitlines()[-1])


def kill_runs(run: Runner, files: list[Path], work: Path, n: int, rng: random.Random,
              progress: Progress | None) -> Tally:
    t = Tally()
    for i in range(n):
        lib = work / f"kill-{i}"
        p = run.start("index", lib, *files)
        time.sleep(rng.uniform(0.3, 8.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        t.runs += 1
        checked = run.run("check", lib) if (lib / "manifest.json").exists() else None
        consistent = (checked is None and not lib.exists()) or (
            checked is not None and checked.returncode == 0)
        again = run.run("index", lib, *files)
        found = _found(run, lib, files)
        _count_traceback(t, again, *([checked] if checked else []))
        t.consistent += consistent
        t.data_lost += sum(not ok for ok in found.values())
        if not consistent or not all(found.values()):
            t.note(f"run {i}: check {checked.returncode if checked else 'no library'}, "
                   f"found {found}")
        shutil.rmtree(lib, ignore_errors=True)
        if progress:
            progress("faults: kill -9", i + 1, n)
    return t


def concurrent_writers(run: Runner, files: list[Path], work: Path, n: int,
                       progress: Progress | None) -> Tally:
    t = Tally()
    half = len(files) // 2
    for i in range(n):
        lib = work / f"writers-{i}"
        a = run.start("index", lib, *files[:half], "--wait", "600")
        b = run.start("index", lib, *files[half:], "--wait", "600")
        errs = [p.communicate(timeout=900)[1] for p in (a, b)]
        t.runs += 1
        info = run.run("info", lib, "--json")
        ok = a.returncode == b.returncode == 0 and info.returncode == 0
        if ok:
            doc = json.loads(info.stdout)
            ok = doc["videos"] == len(files) and doc["index"]["vectors"] == doc["frames"]
        found = _found(run, lib, files)
        t.consistent += ok and run.run("check", lib).returncode == 0
        t.data_lost += sum(not v for v in found.values())
        t.tracebacks += sum("Traceback" in e for e in errs)
        if not ok or not all(found.values()):
            t.note(f"round {i}: exits {a.returncode}/{b.returncode}, found {found}")
        shutil.rmtree(lib, ignore_errors=True)
        if progress:
            progress("faults: two writers", i + 1, n)
    return t


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def full_disk(run: Runner, files: list[Path], work: Path, levels: list[int],
              progress: Progress | None) -> Tally:
    t = Tally()
    if os.geteuid() != 0:
        t.skipped = "needs root to mount a small tmpfs"
        return t
    for i, free_kb in enumerate(levels):
        disk = work / f"disk-{i}"
        disk.mkdir()
        if not _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)):
            t.skipped = "cannot mount a tmpfs here"
            return t
        try:
            lib = disk / "lib"
            first = run.run("index", lib, files[0])
            filler = disk / "filler"
            stat = os.statvfs(disk)
            size = max(0, stat.f_bavail * stat.f_frsize - free_kb * 1024)
            with open(filler, "wb") as f:
                f.write(b"\0" * size)
            more = run.run("index", lib, *files[1:])
            t.runs += 1
            readable = run.run("info", lib, "--json")
            found = _found(run, lib, [files[0]]) if first.returncode == 0 else {}
            leftovers = [p.name for p in disk.rglob("*.tmp")]
            _count_traceback(t, more, readable)
            ok = readable.returncode == 0 and not leftovers and all(found.values())
            t.consistent += ok and run.run("check", lib).returncode == 0
            t.data_lost += sum(not v for v in found.values())
            if not ok or more.returncode == 0:
                t.note(f"{free_kb} KB free: exit {more.returncode}, "
                       f"{more.stderr.strip()[-160:]}, leftovers {leftovers}")
        finally:
            subprocess.run(["umount", str(disk)], capture_output=True)
        if progress:
            progress("faults: full disk", i + 1, len(levels))
    return t


def _corrupt(path: Path, offset: float, rng: random.Random) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(int(size * offset))
        f.write(rng.randbytes(min(4096, max(1, size // 4))))


def damaged_files(run: Runner, files: list[Path], work: Path, offsets: int, rng: random.Random,
                  progress: Progress | None) -> dict[str, Tally]:
    base = work / "damage-base"
    run.run("index", base, *files)
    truth = _found(run, base, files)
    names = ["catalog.sqlite", "manifest.json", "index"]
    out = {}
    for k, name in enumerate(names):
        t = out[name] = Tally()
        for j in range(offsets):
            lib = work / f"damage-{name}-{j}"
            shutil.copytree(base, lib)
            target = next(lib.glob("index-*.faiss")) if name == "index" else lib / name
            _corrupt(target, (j + 0.5) / offsets, rng)
            t.runs += 1
            info = run.run("info", lib, "--json")
            query = run.run("query", lib, *files, "--json")
            _count_traceback(t, info, query)
            answers = {}
            for line in query.stdout.splitlines():
                if line.startswith("{"):
                    row = json.loads(line)
                    if "matches" in row:
                        stem = Path(row["query"]).stem
                        answers[stem] = any(m["reference"] == stem for m in row["matches"])
            # exit 0 means every answer must be right; an error must name the file
            wrong = sum(1 for s, ok in answers.items() if ok != truth[s])
            if query.returncode == 0 and wrong:
                t.wrong_answers += 1
                t.note(f"{name} at {(j + 0.5) / offsets:.2f}: exit 0 with {wrong} wrong")
            repaired = run.run("repair", lib)
            _count_traceback(t, repaired)
            t.consistent += run.run("check", lib).returncode == 0 or (
                name == "manifest.json" and repaired.returncode != 0)
            shutil.rmtree(lib, ignore_errors=True)
            if progress:
                progress("faults: damaged files", k * offsets + j + 1, len(names) * offsets)
    shutil.rmtree(base, ignore_errors=True)
    return out


def read_only(run: Runner, files: list[Path], work: Path, progress: Progress | None) -> Tally:
    t = Tally()
    source = work / "ro-src"
    run.run("index", source, *files[:2])
    target = work / "ro"
    target.mkdir()
    bound = os.geteuid() == 0 and _mount("--bind", str(source), str(target)) and _mount(
        "-o", "remount,ro,bind", str(target))
    if not bound:
        if os.geteuid() == 0:
            t.skipped = "root ignores chmod and no read-only bind mount could be made"
            return t
        shutil.rmtree(target)
        shutil.copytree(source, target)
        for p in [target, *target.iterdir()]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        cases: list[tuple[list[object], bool]] = [
            (["info", target], True), (["query", target, files[0]], True),
            (["check", target], True), (["index", target, files[2]], False),
            (["index", target / "new", files[2]], False)]
        before = sorted((p.name, p.stat().st_size) for p in target.iterdir())
        for i, (args, should_work) in enumerate(cases):
            r = run.run(*args)
            t.runs += 1
            _count_traceback(t, r)
            one_line = len([x for x in r.stderr.splitlines() if x.startswith("error:")]) == 1
            t.consistent += (r.returncode == 0) if should_work else (r.returncode != 0 and one_line)
            if (r.returncode == 0) != should_work:
                t.note(f"{args[0]}: exit {r.returncode} {r.stderr.strip()[-160:]}")
            if progress:
                progress("faults: read-only", i + 1, len(cases))
        if sorted((p.name, p.stat().st_size) for p in target.iterdir()) != before:
            t.data_lost += 1
            t.note("the read-only library changed")
    finally:
        if bound:
            subprocess.run(["umount", str(target)], capture_output=True)
        else:
            for p in [target, *target.iterdir()]:
                p.chmod(0o755 if p.is_dir() else 0o644)
    return t


def run_faults(files: list[Path], work: Path | None = None, kills: int = 50, rounds: int = 20,
               levels: tuple[int, ...] = (0, 16, 64, 160, 400), offsets: int = 10,
               seed: int = 0, progress: Progress | None = None) -> dict[str, Any]:
    """The fault report (see the module docstring) as a JSON-serialisable dict."""
    rng = random.Random(seed)
    run = Runner()
    if work is not None:
        Path(work).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vidtrace-faults-", dir=work) as tmp:
        folder = Path(tmp)
        cases: dict[str, Tally] = {
            "kill_9": kill_runs(run, files, folder, kills, rng, progress),
            "two_writers": concurrent_writers(run, files, folder, rounds, progress),
            "full_disk": full_disk(run, files, folder, list(levels), progress),
            **{f"damaged_{k}": v for k, v in damaged_files(run, files, folder, offsets, rng,
                                                          progress).items()},
            "read_only": read_only(run, files, folder, progress),
        }
    rows = {name: asdict(t) for name, t in cases.items()}
    total = {k: sum(r[k] for r in rows.values()) for k in
             ("runs", "consistent", "data_lost", "wrong_answers", "tracebacks")}
    return {"files": [str(f) for f in files], "cases": rows, "total": total}


def format_faults(doc: dict[str, Any]) -> str:
    lines = [f"{'case':<24} {'runs':>5} {'consistent':>10} {'data lost':>9} {'wrong':>6} "
             f"{'tracebacks':>10}"]
    for name, r in [*doc["cases"].items(), ("total", doc["total"])]:
        skipped = f"  (skipped: {r['skipped']})" if r.get("skipped") else ""
        lines.append(f"{name:<24} {r['runs']:>5} {r['consistent']:>10} {r['data_lost']:>9} "
                     f"{r['wrong_answers']:>6} {r['tracebacks']:>10}{skipped}")
    return "\n".join(lines) + "\n"
