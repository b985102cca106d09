"""Read the settings and float weights of a GGUF file (llama.cpp's model format).

Some text models reach this machine only as GGUF (nomic-embed-text, bundled in gpt4all). This reader covers what
such an embedding model needs: the key/value settings and F32/F16 tensors, memory-mapped. Quantised tensor types
are refused with a clear message rather than decoded wrongly.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import ModelUnavailable

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
TENSOR_DTYPES = {0: np.float32, 1: np.float16}  # GGML type ids of the unquantised float formats
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


@dataclass(frozen=True)
class GGUFModel:
    """A GGUF file's settings and its tensors as numpy arrays in PyTorch's (rows, columns) order."""

    settings: dict[str, Any]
    tensors: dict[str, np.ndarray]


class _Cursor:
    """Little-endian reads from a byte buffer, refusing to run past its end."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("the file ends inside its header")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return bytes(self.take(self.scalar("<Q"))).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind == STRING:
            return self.string()
        if kind == ARRAY:
            item_kind, count = self.scalar("<I"), self.scalar("<Q")
            return [self.value(item_kind) for _ in range(count)]
        if kind not in SCALARS:
            raise ValueError(f"unknown setting type {kind}")
        return self.scalar(SCALARS[kind])


def read(path: Path) -> GGUFModel:
    """Parse `path`; raise ModelUnavailable naming the file when it is not a GGUF file this reader handles."""
    try:
        if path.stat().st_size == 0:
            raise ValueError("the file is empty")
        return _parse(np.memmap(path, dtype=np.uint8, mode="r"))
    except (OSError, ValueError, struct.error) as exc:
        raise ModelUnavailable(f"Could not read the GGUF model {path}: {exc}") from exc


def _parse(raw: np.ndarray) -> GGUFModel:
    cursor = _Cursor(memoryview(raw.data))
    if bytes(cursor.take(4)) != MAGIC:
        raise ValueError("not a GGUF file")
    version = cursor.scalar("<I")
    if version not in (2, 3):
        raise ValueError(f"GGUF version {version} is not supported (2 or 3 are)")
    n_tensors, n_settings = cursor.scalar("<Q"), cursor.scalar("<Q")
    settings = {}
    for _ in range(n_settings):
        key = cursor.string()
        settings[key] = cursor.value(cursor.scalar("<I"))
    infos = []
    for _ in range(n_tensors):
        name = cursor.string()
        dims = [cursor.scalar("<Q") for _ in range(cursor.scalar("<I"))]
        infos.append((name, dims, cursor.scalar("<I"), cursor.scalar("<Q")))
    alignment = int(settings.get("general.alignment", DEFAULT_ALIGNMENT))
    if alignment <= 0:
        raise ValueError(f"its data alignment ({alignment}) is not a positive number")
    start = -(-cursor.pos // alignment) * alignment
    tensors = {}
    for name, dims, kind, offset in infos:
        if kind not in TENSOR_DTYPES:
            raise ValueError(f"tensor {name} is quantised (GGML type {kind}); only F32 and F16 files are supported")
        dtype = np.dtype(TENSOR_DTYPES[kind])
        count = int(np.prod(dims)) if dims else 1
        begin = start + offset
        if begin + count * dtype.itemsize > raw.size:
            raise ValueError(f"tensor {name} runs past the end of the file")
        # GGUF lists the fastest-varying dimension first: reversed, it is numpy's (and PyTorch's) shape.
        tensors[name] = raw[begin:begin + count * dtype.itemsize].view(dtype).reshape(dims[::-1])
    return GGUFModel(settings=settings, tensors=tensors)
