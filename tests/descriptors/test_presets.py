"""Shipped presets: each head file matches its recorded checksum, and `fast` is a learned head
on sscd-fast that libraries record by name."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS
from tests.media import decode_frames
from vidtrace.api import Library
from vidtrace.descriptors import create_descriptor
from vidtrace.descriptors.head import Head
from vidtrace.descriptors.learned import LearnedDescriptor
from vidtrace.descriptors.presets import PRESETS
from vidtrace.descriptors.registry import available_descriptors
from vidtrace.settings import DEFAULT_LIBRARY
from vidtrace.video.borders import prepare_frame


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_shipped_head_matches_its_checksum(name: str) -> None:
    preset = PRESETS[name]
    data = preset.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == preset.sha256
    assert len(data) < 1.5e6  # a small file: the folded map, not the K branches
    head = Head.load(preset.path)
    assert head.digest == preset.sha256[:12]


def test_fast_is_sscd_fast_through_the_shipped_head() -> None:
    d = create_descriptor("fast")
    assert isinstance(d, LearnedDescriptor) and "fast" in available_descriptors()
    backbone = create_descriptor("sscd-fast")
    head = Head.load(PRESETS["fast"].path)
    assert head.config.backbone == "sscd-fast" and d.dim == head.dim == 512
    assert d.version == f"learned/{backbone.version}/{head.digest}"
    _, frames = decode_frames(CLIPS / "mdn_flower.mp4", 1.0, 288, 512)
    x = np.stack([prepare_frame(f, 224) for f in frames[:2]])
    assert np.allclose(d.describe(x), head.apply(backbone.describe(x)), atol=1e-6)


def test_a_library_records_the_preset_by_name(tmp_path: Path) -> None:
    lib = Library.open_or_create(tmp_path / "lib", DEFAULT_LIBRARY.with_changes(
        descriptor="fast"))
    version = lib.manifest.descriptor_version
    lib.close()
    again = Library.open(tmp_path / "lib")
    assert again.settings.descriptor == "fast"
    assert again.manifest.descriptor_version == version and version.startswith("learned/")
    again.close()
