"""Reuse of words: a written text's passage quoted in another piece's text, spoken in its transcript, or printed in
its pictures, found through an inverted index of word shingles and located on both sides.

Only written texts are sources (WordIndex indexes them), so the source of a words match is always a text piece: two
people reading the same public text aloud share words with it, not with each other (spoken-to-spoken matches cannot
arise). Platform assets are indexed like any text; what a piece takes from one is masked before any other match and
makes no edge. HeardIndex is the same search turned round, over pieces' spoken and printed words, so a text that
arrives after a reading of it finds the reading, and the match is the one the reading would have found.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from triage.domain import Transcript
from triage.fingerprints.text import normalize_text
from triage.lineage.types import Reuse, ReuseKind, Span
from triage.media.ocr import OcrLine
from triage.media.ocr_frames import ocr_text
from triage.numbers import spell
from triage.timefmt import clock

SHINGLE = 3  # words per shingle: one misheard or misread word breaks three shingles, so seeds survive an error in ~5
# The shortest passage that is evidence, in words of B inside shared shingles. Measured by
# benchmarks/bench_lineage_words.py --chance over all 180 million ordered pairs of Debian's 13,431 fortunes (the
# texts of /work/shared/eval): unrelated texts share set phrases of 3-8 words ("for the rest of your life"); 9-13
# words are stock lines many texts carry (an attribution such as "Douglas Coupland, Generation X: Tales for an
# Accelerated Culture", a joke's template "Q: How many lawyers does it take to change a light bulb? A"); 14-19 are
# aphorisms and long citations ("You can fool some of the people all of the time, and all of the people some of the
# time, but you": 18); 20-24 are mostly one famous one-sentence quotation in both ("It doesn't much signify whom one
# marries, for one is sure to find out next morning it was someone else": 20), which two pieces quoting a public line
# share without using each other. From 25 on the pairs read were whole jokes and paragraphs. So 25: a stanza, a
# chorus or a story's paragraph passes; a proverb, an aphorism, a title or a couplet does not.
MIN_WORDS = 25
MAX_GAP = 8  # words between two seeds of one passage: a few ASR or OCR errors in a row still chain
MAX_DRIFT = 3  # words inserted or dropped between two seeds (a "the" added, a line skipped by the reader)
# Extension past the last seed, ungapped: +2 a match, -1 a mismatch, stopped 3 below its best, so one misheard word
# just inside a quote's end is crossed while unrelated words (few match by luck) are not. Measured (bench --errors)
# on 40-word quotes read with 10% word errors: 199/200 found, ends exact (median), within 1.2 s (90th percentile).
X_DROP = 3
MAX_POSTINGS = 1000  # a shingle in more indexed texts than this is a stock phrase: no seed (it still counts inside)
TAIL_POSTINGS = 200_000  # postings in the tail beyond which a search first merges it into the main arrays
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019\u02bc][^\W_]+)*")
_MULT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class PieceWords:
    """A piece's words, normalised, each with where it sits in the piece: character offsets ("chars") in a text or
    a still picture's text, seconds ("s") in a transcript or a video's printed lines."""

    words: tuple[str, ...]
    starts: tuple[float, ...]
    ends: tuple[float, ...]
    unit: str
    length: float  # the whole piece in the same unit, for the share
    form: str  # "text", "speech" or "pictures": how the words are in the piece, for the evidence


def word_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """(normalised word, start, end in `text`): normalize_text per token, so a word's offsets survive it. Numbers
    under 100 are spelled out, so "10" typed and "ten" transcribed agree; larger ones stay one token (a year
    spelled "one thousand nine hundred..." would be five words that no speaker says, inflating every match)."""
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        if raw.isascii() and not (raw.isdigit() and int(raw) < 100):
            # what normalize_text does to letters, digits and apostrophes, without its per-char walk: one word
            yield raw.lower().replace("'", ""), match.start(), match.end()
            continue
        norm = spell(int(raw)) if raw.isascii() else normalize_text(raw)
        for word in norm.split():
            yield word, match.start(), match.end()


def text_words(text: str, form: str = "text") -> PieceWords:
    """A written text's words, at character offsets."""
    found = list(word_tokens(text))
    return PieceWords(tuple(w for w, _, _ in found), tuple(float(s) for _, s, _ in found),
                      tuple(float(e) for _, _, e in found), "chars", float(len(text)), form)


