"""FAISS vector indexes, one per embedding space: float32 unit rows in, cosine scores and int64 ids out.

Small spaces use an exact flat inner-product index. Above `exact_max` vectors the index becomes IVF-Flat:
measured here on clustered data (like real embeddings) IVF reached recall@10 0.997-1.0 where HNSW reached
0.97, it trains in seconds, it supports `remove_ids` (HNSW cannot remove), and an ID selector restricts a
search to one call-out's pool inside FAISS. Indexes are derived data: they can always be rebuilt.

Every saved file ends with the SHA-256 of the bytes before it (`seal`), checked on load: FAISS reads a file whose
vectors were damaged without complaint as long as its header holds. The checksum sits in the same file, so one
atomic rename replaces both together.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from triage.errors import ChecksumMismatch, ConfigError, NotFound, ProcessingFailed

_MIN_NLIST = 16
_MAX_NLIST = 4096
_TRAIN_PER_LIST = 64  # k-means sample per list: enough for stable centroids, keeps 1M builds in seconds
_SEAL = b"\ntriage-sha256:"  # then 64 hex digits: the trailer of every saved file
_TRAILER = len(_SEAL) + 64
_CHUNK = 1 << 20


def seal(data: bytes) -> bytes:
    """`data` followed by its checksum, as `unseal` and `VectorIndex.load` expect."""
    return data + _SEAL + hashlib.sha256(data).hexdigest().encode()


def unseal(data: bytes, name: str) -> bytes:
    """The bytes `seal` was given, or ChecksumMismatch (naming the file `name`) when they changed since."""
    body, trailer = data[:-_TRAILER], data[-_TRAILER:]
    _check(trailer, hashlib.sha256(body).hexdigest(), name)
    return body


def _check(trailer: bytes, digest: str, name: str) -> None:
    if len(trailer) != _TRAILER or not trailer.startswith(_SEAL):
        raise ChecksumMismatch(f"{name} has no checksum (saved by an older triage, or cut short)")
    if trailer[len(_SEAL):].decode("ascii", "replace") != digest:
        raise ChecksumMismatch(f"{name} does not match its checksum (damaged on disk)")


def _digest(path: Path, length: int) -> str:
    """The SHA-256 of the first `length` bytes of `path`, read in chunks (an index can be gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while length > 0 and (block := fh.read(min(_CHUNK, length))):
            digest.update(block)
            length -= len(block)
    return digest.hexdigest()


def _seal_file(path: Path) -> None:
    """Append the checksum of everything in `path` to it."""
    digest = _digest(path, path.stat().st_size)
    with open(path, "ab") as fh:
        fh.write(_SEAL + digest.encode())


def _check_file(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - _TRAILER))
        trailer = fh.read()
    _check(trailer, _digest(path, size - _TRAILER) if size >= _TRAILER else "", str(path))


def set_threads(threads: int | None) -> None:
    """Hold FAISS to `threads` cores in this process (None leaves it be)."""
    if threads is not None:
        if threads < 1:
            raise ConfigError(f"threads must be at least 1, got {threads}")
        faiss.omp_set_num_threads(int(threads))  # process-wide in FAISS; the caller decides


def _nlist_for(n: int) -> int:
    # ~sqrt(n) lists keeps both the coarse search and each list scan short.
    return int(min(_MAX_NLIST, max(_MIN_NLIST, round(math.sqrt(n)))))


