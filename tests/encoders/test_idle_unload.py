"""Idle models unload (TRIAGE_MODEL_IDLE_S) and load again on their next use; a model in a call stays loaded."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from triage import runtime
from triage.config import Settings
from triage.encoders import cache
from triage.encoders.fake import FakeTextEncoder

KEY = ("text", "fake", "cpu")


class SlowText(FakeTextEncoder):
    """A fake whose `encode` waits until the test lets it finish: a call that is still running."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.finish = threading.Event(), threading.Event()

    def encode(self, texts: list[str]) -> np.ndarray:
        self.started.set()
        assert self.finish.wait(10), "the test never let the call finish"
        return super().encode(texts)


@pytest.fixture(autouse=True)
def clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_an_idle_model_unloads_and_loads_again_on_its_next_call() -> None:
    loads: list[FakeTextEncoder] = []

    def load() -> FakeTextEncoder:
        loads.append(FakeTextEncoder())
        return loads[-1]

    model = cache.Reloading(lambda: cache.get_or_load(KEY, load))
    assert model.name == "fake-text-256" and model.dim == 256 and len(loads) == 1
    first = model.encode(["a lawn at dusk"])
    assert cache.unload_idle(3600) == []  # used just now
    assert cache.unload_idle(0) == [KEY] and cache.cached_keys() == []
    assert model.name == "fake-text-256" and len(loads) == 1  # naming it loads nothing
    assert np.array_equal(model.encode(["a lawn at dusk"]), first) and len(loads) == 2
    assert cache.cached_keys() == [KEY]


def test_a_model_in_a_call_is_not_unloaded_until_the_call_ends() -> None:
    slow = SlowText()
    model = cache.Reloading(lambda: cache.get_or_load(KEY, lambda: slow))
    done: list[np.ndarray] = []
    call = threading.Thread(target=lambda: done.append(model.encode(["still working"])))
    call.start()
    try:
        assert slow.started.wait(10)
        assert cache.unload_idle(0) == [] and cache.cached_keys() == [KEY]
    finally:
        slow.finish.set()
        call.join(10)
    assert len(done) == 1 and done[0].shape == (1, 256)
    assert cache.unload_idle(0) == [KEY]


def test_the_idle_time_counts_from_the_end_of_the_last_call(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(cache, "_clock", lambda: clock[0])
    model = cache.Reloading(lambda: cache.get_or_load(KEY, FakeTextEncoder))
    clock[0] += 50
    model.encode(["now"])
    clock[0] += 30
    assert cache.unload_idle(60) == []  # 30 s since its last call, though 80 s since it loaded
    clock[0] += 30
    assert cache.unload_idle(60) == [KEY]


def test_the_setting_gives_reloading_models_and_starts_the_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    watched: list[float] = []
    monkeypatch.setattr(cache, "watch", watched.append)
    models = runtime.query_encoders(Settings(text_model="fake", clip_model="fake", model_idle_s=600))
    assert isinstance(models.text, cache.Reloading) and isinstance(models.clip, cache.Reloading)
    assert models.text.encode(["x"]).shape == (1, models.text.dim) and watched == [600, 600]
    plain = runtime.query_encoders(Settings(text_model="fake", clip_model="fake"))
    assert isinstance(plain.text, FakeTextEncoder)  # off by default: the models themselves, never unloaded


def test_the_watcher_unloads_in_the_background() -> None:
    cache.get_or_load(KEY, FakeTextEncoder)
    cache.watch(0.5)
    try:
        cache.watch(0.5)  # one watcher per process, however many models ask for it
        assert sum(t.name == "triage-model-unloader" for t in threading.enumerate()) == 1
        for _ in range(100):
            if not cache.cached_keys():
                break
            threading.Event().wait(0.05)
        assert cache.cached_keys() == []
    finally:
        cache.stop_watching()
