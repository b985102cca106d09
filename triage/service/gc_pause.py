"""Python's cyclic garbage collector paused while a view computes a pool's structures.

Loading, clustering and scoring a pool of 100,000 pieces allocates millions of objects (rows, chunks, items,
phrases). Each time enough new objects pile up, the collector walks every object alive: a cold shortlist of
100,000 pieces spent about 2 s of its 12 in eleven such full collections. Reference counting frees almost everything
made here; the rare cycle waits until the pause ends. Pauses nest and overlap across threads: the collector runs
again when the last one ends, and only if it was running when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.resume = False


_PAUSES = _Pauses()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off (see the module's docstring)."""
    with _PAUSES.lock:
        if _PAUSES.depth == 0:
            _PAUSES.resume = gc.isenabled()
            gc.disable()
        _PAUSES.depth += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.depth -= 1
            if _PAUSES.depth == 0 and _PAUSES.resume:
                gc.enable()
