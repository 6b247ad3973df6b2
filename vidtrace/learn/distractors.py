"""Stage 7 (learn): library frames for the frame test (issue 20).

The frame test of `evaluate_frames` searches the anchors of the evaluation pairs; a few hundred
anchors make an easy database that does not show the end-to-end gap between backbones. A
`FrameBank` adds every reference frame of a library of videos, sampled as references are
indexed (every `every_s` seconds), described by the backbone and, when given, the teacher: a
copy frame must then find its moment among all of the library's frames, as a query does. A bank
frame of the right video within the tolerance of the true time counts as a right answer.
"""

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidtrace.descriptors import Descriptor, create_descriptor
from vidtrace.errors import ConfigError, VidtraceError
from vidtrace.fsutil import write_atomic
from vidtrace.learn.pairs import describe_all
from vidtrace.settings import DEFAULT_RUN, RunSettings
from vidtrace.video.borders import prepare_frame
from vidtrace.video.decode import iter_frames

BANK_FORMAT = "vidtrace-frame-bank"
BANK_VERSION = 1

# Called with (stage, done, total): stage "library frames" counts files.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FrameBank:
    """M library frames: `vectors` float32[M, d] by `backbone`, `teacher_vectors` float32[M, e]
    by `teacher` (e = 0 without one), `video_ids` str[M], `times` float64[M] seconds."""

    vectors: np.ndarray
    teacher_vectors: np.ndarray
    video_ids: np.ndarray
    times: np.ndarray
    backbone: str
    teacher: str = ""

    def __post_init__(self) -> None:
        m = len(self.vectors)
        if (self.vectors.ndim != 2 or self.teacher_vectors.ndim != 2
                or len(self.teacher_vectors) != m or self.video_ids.shape != (m,)
                or self.times.shape != (m,)):
            raise ValueError(f"a frame bank needs vectors [M, d], teacher_vectors [M, e], "
                             f"video_ids and times [M]; got {list(self.vectors.shape)}, "
                             f"{list(self.teacher_vectors.shape)}, {list(self.video_ids.shape)}"
                             f", {list(self.times.shape)}")

    def __len__(self) -> int:
        return len(self.vectors)

    def as_teacher(self) -> "FrameBank":
        """The same frames with the teacher's vectors as the backbone's."""
        if not self.teacher:
            raise ConfigError("this frame bank was made without a teacher descriptor")
        m = len(self)
        return FrameBank(self.teacher_vectors, np.zeros((m, 0), np.float32), self.video_ids,
                         self.times, self.teacher)

    def save(self, path: str | Path) -> Path:
        """Write the bank to `path` (.npz, atomically); returns it."""
        meta = {"format": BANK_FORMAT, "version": BANK_VERSION, "backbone": self.backbone,
                "teacher": self.teacher}
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta)), vectors=self.vectors,
                 teacher_vectors=self.teacher_vectors, video_ids=self.video_ids.astype(str),
                 times=self.times)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, buffer.getvalue())
        return out

    @classmethod
    def load(cls, path: str | Path) -> "FrameBank":
        """A bank written by `save`; ConfigError naming the file and the fix."""
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != BANK_FORMAT or meta.get("version") != BANK_VERSION:
                raise ValueError(f"not a {BANK_FORMAT} of version {BANK_VERSION}")
            return cls(data["vectors"].astype(np.float32),
                       data["teacher_vectors"].astype(np.float32), data["video_ids"],
                       data["times"].astype(np.float64), str(meta["backbone"]),
                       str(meta["teacher"]))
        except FileNotFoundError:
            raise ConfigError(f"{p}: no such frame bank; check the path") from None
        except (OSError, ValueError, KeyError, EOFError, AttributeError) as e:
            raise ConfigError(f"{p}: not a readable frame bank ({e}); delete it to make it "
                              "again") from e


def library_frames(files: Sequence[Path], every_s: float = 2.0, backbone: str = "sscd",
                   teacher: str | None = None, settings: RunSettings = DEFAULT_RUN,
                   progress: Progress | None = None) -> FrameBank:
    """The frames of `files` every `every_s` seconds, prepared as the pipeline prepares them
    and described by `backbone` (and `teacher`). Frames without content (zero vectors) are left
    out; unreadable files are skipped."""
    if every_s <= 0:
        raise ConfigError(f"library frames: every_s must be positive, got {every_s}")
    threads = settings.resources.thread_count
    models: list[Descriptor] = [create_descriptor(backbone, threads)]
    if teacher is not None:
        models.append(create_descriptor(teacher, threads))
    s, batch = settings.library, settings.resources.batch_size
    parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = []
    for i, f in enumerate(files):
        try:
            decoded = list(iter_frames(f, 1.0 / every_s, s.short_side, s.max_long_side))
        except VidtraceError:
            decoded = []
        if decoded:
            frames = np.stack([prepare_frame(im, s.input_size, s.crop_borders)
                               for _, im in decoded])
            v = describe_all(models[0], frames, batch)
            t = (describe_all(models[1], frames, batch) if teacher is not None
                 else np.zeros((len(v), 0), np.float32))
            keep = v.any(axis=1)
            parts.append((v[keep], t[keep], Path(f).stem,
                          np.array([ts for ts, _ in decoded], np.float64)[keep]))
        if progress is not None:
            progress("library frames", i + 1, len(files))
    if not parts:
        raise ConfigError("library frames: none of the files could be decoded")
    return FrameBank(np.concatenate([p[0] for p in parts]),
                     np.concatenate([p[1] for p in parts]),
                     np.concatenate([np.full(len(p[0]), p[2]) for p in parts]).astype(str),
                     np.concatenate([p[3] for p in parts]), backbone, teacher or "")