def speech_words(transcript: Transcript) -> PieceWords:
    """A transcript's words at their times; a segment without word times spreads its words over its span."""
    words: list[str] = []
    starts: list[float] = []
    ends: list[float] = []
    for segment in transcript.segments:
        if segment.words:
            for word in segment.words:
                for norm, _, _ in word_tokens(word.word):
                    words.append(norm)
                    starts.append(word.start)
                    ends.append(word.end)
            continue
        per_char = (segment.end - segment.start) / max(1, len(segment.text))
        for norm, begin, end in word_tokens(segment.text):
            words.append(norm)
            starts.append(segment.start + begin * per_char)
            ends.append(segment.start + end * per_char)
    length = transcript.duration or (max(ends) if ends else 0.0)
    return PieceWords(tuple(words), tuple(starts), tuple(ends), "s", float(length), "speech")


def picture_words(lines: Sequence[OcrLine], duration: float | None = None) -> PieceWords:
    """Words printed in a piece's pictures: a video's lines at their times (until `duration`, else the last line's
    end); a still image's (every line at time 0, no duration or 0) at character offsets in ocr_text(lines)."""
    if not duration and all(line.time == 0 and line.end == 0 for line in lines):
        return text_words(ocr_text(lines), form="pictures")
    words: list[str] = []
    starts: list[float] = []
    ends: list[float] = []
    for line in sorted(lines, key=lambda line: line.time):
        for norm, _, _ in word_tokens(line.text):
            words.append(norm)
            starts.append(line.time)
            ends.append(max(line.end, line.time))
    length = duration if duration is not None else (max(ends) if ends else 0.0)
    return PieceWords(tuple(words), tuple(starts), tuple(ends), "s", float(length), "pictures")


@lru_cache(maxsize=1 << 20)
def _word_hash(word: str) -> int:
    """A stable 64-bit hash (Python's own is salted per process, and an index may outlive one)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def shingle_hashes(words: Sequence[str]) -> np.ndarray:
    """uint64 hash of each run of SHINGLE consecutive words, at the run's first word (empty for shorter texts)."""
    count = len(words) - SHINGLE + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    single = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(SHINGLE):
            hashes = hashes * _MULT + single[offset:offset + count]
    return hashes


@dataclass(frozen=True)
class _Passage:
    a0: int  # word positions, half-open, in A and in B
    a1: int
    b0: int
    b1: int
    covered: int  # B's words inside shared shingles


