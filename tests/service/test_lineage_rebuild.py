"""A rebuild shared out (as on Ray) finds what the local rebuild finds: every share builds the archive piece by
piece as the local rebuild does, and matches its own pieces only."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.lineage.helpers import melody, place
from triage.lineage import words
from triage.lineage.landmarks import find_peaks
from triage.lineage.sound_index import SoundIndex
from triage.lineage.types import Reuse, ReuseKind
from triage.service import lineage_update
from triage.service.lineage_prints import Prints
from triage.service.lineage_update import Archive, _add, as_rebuilt, match, match_share


def _text(sha: str, text: str) -> Prints:
    return Prints(sha, None, None, text, [words.text_words(text)])


def _sound(sha: str, audio: np.ndarray) -> Prints:
    return Prints(sha, find_peaks(audio), None, None, [])


def _archive() -> list[Prints]:
    """Texts that quote a public passage and each other, between tunes that reuse each other's sound."""
    rng = random.Random(3)
    vocab = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi") for b in ("dor", "fin", "gal", "hem")]

    def filler(n: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n))

    public = filler(40)
    tune = melody(12.0, seed=5)
    prints = [_sound("tune", tune)]
    for i in range(8):
        prints.append(_text(f"text{i}", f"{filler(30)} {public} {filler(30)}"))
        if i % 3 == 0:
            prints.append(_sound(f"remix{i}", place(14.0, (2.0 + i / 4, tune[16000 * i // 2:16000 * (i // 2 + 6)]))))
    prints.append(_text("sequel", f"{filler(20)} {prints[1].written} {filler(20)}"))
    return prints


def _everything(prints: list[Prints], shares: int) -> dict[int, list[Reuse]]:
    return {number: found for share in range(shares) for number, found in match_share(prints, share, shares).items()}


@pytest.mark.parametrize("max_postings", [words.MAX_POSTINGS, 3])
def test_shares_find_what_one_rebuild_finds(monkeypatch: pytest.MonkeyPatch, max_postings: int) -> None:
    # A tail merged every few texts, and (in the second case) the public passage a stock phrase once 3 texts hold
    # it in one part of the index: whether a text finds it depends on when the merges happened.
    monkeypatch.setattr(words, "TAIL_POSTINGS", 100)
    monkeypatch.setattr(words.WordIndex.__init__, "__defaults__", ((), max_postings, words.MIN_WORDS))
    prints = _archive()
    alone = _everything(prints, 1)
    assert set(alone) == set(range(len(prints)))
    kinds = {r.kind for found in alone.values() for r in found}
    assert kinds == {ReuseKind.AUDIO, ReuseKind.TEXT}
    for shares in (2, 3):
        assert _everything(prints, shares) == alone


def test_an_older_piece_finding_a_newer_one_is_searched_the_way_a_rebuild_searches() -> None:
    """At ingest a piece is matched against the whole archive, newer pieces too (they may have been matched before
    it was ready). An older piece's search finding a newer one is the matcher looking the wrong way round (it finds
    an excerpt of an indexed piece inside the query): what counts is the newer piece's search for the older one, as
    a rebuild (oldest first) makes it."""
    tune = melody(12.0, seed=5)
    older, newer = _sound("older", tune), _sound("newer", tune[16000 * 3:16000 * 8])  # newer: 5 s of older
    archive = Archive()
    _add(archive, newer)
    wrong_way = match(archive, older)
    assert [(r.source, r.user) for r in wrong_way] == [("newer", "older")]  # the excerpt "inside" the older piece
    order = {"older": 0, "newer": 1}
    found = as_rebuilt(older, wrong_way, order, lambda shas: {sha: {"newer": newer}[sha] for sha in shas})
    assert [(r.source, r.user, r.kind) for r in found] == [("older", "newer", ReuseKind.AUDIO)]
    assert found[0].source_span.start == pytest.approx(3.0, abs=0.5) and found[0].source_span.end == pytest.approx(
        8.0, abs=0.5)
    rebuilt = Archive()
    _add(rebuilt, older)
    assert [(r.source, r.user, r.source_span) for r in match(rebuilt, newer)] == [
        (r.source, r.user, r.source_span) for r in found]
    # a piece's search finding only older pieces is left as it was
    assert as_rebuilt(newer, found, order, lambda shas: {}) == found


def test_a_share_keeps_big_sound_postings_in_its_temp_dir_with_the_same_answers(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A share of a rebuild runs on a Ray worker: its sound index is given that machine's temp dir for its sorted
    postings once big (the spilled index's lookups equal the in-memory one's: tests/lineage/test_sound_runs.py), finds
    what one rebuild finds, and leaves nothing there."""
    prints = _archive()
    alone = _everything(prints, 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folders: list[Path | None] = []

    class Recorded(SoundIndex):
        def __init__(self, *args: Any, folder: Path | None = None, **kwargs: Any) -> None:
            folders.append(folder)
            super().__init__(*args, folder=folder, **kwargs)
            (self._folder or tmp_path).mkdir(parents=True, exist_ok=True)  # as a spill would make it

    monkeypatch.setattr(lineage_update, "SoundIndex", Recorded)
    assert _everything(prints, 2) == alone
    assert folders == [tmp_path / "triage-lineage-sound"] * 2
    assert list((tmp_path / "triage-lineage-sound").iterdir()) == []
