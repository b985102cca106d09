"""The open_clip path, with a tiny random architecture and a checkpoint file the test writes.

The weights are random: this proves loading, batching and shapes, never the quality of the embeddings.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from triage.encoders import registry

pytestmark = pytest.mark.real_models

TINY = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("tinyclip")
    (folder / "TriageTiny-CLIP.json").write_text(json.dumps(TINY), encoding="utf-8")
    open_clip.add_model_config(folder / "TriageTiny-CLIP.json")
    torch.manual_seed(0)
    model = open_clip.create_model("TriageTiny-CLIP")
    ckpt = folder / "ckpt.pt"
    torch.save(model.state_dict(), ckpt)
    return ckpt


def test_checkpoint_loads_and_embeds_unit_vectors(tiny_checkpoint: Path) -> None:
    enc = registry.image_text_encoder("TriageTiny-CLIP", "", checkpoint=tiny_checkpoint, device="cpu",
                                      batch_size=3)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (40 + i, 50, 3), dtype=np.uint8) for i in range(7)]
    images.append(rng.integers(0, 256, (20, 20), dtype=np.uint8))  # greyscale is accepted too
    vectors = enc.encode_images(images)
    assert vectors.shape == (8, 32) and vectors.dtype == np.float32 and enc.dim == 32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # batching does not change the answer
    assert np.allclose(enc.encode_images(images[:1]), vectors[:1], atol=1e-5)
    texts = enc.encode_texts(["a photo of a lawn", "a song", "x"])
    assert texts.shape == (3, 32) and np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert enc.encode_images([]).shape == (0, 32)


def test_checkpoint_for_another_architecture_is_refused(tiny_checkpoint: Path) -> None:
    from triage.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="Could not load CLIP"):
        registry.image_text_encoder("ViT-S-16", "", checkpoint=tiny_checkpoint, device="cpu")


def test_the_model_loads_once_per_process(tiny_checkpoint: Path) -> None:
    a = registry.image_text_encoder("TriageTiny-CLIP", "", checkpoint=tiny_checkpoint, device="cpu")
    assert registry.image_text_encoder("TriageTiny-CLIP", "", checkpoint=tiny_checkpoint, device="cpu") is a