class WordIndex:
    """Inverted index from shingle hash to (text, word position) over written texts, built for 100,000 of them:
    sorted numpy arrays searched by bisection, plus a sorted tail of the texts added since the last merge, so ingest
    can add one text and match the next without re-sorting the archive. Adding only stores; the first search after
    sorts what was added (one sort for a bulk load)."""

    def __init__(self, assets: Iterable[str] = (), max_postings: int = MAX_POSTINGS,
                 min_words: int = MIN_WORDS) -> None:
        self.assets = set(assets)
        self.max_postings = max_postings
        self.min_words = min_words  # lowered only to measure what chance produces
        self._keys: list[str] = []
        self._texts: list[str] = []
        self._ids: dict[str, int] = {}
        self._removed: set[int] = set()
        self._main = Postings.empty()
        self._tail = Postings.empty()  # sorted
        self._pending: list[Postings] = []  # added since the last search, unsorted

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, key: str, text: str, words: Sequence[str] | None = None) -> None:
        """Index a written text (a text piece, or a platform asset's words) under the caller's key; `words`, when
        the caller has them already, are text_words(text).words (a catch-up of 100,000 texts tokenises each once)."""
        if key in self._ids:
            self.remove(key)
        piece = len(self._keys)
        self._keys.append(key)
        self._texts.append(text)
        self._ids[key] = piece
        hashes = shingle_hashes(words if words is not None else [w for w, _, _ in word_tokens(text)])
        self._pending.append(Postings(hashes, np.full(len(hashes), piece, np.int32),
                                      np.arange(len(hashes), dtype=np.int32)))

    def remove(self, key: str) -> None:
        """Forget a text (a removed piece): its postings stay until the next merge but never match."""
        piece = self._ids.pop(key, None)
        if piece is not None:
            self._removed.add(piece)
            self._texts[piece] = ""

    def mark_asset(self, key: str) -> None:
        self.assets.add(key)

    def _sorted_tail(self) -> Postings:
        """The tail with what was added since the last search slotted in (sorting only the new postings), so
        ingest, adding one text and searching with the next, pays a copy of the tail and no sort of it."""
        if self._pending:
            self._tail = self._tail.with_added(self._pending)
            self._pending = []
        return self._tail

    def settle(self) -> None:
        """What every search does first: slot the added texts into the tail, and merge the tail into the main
        arrays once it has grown. (A rebuild that skips a search calls it, to keep the index as a search leaves it.)"""
        if len(self._sorted_tail().hashes) > TAIL_POSTINGS:
            self._merge()

    def _merge(self) -> None:
        self._main = Postings.concat([self._main, self._sorted_tail()])
        self._tail = Postings.empty()

    def match(self, key: str, words: PieceWords) -> list[Reuse]:
        """Every passage of an indexed text found in `words` (the piece `key`), assets' excepted, longest first:
        source = the indexed text (spans in its characters), user = `key` (spans in `words.unit`), score = B's words
        inside shared shingles (at least min_words), share = the user span over `words.length`."""
        self.settle()
        hashes = shingle_hashes(words.words)
        found_in = [part.lookup(hashes, self.max_postings) for part in (self._main, self._tail)]
        pieces, a_pos, b_pos = (np.concatenate([f[i] for f in found_in]) for i in range(3))
        own = self._ids.get(key, -1)
        keep = ~np.isin(pieces, np.array([own, *self._removed], dtype=np.int64))
        pieces, a_pos, b_pos = pieces[keep], a_pos[keep], b_pos[keep]
        mask = np.zeros(len(words.words), dtype=bool)
        found: list[Reuse] = []
        for asset_turn in (True, False):  # assets first: what B takes from them is masked for every other source
            for piece in _candidates(pieces, b_pos, self.min_words // SHINGLE):
                source = self._keys[piece]
                if (source in self.assets) != asset_turn:
                    continue
                at = pieces == piece
                usable = ~_masked(mask, b_pos[at])
                source_words = text_words(self._texts[piece])
                passages = _passages(source_words.words, words.words, a_pos[at][usable], b_pos[at][usable], mask,
                                     self.min_words)
                for passage in passages:
                    if asset_turn:
                        mask[passage.b0:passage.b1] = True
                    else:
                        found.append(_reuse(source, self._texts[piece], source_words, key, words, passage))
        return sorted(found, key=lambda r: -r.score)


@dataclass(frozen=True)
class Postings:
    """Shingle postings sorted by hash: (hash, piece number, word position), for WordIndex and heard.HeardIndex."""

    hashes: np.ndarray  # uint64, sorted
    pieces: np.ndarray  # int32
    positions: np.ndarray  # int32

    @classmethod
    def empty(cls) -> Postings:
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.int32), np.zeros(0, np.int32))

    @classmethod
    def concat(cls, parts: Sequence[Postings]) -> Postings:
        if not parts:
            return cls.empty()
        hashes = np.concatenate([p.hashes for p in parts])
        order = np.argsort(hashes, kind="stable")
        return cls(hashes[order], np.concatenate([p.pieces for p in parts])[order],
                   np.concatenate([p.positions for p in parts])[order])

    def with_added(self, parts: Sequence[Postings]) -> Postings:
        """These postings with `parts` slotted in: only the new ones are sorted, then each is put in its place."""
        fresh = Postings.concat(parts)
        at = np.searchsorted(self.hashes, fresh.hashes, side="right")
        return Postings(np.insert(self.hashes, at, fresh.hashes), np.insert(self.pieces, at, fresh.pieces),
                        np.insert(self.positions, at, fresh.positions))

    def lookup(self, query: np.ndarray, max_postings: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(piece, position in it, position in the query) of every posting of the query's shingles, stock
        phrases (more than max_postings postings) left out."""
        left = np.searchsorted(self.hashes, query, side="left")
        right = np.searchsorted(self.hashes, query, side="right")
        counts = right - left
        counts[counts > max_postings] = 0
        total = int(counts.sum())
        if total == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        query_pos = np.repeat(np.arange(len(query)), counts)
        run_starts = np.repeat(left - np.cumsum(counts) + counts, counts)
        rows = run_starts + np.arange(total)
        return self.pieces[rows].astype(np.int64), self.positions[rows].astype(np.int64), query_pos


def _candidates(pieces: np.ndarray, b_pos: np.ndarray, min_seeds: int) -> list[int]:
    """Pieces with enough distinct query shingles to hold a long enough passage; most shared first."""
    if len(pieces) == 0:
        return []
    pairs = np.unique(np.stack([pieces, b_pos]), axis=1)
    ids, counts = np.unique(pairs[0], return_counts=True)
    ranked = sorted(zip(counts.tolist(), ids.tolist(), strict=True), reverse=True)
    return [piece for count, piece in ranked if count >= min_seeds]


def _masked(mask: np.ndarray, b_pos: np.ndarray) -> np.ndarray:
    """Whether any word of the shingle at each position is masked."""
    if not mask.any() or len(b_pos) == 0:
        return np.zeros(len(b_pos), dtype=bool)
    prefix = np.concatenate([[0], np.cumsum(mask)])
    return (prefix[np.minimum(b_pos + SHINGLE, len(mask))] - prefix[b_pos]) > 0


def _chains(a_pos: np.ndarray, b_pos: np.ndarray) -> list[list[tuple[int, int]]]:
    """Seeds grouped into runs that go forward on both sides together: each next seed within MAX_GAP words and
    off the run's diagonal by at most MAX_DRIFT (the seed that drifts least wins, so a chorus sung twice makes
    two runs, not one zig-zag)."""
    order = np.lexsort((a_pos, b_pos))
    active: list[list[tuple[int, int]]] = []
    done: list[list[tuple[int, int]]] = []
    for b, a in zip(b_pos[order].tolist(), a_pos[order].tolist(), strict=True):
        still: list[list[tuple[int, int]]] = []
        best: list[tuple[int, int]] | None = None
        best_drift = MAX_DRIFT + 1
        for chain in active:
            last_b, last_a = chain[-1]
            if b - last_b > MAX_GAP + SHINGLE:
                done.append(chain)
                continue
            still.append(chain)
            db, da = b - last_b, a - last_a
            drift = abs(da - db)
            if db > 0 and 0 < da <= MAX_GAP + SHINGLE and drift < best_drift:
                best, best_drift = chain, drift
        active = still
        if best is not None:
            best.append((b, a))
        else:
            active.append([(b, a)])
    return done + active


def _extend(a_words: Sequence[str], b_words: Sequence[str], a: int, b: int, step: int, mask: np.ndarray) -> int:
    """Ungapped extension from the first words outside a passage (a, b), going `step` (-1 or 1) until the score
    falls X_DROP below its best: the words added at the best point (an edit just inside the quote's ends)."""
    score = best = best_reach = reach = 0
    while 0 <= a + step * reach < len(a_words) and 0 <= b + step * reach < len(b_words) and not mask[b + step * reach]:
        score += 2 if a_words[a + step * reach] == b_words[b + step * reach] else -1
        reach += 1
        if score > best:
            best, best_reach = score, reach
        elif score < best - X_DROP:
            break
    return best_reach


def _passages(a_words: Sequence[str], b_words: Sequence[str], a_pos: np.ndarray, b_pos: np.ndarray,
              mask: np.ndarray, min_words: int) -> list[_Passage]:
    """The maximal aligned passages between A and B from their shared shingles, no two on one stretch of B."""
    found: list[_Passage] = []
    for chain in _chains(a_pos, b_pos):
        covered = np.zeros(len(b_words), dtype=bool)
        for b, _ in chain:
            covered[b:b + SHINGLE] = True
        b0, a0 = chain[0]
        b1, a1 = chain[-1][0] + SHINGLE, chain[-1][1] + SHINGLE
        # The extension moves the boundaries only: a word matched by luck next to a stock line must not lift it
        # over the floor.
        back = _extend(a_words, b_words, a0 - 1, b0 - 1, -1, mask)
        ahead = _extend(a_words, b_words, a1, b1, 1, mask)
        passage = _Passage(a0 - back, a1 + ahead, b0 - back, b1 + ahead, int(covered.sum()))
        if passage.covered >= min_words:
            found.append(passage)
    kept: list[_Passage] = []
    for passage in sorted(found, key=lambda p: -p.covered):
        if all(min(passage.b1, k.b1) - max(passage.b0, k.b0) < (passage.b1 - passage.b0) / 2 for k in kept):
            kept.append(passage)
    return kept


def _reuse(source: str, source_text: str, a: PieceWords, user: str, b: PieceWords, passage: _Passage) -> Reuse:
    source_span = Span(a.starts[passage.a0], a.ends[passage.a1 - 1], "chars")
    user_span = Span(b.starts[passage.b0], b.ends[passage.b1 - 1], b.unit)
    share = min(1.0, user_span.length / b.length) if b.length > 0 else 0.0
    opening = " ".join(source_text[int(source_span.start):int(source_span.end)].split()[:5])
    where = f"{source}'s words '{opening}…' (chars {int(source_span.start)}-{int(source_span.end)})"
    at = (f"{clock(user_span.start)}-{clock(user_span.end)}" if b.unit == "s"
          else f"chars {int(user_span.start)}-{int(user_span.end)}")
    how = {"speech": f"read aloud in {user} at {at}", "pictures": f"shown in {user}'s pictures at {at}"}
    evidence = f"{where} {how.get(b.form, f'quoted in {user} at {at}')}"
    return Reuse(source, user, ReuseKind.TEXT, source_span, user_span, share, float(passage.covered), evidence)


def match_pair(source: str, source_text: str, user: str, words: PieceWords) -> list[Reuse]:
    """The passages of one written text in one piece, without an archive: what an all-pairs search would do for
    every pair (the benchmark's baseline), and a check of one suspected pair."""
    index = WordIndex()
    index.add(source, source_text)
    return index.match(user, words)
