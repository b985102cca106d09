"""The process-wide model cache: the only mutable global state in triage.

Loading a model costs seconds and hundreds of MB, so each distinct load (family, name and every load
argument) happens once per process and is shared by every caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_models: dict[Hashable, Any] = {}
_lock = threading.RLock()


def get_or_load(key: Hashable, loader: Callable[[], T]) -> T:
    """Return the model cached under `key`, calling `loader()` once to build it if needed."""
    with _lock:
        # Loading under the lock keeps two threads from loading the same weights twice.
        if key not in _models:
            _models[key] = loader()
        return _models[key]  # type: ignore[no-any-return]


def cached_keys() -> list[Hashable]:
    """The keys of every loaded model (for diagnostics and tests)."""
    with _lock:
        return list(_models)


def clear() -> None:
    """Forget every loaded model (tests use this to start clean)."""
    with _lock:
        _models.clear()
