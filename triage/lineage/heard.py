"""Heard words indexed for texts that arrive later: `HeardIndex`, `WordIndex` (words.py) turned round.

A reading (a transcript, the words printed in pictures) uploaded before the text it reads is found when the text
arrives: the text's shingles are looked up among the readings', and each candidate is confirmed by the pairwise
matcher, so what is found is what the reading's own search would have found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from triage.lineage import words
from triage.lineage.types import Reuse
from triage.lineage.words import (
    MAX_POSTINGS,
    MIN_WORDS,
    SHINGLE,
    PieceWords,
    Postings,
    WordIndex,
    shingle_hashes,
    word_tokens,
)


@dataclass(frozen=True)
class _Heard:
    """One form of an indexed piece's words, kept compactly (a transcript of 100,000 pieces must fit in memory):
    its words joined by spaces (a normalised word holds none) and their places as arrays."""

    words: str
    starts: np.ndarray  # float64, as the PieceWords had them
    ends: np.ndarray
    unit: str
    length: float
    form: str

    @classmethod
    def of(cls, piece: PieceWords) -> _Heard:
        return cls(" ".join(piece.words), np.asarray(piece.starts, dtype=np.float64),
                   np.asarray(piece.ends, dtype=np.float64), piece.unit, piece.length, piece.form)

    def piece_words(self) -> PieceWords:
        return PieceWords(tuple(self.words.split(" ")) if self.words else (), tuple(self.starts.tolist()),
                          tuple(self.ends.tolist()), self.unit, self.length, self.form)


class HeardIndex:
    """WordIndex turned round: an inverted index from shingle hash to the pieces whose heard words (a transcript,
    the words printed in pictures) hold it, so a written text that arrives after a reading of it still finds the
    reading. Written texts' own words are not indexed (a text quoting a text is found from the later one's side,
    by WordIndex). A candidate (enough of the text's shingles in one piece) is confirmed by the pairwise matcher
    over every form of the piece's words, so what is found is what the piece's own search (WordIndex.match) finds
    of the text: source = the text (characters), user = the piece (its units).

    Sorted postings plus a sorted tail, as in WordIndex; a shingle in more than max_postings pieces (counted over
    the whole index, so when merges happened changes nothing) is a stock phrase and seeds nothing."""

    def __init__(self, assets: Iterable[str] = (), max_postings: int = MAX_POSTINGS,
                 min_words: int = MIN_WORDS) -> None:
        self.assets = set(assets)
        self.max_postings = max_postings
        self.min_words = min_words
        self._keys: list[str] = []
        self._heard: list[tuple[_Heard, ...]] = []
        self._ids: dict[str, int] = {}
        self._removed: set[int] = set()
        self._main = Postings.empty()
        self._tail = Postings.empty()
        self._pending: list[Postings] = []

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def add(self, key: str, heard: Sequence[PieceWords]) -> None:
        """Index a piece's spoken and printed words (its other forms are kept only to confirm a match as its own
        search would find it); a piece with none is not indexed."""
        if key in self._ids:
            self.remove(key)
        said = [h for h in heard if h.form != "text" and h.words]
        if not said:
            return
        entry = len(self._keys)
        self._keys.append(key)
        self._heard.append(tuple(_Heard.of(h) for h in heard if h.words))
        self._ids[key] = entry
        hashes = np.unique(np.concatenate([shingle_hashes(h.words) for h in said]))  # once per piece: seeds count
        self._pending.append(Postings(hashes, np.full(len(hashes), entry, np.int32),
                                      np.zeros(len(hashes), np.int32)))

    def remove(self, key: str) -> None:
        """Forget a piece (removed, erased): its postings stay until the next merge but never match."""
        entry = self._ids.pop(key, None)
        if entry is not None:
            self._removed.add(entry)
            self._heard[entry] = ()

    def mark_asset(self, key: str) -> None:
        self.assets.add(key)

    def settle(self) -> None:
        """Slot what was added into the tail; merge the tail into the main arrays once it has grown."""
        if self._pending:
            self._tail = self._tail.with_added(self._pending)
            self._pending = []
        if len(self._tail.hashes) > words.TAIL_POSTINGS:  # read when used: tests lower it
            self._main = Postings.concat([self._main, self._tail])
            self._tail = Postings.empty()

    def candidates(self, key: str, text: str) -> list[str]:
        """The indexed pieces (not `key`) holding enough distinct shingles of `text` to hold a long enough passage
        of it, most shared first: the only ones the pairwise matcher is run on."""
        self.settle()
        query = shingle_hashes([w for w, _, _ in word_tokens(text)])
        parts = (self._main, self._tail)
        bounds = [(np.searchsorted(p.hashes, query, side="left"), np.searchsorted(p.hashes, query, side="right"))
                  for p in parts]
        stock = sum((right - left for left, right in bounds), np.zeros(len(query), np.int64)) > self.max_postings
        entries = []
        for part, (left, right) in zip(parts, bounds, strict=True):
            counts = np.where(stock, 0, right - left)
            total = int(counts.sum())
            if total:
                rows = np.repeat(left - np.cumsum(counts) + counts, counts) + np.arange(total)
                entries.append(part.pieces[rows].astype(np.int64))
        if not entries:
            return []
        found = np.concatenate(entries)  # one posting per (piece, query position): a piece's hashes are unique
        found = found[~np.isin(found, np.array([self._ids.get(key, -1), *self._removed], dtype=np.int64))]
        ids, counts = np.unique(found, return_counts=True)
        ranked = sorted(zip(counts.tolist(), ids.tolist(), strict=True), key=lambda c: (-c[0], c[1]))
        return [self._keys[entry] for count, entry in ranked if count >= self.min_words // SHINGLE]

    def match(self, key: str, text: str) -> list[Reuse]:
        """Every passage of the written text `key` found in an indexed piece's heard words, each confirmed by the
        pairwise matcher (as match_pair): for each piece, in the order of its forms, what WordIndex.match finds
        of this text in it. A platform asset (in `assets`) makes nothing."""
        if key in self.assets:
            return []
        chosen = self.candidates(key, text)
        if not chosen:
            return []
        pair = WordIndex(min_words=self.min_words)
        pair.add(key, text)
        found: list[Reuse] = []
        for user in chosen:
            for heard in self._heard[self._ids[user]]:
                found += pair.match(user, heard.piece_words())
        return found
