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
    assert enc.name == registry.image_text_encoder_name("TriageTiny-CLIP", "", tiny_checkpoint)


def test_checkpoint_for_another_architecture_is_refused(tiny_checkpoint: Path) -> None:
    from triage.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="Could not load CLIP"):
        registry.image_text_encoder("ViT-S-16", "", checkpoint=tiny_checkpoint, device="cpu")


def test_the_model_loads_once_per_process(tiny_checkpoint: Path) -> None:
    a = registry.image_text_encoder("TriageTiny-CLIP", "", checkpoint=tiny_checkpoint, device="cpu")
    assert registry.image_text_encoder("TriageTiny-CLIP", "", checkpoint=tiny_checkpoint, device="cpu") is a


def test_tensor_preprocessing_matches_open_clips_pil_transform() -> None:
    # On the GPU the frames are resized there (triage/encoders/pixels.py); it must give the model the same input.
    import open_clip
    import torch
    from PIL import Image

    from triage.encoders.pixels import as_rgb, preprocess, tensor_steps

    _, _, transform = open_clip.create_model_and_transforms("ViT-B-32")
    steps = tensor_steps(transform)
    assert steps is not None
    rng = np.random.default_rng(1)
    # smooth pictures of several sizes (two of one size, as a video's frames), greyscale and RGBA among them
    sizes = [(384, 512, 3), (384, 512, 3), (512, 288, 3), (100, 60), (240, 320, 4)]
    images = [np.asarray(Image.fromarray(rng.integers(0, 256, (s[0] // 16, s[1] // 16, *s[2:]), dtype=np.uint8))
                         .resize((s[1], s[0]), Image.Resampling.BILINEAR)) for s in sizes]
    ours = preprocess(images, steps, "cpu", torch.float32)
    theirs = torch.stack([transform(Image.fromarray(as_rgb(img))) for img in images])
    assert ours.shape == theirs.shape == (5, 3, 224, 224)
    # PIL resizes in 8-bit steps, torchvision in floats: about a third of a grey level apart on average
    assert float((ours - theirs).abs().mean()) < 0.01


def test_a_resize_mode_torchvision_cannot_run_on_tensors_keeps_pil() -> None:
    import open_clip

    from triage.encoders.pixels import tensor_steps

    _, _, transform = open_clip.create_model_and_transforms("ViT-B-32", image_resize_mode="longest")
    assert tensor_steps(transform) is None


def test_the_tensor_path_gives_the_embeddings_of_the_pil_path(tiny_checkpoint: Path) -> None:
    from triage.encoders.clip import OpenClipEncoder
    from triage.encoders.pixels import tensor_steps

    enc = OpenClipEncoder("TriageTiny-CLIP", tiny_checkpoint, {}, label="tiny", device="cpu", batch_size=4)
    rng = np.random.default_rng(2)
    images = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(5)]
    images.append(rng.integers(0, 256, (30, 30), dtype=np.uint8))
    with_pil = enc.encode_images(images)
    enc._tensor_steps = tensor_steps(enc._transform)  # what a CUDA encoder does
    with_tensors = enc.encode_images(images)
    assert np.min(np.sum(with_pil * with_tensors, axis=1)) > 0.999