def _nprobe_for(nlist: int) -> int:
    # 1/16 of the lists, at least 32 (benchmarks/bench_search.py, clustered data, 2 busy cores): at 1M x 512
    # (nlist 1000) 62 probes gave recall@10 1.000 at p95 23 ms where 125 gave the same recall at 120 ms;
    # at 100k (nlist 316) 39 probes gave 0.973, 19 gave 0.953. Queries between clusters (a prompt sitting
    # in CLIP's text/image gap) need the floor more than queries near the data.
    return int(min(nlist, max(32, nlist // 16)))


def _as_ids(ids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids).reshape(-1), dtype=np.int64)


def _empty_results(nq: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((nq, k), -np.inf, dtype=np.float32), np.full((nq, k), -1, dtype=np.int64)


def exact_search(
    matrix: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force top-k by inner product in numpy: the reference for tests and the path for tiny pools."""
    matrix = np.asarray(matrix, dtype=np.float32)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    ids = _as_ids(ids)
    scores, out_ids = _empty_results(len(queries), k)
    take = min(k, len(ids))
    if take == 0:
        return scores, out_ids
    sims = queries @ matrix.T
    top = np.argpartition(-sims, take - 1, axis=1)[:, :take]
    top_scores = np.take_along_axis(sims, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    scores[:, :take] = np.take_along_axis(top_scores, order, axis=1)
    out_ids[:, :take] = ids[np.take_along_axis(top, order, axis=1)]
    return scores, out_ids


class VectorIndex:
    """A searchable set of (id, unit vector) pairs for one embedding space."""

    kind: str  # "flat" (exact) or "ivf" (approximate, above exact_max vectors)

    def __init__(self, dim: int, *, exact_max: int = 50_000, threads: int | None = None) -> None:
        if dim < 1:
            raise ConfigError(f"vector dimension must be positive, got {dim}")
        set_threads(threads)
        self.dim = int(dim)
        self.exact_max = int(exact_max)
        # faiss' SWIG objects are typed loosely (keyword constructors, downcast attributes): Any it is
        self._index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        self.kind = "flat"

    @classmethod
    def build(
        cls, ids: np.ndarray, vectors: np.ndarray, *, exact_max: int = 50_000, threads: int | None = None
    ) -> VectorIndex:
        """An index holding these vectors, of the kind their number calls for."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-d array, got shape {vectors.shape}")
        index = cls(vectors.shape[1], exact_max=exact_max, threads=threads)
        index.add(ids, vectors)
        return index

    @property
    def nprobe(self) -> int:
        """IVF lists scanned per query (0 for an exact index); raise it to trade speed for recall."""
        return int(self._index.nprobe) if self.kind == "ivf" else 0

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self.kind == "ivf":
            self._index.nprobe = int(min(self._index.nlist, max(1, value)))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def outgrown(self) -> bool:
        """An IVF index now holding four times what its lists were sized for or more (sqrt(n) lists): each
        list has grown long and the centroids describe old data, so it should be rebuilt (retrained)."""
        return self.kind == "ivf" and _nlist_for(len(self)) >= 2 * int(self._index.nlist)

    # ------------------------------------------------------------ changes

    def _check_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = _as_ids(ids)
        vectors = np.ascontiguousarray(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
        if vectors.shape[1] != self.dim:
            raise ConfigError(
                f"this index holds {self.dim}-d vectors but got {vectors.shape[1]}-d ones; the embedding "
                "model changed, so rebuild the index"
            )
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("the same id appears twice in one add")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors contain NaN or infinity")
        return ids, vectors

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors (or replace those whose id is already present); may switch to an ANN index."""
        ids, vectors = self._check_vectors(ids, vectors)
        if len(ids) == 0:
            return
        if len(self):
            self.remove(ids)
        if self.kind == "flat" and len(self) + len(ids) > self.exact_max:
            old_ids, old_vectors = self._flat_contents()
            self._become_ivf(np.concatenate([old_ids, ids]), np.concatenate([old_vectors, vectors]))
        else:
            self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> None:
        """Forget these ids; ids not present are ignored."""
        ids = _as_ids(ids)
        if len(ids) and len(self):
            self._index.remove_ids(faiss.IDSelectorBatch(ids))

    def _flat_contents(self) -> tuple[np.ndarray, np.ndarray]:
        index = self._index
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        vectors = index.index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, self.dim))
        return ids, np.asarray(vectors, dtype=np.float32)

    def _become_ivf(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        nlist = _nlist_for(len(ids))
        quantizer = faiss.IndexFlatIP(self.dim)
        ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.spherical = True  # unit vectors: keep centroids on the sphere
        sample = min(len(vectors), nlist * _TRAIN_PER_LIST)
        rng = np.random.default_rng(0)  # a fixed seed: rebuilding the same data gives the same index
        train = vectors[np.sort(rng.choice(len(vectors), size=sample, replace=False))]
        ivf.train(train)
        ivf.add_with_ids(vectors, ids)
        ivf.nprobe = _nprobe_for(nlist)
        self._index, self.kind = ivf, "ivf"
        self._quantizer = quantizer  # SWIG does not keep the quantizer alive on its own

    # ------------------------------------------------------------ queries

    def search(
        self, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row, best first; -1 ids and -inf scores fill empty slots.

        `allowed` restricts results to those ids (one call-out's pool); the filter runs inside FAISS.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        queries = np.ascontiguousarray(np.atleast_2d(np.asarray(queries, dtype=np.float32)))
        if queries.shape[1] != self.dim:
            raise ConfigError(f"query is {queries.shape[1]}-d but this index holds {self.dim}-d vectors")
        if len(self) == 0 or (allowed is not None and len(allowed) == 0):
            return _empty_results(len(queries), k)
        params = self._search_params(allowed)
        scores, ids = self._index.search(queries, k, params=params)
        scores = np.where(ids >= 0, scores, -np.inf).astype(np.float32)
        return scores, ids.astype(np.int64)

    def _search_params(self, allowed: np.ndarray | None) -> Any:
        if allowed is None:
            return None
        allowed = _as_ids(allowed)
        selector = faiss.IDSelectorBatch(allowed)
        params: Any
        if self.kind == "flat":
            params = faiss.SearchParameters()
        else:
            # A small pool is spread thinly over the lists: probe proportionally more of them so that
            # k allowed neighbours are still found (a pool of 1% ends up scanning all lists).
            share = min(1.0, len(allowed) / max(1, len(self)))
            nprobe = int(min(self._index.nlist, math.ceil(self.nprobe / share)))
            params = faiss.SearchParametersIVF()
            params.nprobe = nprobe
        params.sel = selector
        params._selector = selector  # keep the selector alive as long as the parameters
        return params

    # ------------------------------------------------------------ files

    def save(self, path: Path) -> None:
        """Write atomically, checksum included: a temp file in the same folder, fsync, then rename over `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            faiss.write_index(self._index, tmp_name)
            _seal_file(Path(tmp_name))
            with open(tmp_name, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    @classmethod
    def load(cls, path: Path, *, exact_max: int = 50_000, threads: int | None = None) -> VectorIndex:
        """Read an index written by `save`; ChecksumMismatch when its bytes changed since."""
        path = Path(path)
        if not path.is_file():
            raise NotFound(f"no vector index at {path}; build it first")
        _check_file(path)  # FAISS ignores the trailer after the index
        try:
            raw = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise ProcessingFailed(f"vector index {path} is unreadable ({exc}); delete it and rebuild") from exc
        index = cls(raw.d, exact_max=exact_max, threads=threads)
        if isinstance(raw, faiss.IndexIVFFlat):
            raw.nprobe = raw.nprobe if raw.nprobe > 1 else _nprobe_for(raw.nlist)
            index._index, index.kind = raw, "ivf"
        elif isinstance(raw, faiss.IndexIDMap2) and isinstance(faiss.downcast_index(raw.index), faiss.IndexFlatIP):
            index._index = raw
        else:
            raise ProcessingFailed(f"{path} holds a {type(raw).__name__}, not a triage index; rebuild it")
        return index
