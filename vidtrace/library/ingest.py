"""Adding reference videos to a store (stage 3, library): check, describe, commit.

Each file is checked (readable, not already stored, its id free), described (here, or in worker
processes with `jobs` > 1: descriptors/parallel.py) and committed in its own catalog
transaction, so an interrupted run keeps every file it finished. A file's soundtrack is
fingerprinted when it is committed (audio/); a file without sound, or whose sound cannot be
decoded, is stored without prints and is then found by its picture only. A trainable descriptor
first learns its state from the files being added. The caller holds the store's write session."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from vidtrace.audio import file_prints
from vidtrace.descriptors.base import Descriptor
from vidtrace.descriptors.describe import Progress, describe_reference, training_frames
from vidtrace.errors import ConfigError, LibraryError, VideoError
from vidtrace.fsutil import file_sha256
from vidtrace.library.store import Store
from vidtrace.settings import Resources
from vidtrace.types import AudioPrints, FrameSet, Reference
from vidtrace.video.reader import check_video_path


class AddStatus(StrEnum):
    """What adding one file did."""

    ADDED = "added"
    UNCHANGED = "unchanged"  # the same content was already in the library


@dataclass(frozen=True)
class AddResult:
    """One file given to `add_files`: its reference id and what was done."""

    path: str
    video_id: str
    status: AddStatus
    duration: float
    n_frames: int


OnError = Callable[[Path, Exception], None]


def add_files(store: Store, descriptor: Descriptor, files: Sequence[Path],
              ids: Sequence[str | None], resources: Resources, on_error: OnError | None = None,
              progress: Callable[[Path], Progress] | None = None, jobs: int = 1,
              cluster: str | None = None) -> list[AddResult]:
    """Add reference video `files` (ids: None = the file name without suffix) to `store`; a
    file whose content is stored already is a no-op. With `on_error`, a file that fails
    (VideoError, LibraryError) is reported to it and skipped; without, the error is raised.
    `progress(path)` gives a per-file seconds callback (with `jobs` > 1 it is called once a
    file is done, with its duration). `cluster` (tcp://HOST:PORT or local:N) describes on a
    Dask cluster instead (descriptors/cluster.py). Call inside `store.writing()`."""
    if jobs < 1:
        raise ConfigError(f"jobs must be 1 or more, got {jobs}")
    if cluster is not None:
        from vidtrace.descriptors.cluster import check_cluster

        check_cluster(cluster)
    if len(ids) != len(files):
        raise ConfigError(f"got {len(files)} files but {len(ids)} ids")
    if not descriptor.ready:
        _learn(store, descriptor, files)
    results: list[AddResult] = []
    todo: list[tuple[Path, str, str]] = []  # path, video id, content hash
    for path, video_id in zip(files, ids, strict=True):
        try:
            checked = _check_new(store, path, video_id)
        except (VideoError, LibraryError) as e:
            if on_error is None:
                raise
            on_error(path, e)
            continue
        if isinstance(checked, AddResult):
            results.append(checked)
        elif cluster is not None or (jobs > 1 and len(files) > 1):
            todo.append((path, *checked))
        else:
            _add_serial(store, descriptor, path, *checked, resources, on_error, progress, results)
    if todo:
        _add_parallel(store, descriptor, todo, resources, on_error, progress, jobs, results,
                      cluster)
    return results


def _add_serial(store: Store, descriptor: Descriptor, path: Path, vid: str, digest: str,
                resources: Resources, on_error: OnError | None,
                progress: Callable[[Path], Progress] | None, results: list[AddResult]) -> None:
    try:
        fs, fine = describe_reference(path, descriptor, store.manifest.settings,
                                      resources.batch_size, vid,
                                      progress(path) if progress else None)
        results.append(_commit(store, path, vid, digest, fs, fine))
    except (VideoError, LibraryError) as e:
        if on_error is None:
            raise
        on_error(path, e)


def _add_parallel(store: Store, descriptor: Descriptor, todo: list[tuple[Path, str, str]],
                  resources: Resources, on_error: OnError | None,
                  progress: Callable[[Path], Progress] | None, jobs: int,
                  results: list[AddResult], cluster: str | None = None) -> None:
    """The describing of `todo` done by `jobs` worker processes, or on the Dask `cluster`;
    each file is checked again just before it is committed (a twin may have come first).
    Results are appended in the order the files finish."""
    from contextlib import closing

    from vidtrace.descriptors.parallel import describe_references

    m, pairs = store.manifest, [(p, vid) for p, vid, _ in todo]
    if cluster is not None:
        from vidtrace.descriptors.cluster import describe_on_cluster

        done = describe_on_cluster(pairs, descriptor, m.descriptor, m.settings,
                                   resources.batch_size, resources.thread_count, cluster)
    else:
        done = describe_references(pairs, descriptor, m.descriptor, m.settings,
                                   resources.batch_size, resources.thread_count,
                                   min(jobs, len(todo)))
    with closing(done):  # raising here stops the workers at once
        for i, outcome in done:
            path, vid, digest = todo[i]
            try:
                if isinstance(outcome, Exception):
                    raise outcome
                checked = _check_new(store, path, vid, digest)
                results.append(checked if isinstance(checked, AddResult)
                               else _commit(store, path, vid, digest, *outcome))
            except (VideoError, LibraryError) as e:
                if on_error is None:
                    raise
                on_error(path, e)
                continue
            if progress:
                progress(path)(results[-1].duration)


def _check_new(store: Store, path: Path, video_id: str | None, digest: str | None = None
               ) -> AddResult | tuple[str, str]:
    """An UNCHANGED AddResult when the content of `path` is in the library already, else
    (video id, content hash); LibraryError when the id is taken by other content."""
    if digest is None:
        checked = check_video_path(path)
        try:
            digest = file_sha256(checked)
        except OSError as e:
            raise VideoError(path, f"cannot be read ({e.strerror or e}); check its "
                             "permissions") from e
    vid = video_id or path.stem
    same = store.find(content_hash=digest)
    if same is not None:
        return AddResult(str(path), same.video_id, AddStatus.UNCHANGED, same.duration,
                         same.n_frames)
    taken = store.find(video_id=vid)
    if taken is not None:
        raise LibraryError(
            f"{path}: id {vid!r} is already used by {taken.path} (other content); "
            "give another id with --id, or remove the old one with `vidtrace remove`")
    return vid, digest


def _commit(store: Store, path: Path, vid: str, digest: str, fs: FrameSet,
            fine: FrameSet | None) -> AddResult:
    lib = store.manifest.settings
    ref = Reference(0, vid, str(path.resolve()), digest, fs.duration, lib.index_fps,
                    store.manifest.descriptor_version, len(fs))
    stored = store.add(ref, fs, fine, _prints(path))
    return AddResult(str(path), vid, AddStatus.ADDED, stored.duration, stored.n_frames)


def _prints(path: Path) -> AudioPrints | None:
    """The audio prints of `path`, or None when it has no sound or its sound is damaged (the
    picture alone is then stored; the video decoded, so the file is not rejected)."""
    try:
        return file_prints(path)
    except VideoError:
        return None


def _learn(store: Store, descriptor: Descriptor, files: Sequence[Path]) -> None:
    """Fit the trainable descriptor on frames of `files` (`training_frames`) and save what it
    learned with the store."""
    frames = training_frames(files, store.manifest.settings)
    if not len(frames):
        raise LibraryError(f"{store.location}: descriptor {store.manifest.descriptor} learns "
                           "its vocabulary from the first references added, and none could "
                           "be decoded; add readable video files")
    descriptor.fit(frames, seed=0)
    store.save_descriptor_state(descriptor)
