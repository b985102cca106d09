"""Every saved index carries a checksum of its bytes, checked on load: a file that still parses but whose
vectors changed (a bad disk, a stray write) is refused, not searched."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from triage.errors import ChecksumMismatch, ProcessingFailed
from triage.vectors import VectorIndex, seal, unseal

DIM = 16


def _index(n: int = 50, exact_max: int = 50_000) -> VectorIndex:
    vectors = np.random.default_rng(1).standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return VectorIndex.build(np.arange(n) + 100, vectors, exact_max=exact_max)


def _flip_a_vector(path: Path) -> None:
    """Change four bytes in the middle of the file, among the vectors: the header stays valid."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4] = np.float32(7.0).tobytes()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("exact_max", [50_000, 20])  # flat and IVF
def test_a_changed_vector_is_caught_on_load(tmp_path: Path, exact_max: int) -> None:
    path = tmp_path / "text.faiss"
    _index(400, exact_max).save(path)
    assert len(VectorIndex.load(path)) == 400
    _flip_a_vector(path)
    assert faiss.read_index(str(path)).ntotal == 400  # FAISS alone reads it as if nothing happened
    with pytest.raises(ChecksumMismatch, match="checksum"):
        VectorIndex.load(path)


def test_an_index_saved_without_a_checksum_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.faiss"
    faiss.write_index(_index()._index, str(path))  # as written before checksums were kept
    with pytest.raises(ChecksumMismatch, match="no checksum"):
        VectorIndex.load(path)
    assert issubclass(ChecksumMismatch, ProcessingFailed)  # callers that rebuild on ProcessingFailed still do


def test_sealed_bytes_round_trip_and_a_change_is_caught() -> None:
    sealed = seal(b"ids of the index")
    assert unseal(sealed, "text.ids.npy") == b"ids of the index"
    with pytest.raises(ChecksumMismatch, match="text.ids.npy"):
        unseal(sealed.replace(b"ids", b"IDS"), "text.ids.npy")
    with pytest.raises(ChecksumMismatch):
        unseal(b"short", "text.ids.npy")
