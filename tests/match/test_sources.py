"""What the facade hands the matcher besides vectors (match/sources.py): the query's sound."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from vidtrace.errors import VideoError
from vidtrace.match import sources
from vidtrace.settings import DEFAULT_LIBRARY, AudioMode, QuerySettings


def _store() -> SimpleNamespace:
    return SimpleNamespace(manifest=SimpleNamespace(settings=DEFAULT_LIBRARY), location="lib")


def _sources(mode: AudioMode, path: str | None = "q.mp4"):  # type: ignore[no-untyped-def]
    return sources.sources_for(_store(), QuerySettings(audio=mode), lambda: None, 4, path)  # type: ignore[arg-type]


def test_the_querys_sound_is_decoded_only_when_sound_is_on(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    calls: list[str] = []

    def decode(path: str | Path) -> np.ndarray:
        calls.append(str(path))
        t = np.arange(8000 * 3) / 8000
        return np.sin(2 * np.pi * 700 * t).astype(np.float32)

    monkeypatch.setattr(sources, "decode_audio", decode)
    assert len(_sources(AudioMode.ON).audio) > 0
    assert _sources(AudioMode.ONLY).audio is not None
    assert _sources(AudioMode.OFF).audio is None
    assert _sources(AudioMode.ON, None).audio is None
    assert calls == ["q.mp4", "q.mp4"]


def test_a_query_with_damaged_sound_is_answered_by_its_picture(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    def broken(path: str | Path) -> np.ndarray:
        raise VideoError(path, "its audio cannot be decoded")

    monkeypatch.setattr(sources, "decode_audio", broken)
    assert _sources(AudioMode.ON).audio is None
