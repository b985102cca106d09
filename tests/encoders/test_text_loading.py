"""Sentence models load with their weights read, not mapped, and straight into bfloat16: the same bits as before."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from triage.encoders import text


class _Opener:
    """Stands in for safetensors' safe_open: records how it was asked to open a file."""

    def __init__(self, knows_pread: bool = True) -> None:
        self.calls: list[dict[str, Any]] = []
        self.knows_pread = knows_pread

    def __call__(self, path: str, framework: str = "pt", device: str = "cpu", **kwargs: Any) -> str:
        if "backend" in kwargs and not self.knows_pread:
            raise TypeError("unexpected keyword argument 'backend'")
        self.calls.append({"device": device, **kwargs})
        return path


def test_loads_read_each_tensor_and_put_the_opener_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import modeling_utils

    opener = _Opener()
    monkeypatch.setattr(modeling_utils, "safe_open", opener)
    with text.weights_read_not_mapped():
        modeling_utils.safe_open("model.safetensors", framework="pt")
        modeling_utils.safe_open("model.safetensors", framework="pt", device="cpu", backend="mmap")
        modeling_utils.safe_open("model.safetensors", framework="pt", device="mps", backend="pread")
    assert modeling_utils.safe_open is opener
    assert opener.calls == [{"device": "cpu", "backend": "pread"}, {"device": "cpu", "backend": "pread"},
                            {"device": "mps", "backend": "pread"}]


def test_a_safetensors_without_pread_maps_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import modeling_utils

    opener = _Opener(knows_pread=False)
    monkeypatch.setattr(modeling_utils, "safe_open", opener)
    with text.weights_read_not_mapped():
        assert modeling_utils.safe_open("model.safetensors", framework="pt") == "model.safetensors"
    assert opener.calls == [{"device": "cpu"}] and modeling_utils.safe_open is opener


def test_the_opener_is_put_back_when_a_load_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import modeling_utils

    opener = _Opener()
    monkeypatch.setattr(modeling_utils, "safe_open", opener)
    with pytest.raises(RuntimeError), text.weights_read_not_mapped():
        raise RuntimeError("bad weights")
    assert modeling_utils.safe_open is opener


@pytest.mark.real_models
def test_bfloat16_vectors_are_the_bits_of_the_float32_model_cast() -> None:
    """The model loaded straight into bfloat16, weights read, gives the vectors of the float32 model loaded mapped
    and cast with `.to(torch.bfloat16)` (how it loaded before), bit for bit."""
    import torch
    from sentence_transformers import SentenceTransformer

    path = text.bundled_path()
    if path is None:
        pytest.skip("all-MiniLM-L6-v2 is not installed")
    ours = text.SentenceEncoder(path, label="minilm", device="cpu", bf16=True)
    cast = SentenceTransformer(str(path), device="cpu", local_files_only=True).to(torch.bfloat16)
    assert next(ours._model.parameters()).dtype == torch.bfloat16
    for name, weight in cast.state_dict().items():
        assert torch.equal(ours._model.state_dict()[name], weight), name
    texts = ["A man is playing a guitar on stage.", "Kids sprint over the sand by the sea.", "one", ""]
    before = np.asarray(cast.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True),
                        dtype=np.float32)
    before /= np.maximum(np.linalg.norm(before, axis=1, keepdims=True), 1e-12)
    assert np.array_equal(ours.encode(texts), before)
