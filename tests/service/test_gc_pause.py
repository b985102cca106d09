"""The cyclic collector is off while views compute, and back as it was when the last computation ends."""

from __future__ import annotations

import gc
import threading

import pytest

from triage.service.gc_pause import collector_paused
from triage.service.memo import Memo


def test_pauses_nest_and_restore_the_collector() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # off before the pause: stays off
    finally:
        gc.enable()


def test_overlapping_pauses_in_threads_end_with_the_last() -> None:
    inside, release = threading.Event(), threading.Event()

    def long_computation() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=long_computation)
    worker.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread's pause is still on
    release.set()
    worker.join()
    assert gc.isenabled()


def test_a_memo_computes_with_the_collector_off_even_when_it_fails() -> None:
    memo = Memo()
    assert memo.get(("scope", "sig", "x"), gc.isenabled) is False

    def fails() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError):
        memo.get(("scope", "sig", "y"), fails)
    assert gc.isenabled()
