"""Describing on a Dask cluster (descriptors/cluster.py, `vidtrace index --cluster`): two local
worker processes build the same library as a serial run, and a file that cannot be read is
reported while the others are added. Skips without the [dask] extra."""

import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import CLIPS
from vidtrace.api import Library
from vidtrace.cli.main import app
from vidtrace.descriptors.cluster import check_cluster
from vidtrace.errors import ConfigError

FILES = [CLIPS / "mdn_flower.mp4", CLIPS / "mdn_friday_1940.mp4",
         CLIPS / "udacity_highway_lanes.mp4"]
NEGATIVE = CLIPS / "mdn_stream_of_water.webm"


def test_cluster_addresses_are_checked() -> None:
    assert check_cluster("local:2") == "local:2"
    assert check_cluster("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    for bad in ("local:0", "local:x", "10.0.0.5:8786", "tcp://scheduler"):
        with pytest.raises(ConfigError, match=r"give tcp://SCHEDULER:8786 .* or local:N"):
            check_cluster(bad)


def test_only_the_nannys_cancelled_wait_is_kept_off_the_log() -> None:
    """A local worker that dies as the cluster closes leaves its nanny's unregistering wait
    cancelled (logged as an ERROR with a CancelledError traceback, seen once in CI); that
    record is dropped while our local cluster runs, any other error is kept."""
    import asyncio

    from vidtrace.descriptors.cluster import _not_a_shutdown_race

    def record(exc: BaseException | None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc is not None else None
        return logging.LogRecord("distributed.nanny", logging.ERROR, __file__, 1, "", None, info)

    assert not _not_a_shutdown_race(record(asyncio.CancelledError()))
    assert _not_a_shutdown_race(record(OSError("disk full")))
    assert _not_a_shutdown_race(record(None))


def test_a_local_cluster_builds_the_library_a_serial_run_builds(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="--cluster needs the [dask] extra")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(FILES[0].read_bytes()[:2000])  # a truncated file: fails, run goes on
    files = [*FILES, broken]
    runner = CliRunner()
    on_cluster = runner.invoke(app, ["index", str(tmp_path / "cluster"), *map(str, files),
                                     "--cluster", "local:2"])
    assert on_cluster.exit_code == 1, on_cluster.output  # one file failed
    assert "3 added" in on_cluster.output and "0 unchanged, 1 failed" in on_cluster.output
    assert "broken.mp4" in on_cluster.output
    with Library.create(tmp_path / "serial") as lib:
        lib.add(FILES)
    with Library.open(tmp_path / "cluster") as a, Library.open(tmp_path / "serial") as b:
        # the cluster's files are committed as they finish: compare in id order
        refs_a, refs_b = (sorted(x.videos(), key=lambda r: r.video_id) for x in (a, b))
        assert [(r.video_id, r.content_hash, r.n_frames, r.duration) for r in refs_a] == [
            (r.video_id, r.content_hash, r.n_frames, r.duration) for r in refs_b]
        assert [r.n_frames for r in refs_a] == [5, 7, 9]
        for x, y in zip(refs_a, refs_b, strict=True):
            (tx, vx), (ty, vy) = a.store.frames(x.key), b.store.frames(y.key)
            assert np.array_equal(tx, ty)
            assert np.abs(vx - vy).max() < 2e-3  # float16 rows, other thread counts


def test_a_cluster_without_the_extra_or_scheduler_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="--cluster needs the [dask] extra")
    result = CliRunner().invoke(app, ["index", str(tmp_path / "lib"), str(FILES[0]),
                                      "--cluster", "tcp://127.0.0.1:1"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0], result.output


def test_lost_workers_files_are_retried_and_a_file_that_kills_every_worker_fails_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two local workers; the worker describing mdn_friday_1940 dies once, after describing
    it and before returning (the scheduler runs the file again on a live worker), and every
    worker that starts describing poison.webm dies (after `allowed-failures` + 1 deaths Dask
    gives up on it, and on every file the dying workers held queued; those are tried again
    alone). The library is the serial run's, and poison.webm is reported once."""
    pytest.importorskip("distributed", reason="--cluster needs the [dask] extra")
    import cloudpickle
    import dask

    from tests.descriptors import dying_workers
    from vidtrace.descriptors import cluster

    cloudpickle.register_pickle_by_value(dying_workers)  # workers need not import tests/
    poison = tmp_path / "poison.webm"
    poison.write_bytes(NEGATIVE.read_bytes())
    markers = tmp_path / "markers"
    markers.mkdir()
    plugin = dying_workers.DyingWorkers([FILES[1].name], [poison.name], markers)
    connect = cluster._connect

    def connect_with_plugin(address: str, threads: int) -> tuple[object, object, int]:
        client, local, per_worker = connect(address, threads)
        client.register_plugin(plugin)
        return client, local, per_worker

    monkeypatch.setattr(cluster, "_connect", connect_with_plugin)
    # the scheduler logs the given-up task as an ERROR: expected here
    monkeypatch.setattr(logging.getLogger("distributed.scheduler"), "disabled", True)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        result = CliRunner().invoke(app, ["index", str(tmp_path / "cluster"),
                                          *map(str, FILES), str(poison), "--cluster",
                                          "local:2"])
    assert result.exit_code == 1, result.output
    assert "3 added" in result.output and "0 unchanged, 1 failed" in result.output
    assert result.output.count("poison.webm") == 1, result.output
    assert "could not be described on the cluster (KilledWorker: 2 workers died" in (
        result.output)
    assert dying_workers.deaths(markers, FILES[1].name) == 1
    # allowed-failures 1: given up after 2 deaths (or 1, beside mdn_friday's), then 2 alone
    assert dying_workers.deaths(markers, poison.name) in (3, 4)
    with Library.create(tmp_path / "serial") as lib:
        lib.add(FILES)
    with Library.open(tmp_path / "cluster") as a, Library.open(tmp_path / "serial") as b:
        refs_a, refs_b = (sorted(x.videos(), key=lambda r: r.video_id) for x in (a, b))
        assert [(r.video_id, r.content_hash, r.n_frames) for r in refs_a] == [
            (r.video_id, r.content_hash, r.n_frames) for r in refs_b]
        for x, y in zip(refs_a, refs_b, strict=True):
            (tx, vx), (ty, vy) = a.store.frames(x.key), b.store.frames(y.key)
            assert np.array_equal(tx, ty) and np.abs(vx - vy).max() < 2e-3
