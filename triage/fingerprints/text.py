"""Text fingerprints: MinHash over character shingles of normalised words."""

from __future__ import annotations

import unicodedata

import numpy as np

_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u02bc\u2018`\u00b4"), None)
_SHINGLE_CHARS = 5
_EMPTY_MINHASH = np.uint64(0xFFFFFFFF)  # datasketch's value for "no shingle seen"


def normalize_text(text: str) -> str:
    """Unicode NFKC, case-folded, apostrophes dropped, other punctuation and symbols as spaces, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in folded)
    return " ".join(kept.split())


def text_shingles(text: str, size: int = _SHINGLE_CHARS) -> set[str]:
    """Character n-grams of the normalised text (a text shorter than n is one shingle)."""
    norm = normalize_text(text)
    if len(norm) <= size:
        return {norm} if norm else set()
    return {norm[i:i + size] for i in range(len(norm) - size + 1)}


def text_minhash(text: str, num_perm: int = 128) -> np.ndarray:
    """MinHash signature (uint64 array of num_perm values) of the text's character 5-gram shingles.

    Character shingles, not word shingles: one typo breaks up to three word 3-grams but only five short
    character ones, so retyped and lightly edited copies keep a high estimated Jaccard.
    """
    from datasketch import MinHash

    sketch = MinHash(num_perm=num_perm, seed=1)
    sketch.update_batch([s.encode("utf-8") for s in sorted(text_shingles(text))])
    return np.asarray(sketch.hashvalues, dtype=np.uint64).copy()


def minhash_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity (0..1) of two MinHash signatures; 0 when either text was empty."""
    a = np.asarray(a, dtype=np.uint64)
    b = np.asarray(b, dtype=np.uint64)
    if a.shape != b.shape or len(a) == 0:
        raise ValueError(f"MinHash signatures differ in length ({len(a)} vs {len(b)}); use one num_perm")
    if bool((a == _EMPTY_MINHASH).all()) or bool((b == _EMPTY_MINHASH).all()):
        return 0.0
    return float(np.mean(a == b))
