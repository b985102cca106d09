"""Several text encoders as one embedding space (the setting "model-a+model-b").

Each model's unit vector is scaled by sqrt(its dim / all dims) and the parts are laid side by side. The result
has unit length, and its cosine is the mean of the models' cosines weighted by their dimensions, so everything
downstream (scoring, FAISS, clusters) uses the pair as if it were one model. Two models that err on different
pieces rank more evenly together than either alone (benchmarks/RESULTS.md, "Session 9").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from triage.encoders.base import TextEncoder


class JoinedTextEncoder:
    """TextEncoder whose vectors are the weighted concatenation of its parts' vectors."""

    def __init__(self, parts: Sequence[TextEncoder]) -> None:
        if len(parts) < 2:
            raise ValueError("a joined text encoder needs at least two models")
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts)
        self.device = self.parts[0].device
        self.dim = sum(p.dim for p in self.parts)
        self.max_tokens = min(p.max_tokens for p in self.parts)
        self._scales = [np.float32(np.sqrt(p.dim / self.dim)) for p in self.parts]

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit rows: each part's unit rows, scaled, side by side."""
        return self._join([part.encode(texts) for part in self.parts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Each part embeds the queries its own way (an asymmetric model with its query prefix)."""
        return self._join([part.encode_queries(texts) for part in self.parts])

    def _join(self, blocks: list[np.ndarray]) -> np.ndarray:
        scaled = [block * scale for block, scale in zip(blocks, self._scales, strict=True)]
        return np.ascontiguousarray(np.hstack(scaled), dtype=np.float32)
