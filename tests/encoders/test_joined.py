"""Text models joined into one space ("a+b"), with the fake encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.encoders import registry
from triage.encoders.fake import FakeTextEncoder
from triage.encoders.joined import JoinedTextEncoder
from triage.encoders.text import part_names
from triage.errors import ModelUnavailable

TEXTS = ["a dog in the park", "the dog runs in a park", "taxes are due in april", ""]


def test_vectors_are_unit_and_cosines_are_the_dimension_weighted_mean() -> None:
    small, large = FakeTextEncoder(dim=64), FakeTextEncoder(dim=192)
    joined = JoinedTextEncoder([small, large])
    assert joined.dim == 256 and joined.name == "fake-text-64+fake-text-192"
    v = joined.encode(TEXTS)
    assert v.shape == (4, 256) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-6)
    s, t = small.encode(TEXTS), large.encode(TEXTS)
    assert np.allclose(v @ v.T, (64 * s @ s.T + 192 * t @ t.T) / 256, atol=1e-6)


class _Asymmetric(FakeTextEncoder):
    """A part that embeds queries apart from documents, as nomic does with its prefixes."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode([f"query {t}" for t in texts])


def test_queries_go_to_each_part_as_queries() -> None:
    symmetric, asymmetric = FakeTextEncoder(dim=64), _Asymmetric(dim=64)
    joined = JoinedTextEncoder([symmetric, asymmetric])
    queries, documents = joined.encode_queries(TEXTS[:2]), joined.encode(TEXTS[:2])
    scale = np.sqrt(0.5)
    assert np.allclose(queries[:, :64], documents[:, :64])  # the symmetric part embeds both alike
    assert np.allclose(queries[:, 64:], asymmetric.encode_queries(TEXTS[:2]) * scale, atol=1e-6)
    assert not np.allclose(queries[:, 64:], documents[:, 64:])


def test_max_tokens_is_the_smallest_part() -> None:
    joined = JoinedTextEncoder([FakeTextEncoder(max_tokens=128), FakeTextEncoder(max_tokens=512)])
    assert joined.max_tokens == 128


def test_one_model_is_not_a_join() -> None:
    with pytest.raises(ValueError):
        JoinedTextEncoder([FakeTextEncoder()])


def test_setting_names_split_on_plus() -> None:
    assert part_names("all-MiniLM-L6-v2 + all-mpnet-base-v2") == ["all-MiniLM-L6-v2", "all-mpnet-base-v2"]
    assert part_names("/models/my folder") == ["/models/my folder"]


def test_registry_joins_and_reports_the_missing_part(tmp_path: Path) -> None:
    joined = registry.text_encoder("fake+fake", models_dir=tmp_path)
    assert joined.dim == 512 and joined.encode(["x"]).shape == (1, 512)
    with pytest.raises(ModelUnavailable, match="no-such-model"):
        registry.text_encoder("fake+no-such-model", models_dir=tmp_path)
