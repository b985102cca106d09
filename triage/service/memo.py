"""A small thread-safe memo: LRU-bounded, single-flight, and aware of which inputs an entry was computed from.

Keys are tuples `(scope, signature, *rest)`. Storing an entry drops every entry of the same scope with another
signature, so stale pools leave memory as soon as a fresh one is computed, and only the `max_scopes` most
recently used scopes (call-outs) are kept: memory is bounded by that many pools. `Embeddings` keeps query
embeddings, bounded by their size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from triage.service.gc_pause import collector_paused

T = TypeVar("T")
Key = tuple[Hashable, ...]


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class Memo:
    """Remember values by key; concurrent callers of one missing key wait for a single computation."""

    def __init__(self, max_entries: int = 64, max_scopes: int = 4) -> None:
        self.max_entries = max_entries
        self.max_scopes = max_scopes
        self._values: OrderedDict[Key, Any] = OrderedDict()
        self._flights: dict[Key, _Flight] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key, compute: Callable[[], T]) -> T:
        """The remembered value of `key`, computing it once (other callers wait) when it is missing."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return self._values[key]  # type: ignore[no-any-return]
            flight = self._flights.get(key)
            owner = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
                self.misses += 1
        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[no-any-return]
        try:
            with collector_paused():  # a pool's structures are millions of objects: no full collections meanwhile
                flight.value = compute()
        except BaseException as exc:
            # Waiters see the same error; nothing is remembered, so the next request tries again.
            flight.error = exc
            with self._lock:
                del self._flights[key]
            flight.done.set()
            raise
        with self._lock:
            self._store(key, flight.value)
            del self._flights[key]
        flight.done.set()
        return flight.value  # type: ignore[no-any-return]

    def peek(self, key: Key) -> Any:
        """The remembered value of `key`, or None; nothing is computed, and the entry's place in the LRU stays."""
        with self._lock:
            return self._values.get(key)

    def _store(self, key: Key, value: Any) -> None:
        scope, sig = key[0], key[1]
        for old in [k for k in self._values if k[0] == scope and k[1] != sig]:
            del self._values[old]
        self._values[key] = value
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)
        # Pools are the big entries: keep those of the most recently used scopes only.
        scopes = list(dict.fromkeys(k[0] for k in reversed(self._values)))
        for gone in scopes[self.max_scopes:]:
            for old in [k for k in self._values if k[0] == gone]:
                del self._values[old]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    @property
    def in_flight(self) -> int:
        """How many computations are running now."""
        with self._lock:
            return len(self._flights)

    def __len__(self) -> int:
        return len(self._values)


class Embeddings:
    """Query embeddings by key (model names and texts), the least recently used dropped past `max_bytes`.

    Bounded by size, not count: a call-out's words are embedded once for every search that contrasts with them,
    and a curator cycling through dozens of prompts finds each one still here.
    """

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self.max_bytes = max_bytes
        self._values: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept value of `key`, else `compute()` kept. Its size is the bytes of the arrays in it."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return self._values[key][0]  # type: ignore[no-any-return]
            self.misses += 1
        value = compute()  # outside the lock: two callers of one new key may both compute it, to the same value
        size = _nbytes(value)
        with self._lock:
            if key not in self._values and size <= self.max_bytes:
                self._values[key] = (value, size)
                self.bytes += size
                while self.bytes > self.max_bytes:
                    self.bytes -= self._values.popitem(last=False)[1][1]
        return value

    def __len__(self) -> int:
        return len(self._values)


def _nbytes(value: object) -> int:
    if isinstance(value, tuple | list):
        return sum(_nbytes(v) for v in value)
    return int(getattr(value, "nbytes", 0)) + 64
