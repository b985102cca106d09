"""Write small GGUF files for tests: the format's own layout, and a random nomic-bert to run end to end."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

STRING, ARRAY = 8, 9
KINDS = {bool: (7, "<?"), int: (4, "<I"), float: (6, "<f")}


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _value(value: Any) -> tuple[int, bytes]:
    if isinstance(value, str):
        return STRING, _string(value)
    if isinstance(value, list):
        kind = _value(value[0])[0]
        return ARRAY, struct.pack("<IQ", kind, len(value)) + b"".join(_value(v)[1] for v in value)
    kind, fmt = KINDS[type(value)]
    return kind, struct.pack(fmt, value)


def write(path: Path, settings: dict[str, Any], tensors: dict[str, np.ndarray], *,
          tensor_kinds: dict[str, int] | None = None, alignment: int = 32) -> Path:
    """A GGUF v3 file; each tensor is written in its dtype (float32 -> type 0, float16 -> type 1)."""
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(settings))
    for key, value in settings.items():
        kind, raw = _value(value)
        header += _string(key) + struct.pack("<I", kind) + raw
    data = b""
    for name, array in tensors.items():
        kind = (tensor_kinds or {}).get(name, 1 if array.dtype == np.float16 else 0)
        data += bytes(-len(data) % alignment)
        header += _string(name) + struct.pack("<I", array.ndim) + struct.pack(f"<{array.ndim}Q", *array.shape[::-1])
        header += struct.pack("<IQ", kind, len(data))
        data += np.ascontiguousarray(array).tobytes()
    header += bytes(-len(header) % alignment)
    path.write_bytes(header + data)
    return path


WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "far", "search", "query", "document", "_", ":",
         ".", "run", "##s", "##ning"]


def vocabulary() -> list[str]:
    """A BERT-style vocabulary in llama.cpp's spelling: word starts marked with U+2581, no "##"."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return specials + [w[2:] if w.startswith("##") else "\u2581" + w for w in WORDS]


def nomic_bert(path: Path, *, dim: int = 16, heads: int = 2, layers: int = 2, seed: int = 0) -> Path:
    """A randomly initialised nomic-bert GGUF with the layout of nomic-embed-text (float16 weights)."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary()

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float16)

    tensors = {"token_embd.weight": weight(len(vocab), dim), "token_types.weight": weight(2, dim).astype(np.float32),
               "token_embd_norm.weight": np.ones(dim, np.float32), "token_embd_norm.bias": np.zeros(dim, np.float32)}
    for i in range(layers):
        tensors.update({
            f"blk.{i}.attn_qkv.weight": weight(3 * dim, dim), f"blk.{i}.attn_output.weight": weight(dim, dim),
            f"blk.{i}.ffn_up.weight": weight(4 * dim, dim), f"blk.{i}.ffn_gate.weight": weight(4 * dim, dim),
            f"blk.{i}.ffn_down.weight": weight(dim, 4 * dim),
            f"blk.{i}.attn_output_norm.weight": np.ones(dim, np.float32),
            f"blk.{i}.attn_output_norm.bias": np.zeros(dim, np.float32),
            f"blk.{i}.layer_output_norm.weight": np.ones(dim, np.float32),
            f"blk.{i}.layer_output_norm.bias": np.zeros(dim, np.float32)})
    settings = {"general.architecture": "nomic-bert", "nomic-bert.block_count": layers,
                "nomic-bert.embedding_length": dim, "nomic-bert.attention.head_count": heads,
                "nomic-bert.attention.layer_norm_epsilon": 1e-12, "nomic-bert.rope.freq_base": 1000.0,
                "tokenizer.ggml.model": "bert", "tokenizer.ggml.tokens": vocab}
    return write(path, settings, tensors)
