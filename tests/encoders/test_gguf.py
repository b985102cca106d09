"""The GGUF reader: settings of each kind, float tensors in PyTorch's order, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.encoders import tiny_gguf
from triage.encoders import gguf
from triage.errors import ModelUnavailable


def test_settings_and_tensors_come_back_as_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tensors = {"a.weight": rng.standard_normal((3, 5)).astype(np.float16),
               "b.bias": rng.standard_normal(7).astype(np.float32),
               "c": rng.standard_normal((2, 3, 4)).astype(np.float32)}
    settings = {"general.name": "tiny", "count": 12, "eps": 0.5, "causal": False, "tokens": ["[CLS]", "\u2581x", "y"]}
    model = gguf.read(tiny_gguf.write(tmp_path / "m.gguf", settings, tensors))
    assert model.settings == settings
    for name, array in tensors.items():
        assert model.tensors[name].dtype == array.dtype and np.array_equal(model.tensors[name], array)


def test_the_alignment_setting_is_respected(tmp_path: Path) -> None:
    tensors = {"t": np.arange(10, dtype=np.float32)}
    path = tiny_gguf.write(tmp_path / "m.gguf", {"general.alignment": 64}, tensors, alignment=64)
    assert np.array_equal(gguf.read(path).tensors["t"], tensors["t"])


@pytest.mark.parametrize("damage, message", [
    (lambda raw: b"GGML" + raw[4:], "not a GGUF file"),
    (lambda raw: raw[:40], "ends inside its header"),
    (lambda raw: raw[:-8], "runs past the end"),
    (lambda raw: b"", "the file is empty"),
])
def test_damaged_files_are_refused_with_the_reason(tmp_path: Path, damage: object, message: str) -> None:
    path = tiny_gguf.write(tmp_path / "m.gguf", {"general.name": "x"}, {"t": np.ones((4, 4), np.float32)})
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(ModelUnavailable, match=message):
        gguf.read(path)


def test_a_zero_alignment_is_refused(tmp_path: Path) -> None:
    path = tiny_gguf.write(tmp_path / "m.gguf", {"general.alignment": 0}, {"t": np.ones(4, np.float32)}, alignment=1)
    with pytest.raises(ModelUnavailable, match="alignment"):
        gguf.read(path)


def test_quantised_tensors_are_refused_not_misread(tmp_path: Path) -> None:
    path = tiny_gguf.write(tmp_path / "m.gguf", {}, {"t": np.ones(32, np.float32)}, tensor_kinds={"t": 8})
    with pytest.raises(ModelUnavailable, match="quantised"):
        gguf.read(path)
