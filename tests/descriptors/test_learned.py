"""The `learned:` backend: a numpy head on a backbone, and libraries that refuse another head."""

import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLIPS, fresh_python
from tests.learn.heads import random_head
from tests.media import decode_frames
from vidtrace.api import Library
from vidtrace.descriptors import create_descriptor
from vidtrace.descriptors.head import Head, HeadConfig
from vidtrace.descriptors.registry import canonical_descriptor
from vidtrace.errors import ConfigError, LibraryError
from vidtrace.settings import DEFAULT_LIBRARY, Resources
from vidtrace.video.borders import prepare_frame


def test_describes_backbone_vectors_through_the_head(tmp_path: Path) -> None:
    head = random_head(0)
    path = head.save(tmp_path / "head.npz")
    d = create_descriptor(f"learned:{path}")
    backbone = create_descriptor("sscd-fast")
    assert d.dim == 64 and d.metric == "ip" and not d.trainable
    assert d.version == f"learned/{backbone.version}/{head.digest}"
    _, frames = decode_frames(CLIPS / "mdn_flower.mp4", 1.0, 288, 512)
    x = np.stack([prepare_frame(f, 224) for f in frames[:3]])
    assert np.allclose(d.describe(x), head.apply(backbone.describe(x)), atol=1e-6)
    fused = create_descriptor(f"learned:{path}*3+pdq")
    assert fused.dim == 64 + 256 and head.digest in fused.version


def test_bad_heads_are_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such head file; train one with `vidtrace train"):
        create_descriptor(f"learned:{tmp_path / 'missing.npz'}")
    with pytest.raises(ConfigError, match=r"write a learned head as learned:PATH\.npz"):
        create_descriptor("learned:")
    wrong_dim = random_head(0, input_dim=256).save(tmp_path / "wrong_dim.npz")
    with pytest.raises(ConfigError, match=r"takes 256-d vectors but sscd-fast gives 512-d; "
                       "train a head for it with `vidtrace train --backbone sscd-fast`"):
        create_descriptor(f"learned:{wrong_dim}")
    h = random_head(0)
    stale = Head(HeadConfig(512, k=3, dim=64, backbone="sscd-fast",
                            backbone_version="sscd_distilled/old/0"), h.arrays)
    path = stale.save(tmp_path / "stale.npz")
    with pytest.raises(ConfigError, match=r"trained on sscd_distilled/old/0 but the installed "
                       r"backbone is .*train it again"):
        create_descriptor(f"learned:{path}")
    on_pdq = Head(HeadConfig(256, k=3, dim=64, backbone="pdq"),
                  random_head(0, input_dim=256).arrays).save(tmp_path / "pdq.npz")
    with pytest.raises(ConfigError, match="must be an inner-product backend that learns "
                       "nothing"):
        create_descriptor(f"learned:{on_pdq}")


def test_library_refuses_another_head(tmp_path: Path) -> None:
    path = random_head(0).save(tmp_path / "head.npz")
    spec = f"learned:{path}"
    folder = tmp_path / "lib"
    settings = DEFAULT_LIBRARY.with_changes(descriptor=spec)
    with Library.create(folder, settings, Resources(threads=1)) as lib:
        [added] = lib.add([CLIPS / "mdn_flower.mp4"])
        assert added.n_frames == 5 and lib.manifest.dim == 64
    # another spec for this library: settings are fixed at creation
    other = random_head(1).save(tmp_path / "other.npz")
    with Library.open(folder) as lib, pytest.raises(
            ConfigError, match="settings apply to new libraries only"):
        lib.settings.refuse_changes({"descriptor": f"learned:{other}"}, str(folder))
    # the head file replaced by another head
    os.replace(other, path)
    with Library.open(folder) as lib, pytest.raises(
            LibraryError, match=rf"{path} now holds head {random_head(1).digest}, not the head "
            rf"{random_head(0).digest} the library was built with: put that head back at this "
            r"path, or rebuild the library with `vidtrace index` into a new folder"):
        lib.add([CLIPS / "mdn_friday_1940.mp4"])


def test_canonical_descriptor_makes_head_paths_absolute(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert canonical_descriptor("sscd") == "sscd"
    assert canonical_descriptor("learned:h.npz") == f"learned:{tmp_path / 'h.npz'}"
    assert canonical_descriptor("learned:h.npz*2+pdq") == f"learned:{tmp_path / 'h.npz'}*2+pdq"


def test_inference_never_imports_torch(tmp_path: Path) -> None:
    """Describing with a head, and loading the CLI, leave torch unimported."""
    path = random_head(0).save(tmp_path / "head.npz")
    code = ("import sys, numpy as np\n"
            "import vidtrace.cli.main\n"
            "from vidtrace.descriptors import create_descriptor\n"
            f"d = create_descriptor('learned:{path}')\n"
            "d.describe(np.zeros((1, 224, 224, 3), np.uint8))\n"
            "print('torch' in sys.modules)\n")
    assert fresh_python(code).strip() == "False"
