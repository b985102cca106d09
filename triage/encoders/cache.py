"""The process-wide model cache: the only mutable global state in triage.

Loading a model costs seconds and hundreds of MB, so each distinct load (family, name and every load
argument) happens once per process and is shared by every caller. A long-running process may unload the models
nobody used for a while (`unload_idle`, `watch`); callers that hold a `Reloading` handle instead of the model
get it loaded again on their next call. A model in the middle of a call is never unloaded.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class _Entry:
    model: Any
    last_used: float  # _clock() of the last fetch or the end of the last call
    users: int = 0  # calls running on it now (see `in_use`)


_models: dict[Hashable, _Entry] = {}
_lock = threading.RLock()
_calls = threading.local()  # .held: the entries fetched inside this thread's innermost `in_use` block
_clock = time.monotonic  # tests move time on by replacing this
_watcher: _Watcher | None = None


def get_or_load(key: Hashable, loader: Callable[[], T]) -> T:
    """Return the model cached under `key`, calling `loader()` once to build it if needed."""
    with _lock:
        # Loading under the lock keeps two threads from loading the same weights twice.
        entry = _models.get(key)
        if entry is None:
            entry = _models[key] = _Entry(loader(), _clock())
        entry.last_used = _clock()
        held = getattr(_calls, "held", None)
        if held is not None:
            entry.users += 1
            held.append(entry)
        return entry.model  # type: ignore[no-any-return]


@contextmanager
def in_use() -> Iterator[None]:
    """Every model fetched with `get_or_load` inside the block stays loaded until the block ends."""
    outer = getattr(_calls, "held", None)
    held: list[_Entry] = []
    _calls.held = held
    try:
        yield
    finally:
        _calls.held = outer
        with _lock:
            now = _clock()
            for entry in held:
                entry.users -= 1
                entry.last_used = now  # a long call ends now: idle time counts from here


def unload_idle(idle_s: float) -> list[Hashable]:
    """Forget the models unused for `idle_s` seconds or more and not in a call now; their memory goes back once
    no caller holds them (a `Reloading` handle does not). Returns their keys."""
    now = _clock()
    with _lock:
        gone = [k for k, e in _models.items() if e.users == 0 and now - e.last_used >= idle_s]
        for key in gone:
            del _models[key]
    if gone:
        gc.collect()  # models hold reference cycles (torch modules): free them now, not at some later collection
        torch = sys.modules.get("torch")  # only when a model brought it in: importing torch costs seconds
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
        log.info("unloaded %d model(s) idle for %.0f s or more: %s", len(gone), idle_s, gone)
    return gone


def watch(idle_s: float) -> None:
    """Unload models idle for `idle_s` seconds from now on, in a daemon thread (one per process: a second call
    with another time changes the time)."""
    global _watcher
    with _lock:
        if _watcher is not None and _watcher.is_alive():
            _watcher.idle_s = idle_s
            return
        _watcher = _Watcher(idle_s)
    _watcher.start()


def stop_watching() -> None:
    """Stop the watcher thread, if one runs (tests)."""
    global _watcher
    with _lock:
        watcher, _watcher = _watcher, None
    if watcher is not None:
        watcher.stopped.set()
        watcher.join(5)


class _Watcher(threading.Thread):
    def __init__(self, idle_s: float) -> None:
        super().__init__(name="triage-model-unloader", daemon=True)
        self.idle_s = idle_s
        self.stopped = threading.Event()

    def run(self) -> None:
        # A model unloads at most a quarter of its idle time late (a minute at most), at little cost.
        while not self.stopped.wait(max(1.0, min(60.0, self.idle_s / 4))):
            try:
                unload_idle(self.idle_s)
            except Exception:  # the watcher must outlive one bad unload; the next round tries again
                log.exception("unloading idle models failed")


class Reloading:
    """A model the cache may unload while idle. Each call fetches it through `load` (a registry factory: the
    cached model, or its weights loaded again) and holds it for the call's length; its plain attributes (name,
    device, dim) are read once, so naming a model never loads it."""

    FACTS = ("name", "device", "dim", "max_tokens")

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load = load
        with in_use():
            model = load()
        self._facts = {name: getattr(model, name) for name in self.FACTS if hasattr(model, name)}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # our own fields before __init__ set them (copy, pickle): not the model's
            raise AttributeError(name)
        if name in self._facts:
            return self._facts[name]
        with in_use():
            found = getattr(self._load(), name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            with in_use():
                return getattr(self._load(), name)(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        return f"Reloading({self._facts.get('name', '?')})"


def cached_keys() -> list[Hashable]:
    """The keys of every loaded model (for diagnostics and tests)."""
    with _lock:
        return list(_models)


def clear() -> None:
    """Forget every loaded model (tests use this to start clean)."""
    with _lock:
        _models.clear()
