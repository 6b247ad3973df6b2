"""A Dask worker plugin for tests/descriptors/test_cluster.py that kills the worker process
describing chosen files: lost workers on demand, deterministic, no timing.

Installed on every worker (restarted ones too: the scheduler keeps registered plugins), it
wraps the worker's `describe_reference` (descriptors/cluster.py looks it up at call time):

- a file named in `once` is described, then its worker dies before returning the result (the
  first time only, across all workers: a marker file made with O_EXCL decides which call);
- a file named in `always` kills every worker that starts describing it.

Each death is `os._exit`, as abrupt as a killed process: the nanny restarts the worker and the
scheduler counts the death against the tasks that worker held.
"""

import os
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin


class DyingWorkers(WorkerPlugin):
    """Kill the worker describing a file named in `once` (first time only) or in `always`;
    `markers` is a folder all workers see, for the first-time marker and a count of deaths."""

    name = "vidtrace-dying-workers"

    def __init__(self, once: list[str], always: list[str], markers: Path) -> None:
        self.once, self.always, self.markers = set(once), set(always), str(markers)

    def setup(self, worker: Any) -> None:
        from vidtrace.descriptors import cluster

        original = getattr(cluster.describe_reference, "__wrapped__",
                           cluster.describe_reference)
        plugin = self

        def describe(path: Path, *args: Any, **kwargs: Any) -> Any:
            name = Path(path).name
            if name in plugin.always:
                plugin._die(name)
            result = original(path, *args, **kwargs)
            if name in plugin.once and plugin._first(name):
                plugin._die(name)
            return result

        describe.__wrapped__ = original  # type: ignore[attr-defined]
        cluster.describe_reference = describe  # type: ignore[assignment]

    def _first(self, name: str) -> bool:
        try:
            os.close(os.open(Path(self.markers) / f"once-{name}", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return False
        return True

    def _die(self, name: str) -> None:
        with open(Path(self.markers) / f"deaths-{name}", "a") as f:
            f.write(f"{os.getpid()}\n")
        os._exit(70)


def deaths(markers: Path, name: str) -> int:
    """How many workers died describing `name`."""
    path = markers / f"deaths-{name}"
    return len(path.read_text().split()) if path.exists() else 0
