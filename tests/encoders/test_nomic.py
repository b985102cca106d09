"""nomic-bert run from GGUF weights: tokenizer, masking, rotary positions, query and document prefixes.

A small random model exercises the code; the real nomic-embed-text-v1.5 is checked against llama.cpp's own
embeddings of the same texts (test_real_model_matches_llama_cpp).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.encoders import tiny_gguf
from triage.encoders import nomic, registry, split_bundle
from triage.errors import ModelUnavailable


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_gguf.nomic_bert(tmp_path_factory.mktemp("nomic") / "tiny-nomic.gguf")


def test_llama_cpp_vocabulary_is_spelled_back_as_wordpiece() -> None:
    vocab = nomic.wordpiece_vocab(tiny_gguf.vocabulary())
    assert {"[PAD]", "[CLS]", "[SEP]", "[UNK]", "cat", "run", "##s", "##ning", "_", ":"} <= set(vocab)
    tokenizer = nomic.bert_tokenizer(vocab, max_tokens=8)
    tokens = tokenizer.encode("search_query: The Cats running").tokens
    assert tokens == ["[CLS]", "search", "_", "query", ":", "the", "cat", "[SEP]"]  # lower-cased, truncated to 8


def test_rotary_positions_make_attention_depend_on_distance_only() -> None:
    import torch

    rng = np.random.default_rng(0)
    q, k = (torch.tensor(rng.standard_normal(8), dtype=torch.float32) for _ in range(2))
    cos, sin = nomic.rotary_tables(40, 8, 1000.0, "cpu", torch.float32)

    def score(m: int, n: int) -> float:
        return float(nomic.rotate(q, cos[m], sin[m]) @ nomic.rotate(k, cos[n], sin[n]))

    assert score(3, 7) == pytest.approx(score(20, 24), abs=1e-4)
    assert score(3, 7) != pytest.approx(score(3, 12), abs=1e-3)


def test_vectors_are_unit_rows_and_padding_changes_nothing(tiny_model: Path) -> None:
    encoder = nomic.NomicEncoder(tiny_model, label="tiny")
    texts = ["the cat sat", "a dog ran far on the mat and the cat ran", "", "dog"]
    batch = encoder.encode(texts)
    assert batch.shape == (4, 16) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(batch, alone, atol=1e-5)  # shorter texts padded in a batch embed as they do alone
    assert encoder.encode([]).shape == (0, 16)


def test_queries_and_documents_carry_different_prefixes(tiny_model: Path) -> None:
    encoder = nomic.NomicEncoder(tiny_model, label="tiny")
    document, query = encoder.encode(["the cat sat"]), encoder.encode_queries(["the cat sat"])
    assert float((document * query).sum()) < 0.9999


def test_the_registry_loads_a_gguf_path_under_the_name_it_predicts(tiny_model: Path) -> None:
    encoder = registry.text_encoder(str(tiny_model), device="cpu", precision="float32")
    assert isinstance(encoder, nomic.NomicEncoder)
    assert encoder.name == registry.text_encoder_name(str(tiny_model)) == "gguf-tiny-nomic"
    assert registry.text_encoder_name(split_bundle.NOMIC.name) == "gguf-nomic-embed-text-v1.5"
    folder = str(tiny_model.parent)  # a folder holding one GGUF file is that model
    assert registry.text_encoder(folder, device="cpu").name == registry.text_encoder_name(folder)


def test_a_gguf_of_another_architecture_is_refused(tmp_path: Path) -> None:
    path = tiny_gguf.write(tmp_path / "llama.gguf", {"general.architecture": "llama", "tokenizer.ggml.model": "bert",
                                                     "tokenizer.ggml.tokens": ["[CLS]"]}, {})
    with pytest.raises(ModelUnavailable, match="not a nomic-bert model"):
        nomic.NomicEncoder(path, label="llama")


# llama.cpp 0.3.36 (llama-cpp-python, mean pooling), the first twelve dimensions of each unit vector.
LLAMA_CPP = {
    "search_query: Star Trek: starships, Vulcans and Klingons":
        [-0.04805, 0.02578, -0.20279, -0.01464, 0.01659, 0.03118, -0.04172, -0.00948, 0.00502, -0.04864, 0.03097,
         0.07109],
    "search_document: It [being a Vulcan] means to adopt a philosophy, a way of life which is logical.":
        [0.01095, 0.06372, -0.13371, -0.03714, 0.07756, 0.06075, -0.00185, -0.04651, 0.03312, -0.02622, 0.00765,
         0.03708],
    "search_document: " + "Oh, that sound of male ego. You travel halfway across the galaxy and it's still the same "
                          "song. " * 8:
        [-0.01578, 0.01743, -0.18603, -0.04659, 0.02290, 0.06063, 0.00191, -0.00283, -0.01141, 0.00226, -0.04310,
         0.04952],
    "search_document: Naïve café-goers, résumé: ‘quotes’ — and 12,345 numbers!":
        [-0.03288, 0.05209, -0.20260, -0.00840, 0.05043, -0.00880, -0.01079, -0.00621, -0.01848, 0.01818, -0.06371,
         -0.02420],
}


@pytest.mark.real_models
def test_real_model_matches_llama_cpp() -> None:
    encoder = registry.text_encoder(split_bundle.NOMIC.name, device="cpu", precision="float32")
    assert encoder.name == "gguf-nomic-embed-text-v1.5" and encoder.dim == 768
    for prefixed, expected in LLAMA_CPP.items():
        if prefixed.startswith(nomic.QUERY_PREFIX):
            vector = encoder.encode_queries([prefixed.removeprefix(nomic.QUERY_PREFIX)])
        else:
            vector = encoder.encode([prefixed.removeprefix(nomic.DOCUMENT_PREFIX)])
        assert np.allclose(vector[0, :12], expected, atol=5e-4), prefixed
