"""The query side of sound matching: a query's pairs hashed under every speed hypothesis, looked up in the index a
chunk at a time, and every hit's vote for (piece, hypothesis, time offset) counted into the candidate cells that
sound.py fits lines to, with each candidate's hits."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from triage.lineage.landmarks import Peaks, drop_repeats, hashes, pair_peaks
from triage.lineage.sound_index import SoundIndex

# Speed hypotheses: 2% apart, so the truth is within 1% of one; a 1% error moves a time step of n spectra by
# n / 100 of its quantum, so at worst about a third of the pairs (steps up to 63) round to another hash, and
# neighbouring hypotheses are gathered when the line is fitted. Both families share speed 1.
SPEEDS = tuple(float(s) for s in 1.02 ** np.arange(-5, 6))
HYPOTHESES = tuple([(s, 1.0) for s in SPEEDS] + [(s, s) for s in SPEEDS if s != 1.0])
# A query pairs each anchor with more partners than the index does (landmarks._FAN_OUT, 4). An indexed pair is
# found again only if the query pairs the same two peaks; in a mix, the other sound's peaks fall between them and take
# the first partners' places, so with the index's fan-out few of a source's pairs survive even when its peaks do
# (a tune under speech kept 70% of its peaks but 11% of its pairs; 37% when the query pairs 12 wide). Speech or
# music mixed at a similar level brings about as many peaks again (measured 2-2.5 times the excerpt's own density),
# so three times the fan-out keeps most source partners within reach. Chance hits grow with it (3 times the
# lookups), and the chance test counts them: they raise the hits expected on a line by chance.
QUERY_FAN_OUT = 12
COARSE_S = 1.0  # coarse offset cells: a 1% speed error drifts 0.2 s over a 20 s excerpt
MIN_VOTES = 5  # a cell with fewer hits cannot pass the chance test (sound.py) for any realistic index
# Query hashes are looked up so many at a time that about this many hits come back (by the index's postings a hash):
# their hits, not all the query's, are in memory together, and a small archive does it in one go per hypothesis.
_CHUNK_HITS = 2_000_000
# Up to this many hits a query keeps them all for the candidates' fits (0.2 GB); past it, it looks the candidates'
# up again rather than hold gigabytes (a 60 s query meets some 40 million postings among 10,000 pieces).
_HOLD_HITS = 8_000_000
_CELLS_PER_PIECE = 4  # excerpts of one source at different offsets
_MAX_CANDIDATES = 300
Candidate = tuple[int, int, float]  # piece, hypothesis, offset (s)


@dataclass(frozen=True)
class Hits:
    """Query pair -> indexed posting hits under the hypotheses, flat arrays."""

    hyp: np.ndarray
    pair: np.ndarray
    piece: np.ndarray
    t_source: np.ndarray
    offset: np.ndarray


@dataclass(frozen=True)
class Query:
    """A query piece's pairs hashed under every speed hypothesis, ready to look up in any number of indexes."""

    times: np.ndarray  # each pair's anchor time (s)
    dt: np.ndarray  # each pair's time step (s)
    duration: float
    hypotheses: tuple[tuple[np.ndarray, np.ndarray], ...]  # per hypothesis: (pair numbers, their hashes)


def prepare(peaks: Peaks) -> Query:
    """Hash a query's pairs under every hypothesis once (`match` does it when given peaks)."""
    pairs = pair_peaks(peaks, QUERY_FAN_OUT)
    hyps = []
    for speed, pitch in HYPOTHESES:
        values, valid = hashes(pairs, speed, pitch)
        keep = np.nonzero(valid & drop_repeats(np.where(valid, values, np.uint32(0xFFFFFFFF))))[0]
        hyps.append((keep, values[keep]))
    return Query(pairs.times, pairs.dt, peaks.duration, tuple(hyps))


def _hit_chunks(index: SoundIndex, query: Query, skip: int | None,
                hyps: Collection[int] | None = None) -> Iterator[tuple[int, Hits]]:
    """The query's hits under every hypothesis (or those in `hyps`), a chunk of its hashes at a time (_CHUNK_HITS):
    against a big archive all of them at once would take gigabytes (a 60 s query meets tens of millions of postings
    among 10,000 pieces)."""
    size = max(256, int(_CHUNK_HITS / max(index.postings_per_value(), 1.0)))
    for h, (keep, values) in enumerate(query.hypotheses):
        if hyps is not None and h not in hyps:
            continue
        speed = np.float64(HYPOTHESES[h][0])  # float64, as the times are divided by it
        for lo in range(0, len(values), size):
            q, piece, t_source = index.lookup(values[lo:lo + size])
            pair = keep[lo:lo + size][q]
            mine = piece != (-1 if skip is None else skip)
            pair, piece, t_source = pair[mine], piece[mine], t_source[mine]
            yield h, Hits(np.full(len(pair), h, np.int32), pair, piece, t_source,
                           query.times[pair] - t_source / speed)


def _joined(chunks: Iterable[Hits]) -> Hits:
    found = list(chunks)
    if not found:
        return Hits(*(np.zeros(0, dtype) for dtype in (np.int32, np.int64, np.int32, np.float32, np.float64)))
    return Hits(*(np.concatenate([getattr(c, name) for c in found])
                   for name in ("hyp", "pair", "piece", "t_source", "offset")))


def _by_piece(hits: Hits, pieces: list[int]) -> dict[int, Hits]:
    """The hits of each of `pieces`, split once (a mask per piece over all hits would cost pieces x hits)."""
    sel = np.nonzero(np.isin(hits.piece, pieces))[0]
    order = sel[np.argsort(hits.piece[sel], kind="stable")]
    bounds = np.searchsorted(hits.piece[order], pieces, "left"), np.searchsorted(hits.piece[order], pieces, "right")
    out = {}
    for piece, lo, hi in zip(pieces, *bounds, strict=True):
        at = order[lo:hi]
        out[piece] = Hits(hits.hyp[at], hits.pair[at], hits.piece[at], hits.t_source[at], hits.offset[at])
    return out


class _Votes:
    """The coarse cells' votes, gathered a chunk of hits at a time. A cell's code holds its hypothesis, so the codes
    of one hypothesis's chunks are counted, and cut to the strong cells (MIN_VOTES or more), as soon as the next
    begins: what is kept is the strong cells, per grid, by hypothesis."""

    def __init__(self) -> None:
        self.strong_cells: tuple[list[tuple[np.ndarray, np.ndarray]], ...] = ([], [])
        self._open: tuple[list[np.ndarray], ...] = ([], [])  # the current hypothesis's cell codes, per grid
        self._hyp = -1
        self._voted = np.zeros(0, dtype=bool)  # by piece number: whether any hit voted for it

    def add(self, hyp: int, hits: Hits) -> None:
        if hyp != self._hyp:
            self._close()
            self._hyp = hyp
        self._mark(hits.piece)
        for grid, shift in zip(self._open, (0.0, 0.5), strict=True):  # two staggered grids, so an offset near a
            cell = np.floor(hits.offset / COARSE_S + shift).astype(np.int64)  # cell edge is not split in two
            # the cell's centre in half-seconds, so both grids' cells share one key space
            centre = np.round((cell + 0.5 - shift) * COARSE_S * 2).astype(np.int64) + (1 << 23)
            grid.append((hits.piece.astype(np.int64) * len(HYPOTHESES) + hits.hyp) * (1 << 24) + centre)

    def _mark(self, pieces: np.ndarray) -> None:
        if len(pieces) and pieces.max() >= len(self._voted):
            grown = np.zeros(2 * int(pieces.max()) + 1, dtype=bool)
            grown[:len(self._voted)] = self._voted
            self._voted = grown
        self._voted[pieces] = True

    def _close(self) -> None:
        for grid, kept in zip(self._open, self.strong_cells, strict=True):
            if grid:
                kept.append(at_least(np.concatenate(grid), MIN_VOTES))
                grid.clear()

    def pieces_voted(self) -> int:
        return int(np.count_nonzero(self._voted))

    def strong(self) -> tuple[np.ndarray, np.ndarray]:
        """Every grid's strong cells, by grid and then by code (as one count over all hits would list them)."""
        self._close()
        codes, counts = [], []
        for kept in self.strong_cells:
            if kept:
                grid_codes = np.concatenate([c for c, _ in kept])
                order = np.argsort(grid_codes)  # distinct codes: any sort gives the one order
                codes.append(grid_codes[order])
                counts.append(np.concatenate([n for _, n in kept])[order])
        if not codes:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(codes), np.concatenate(counts)


_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: a code times this, top bits, spreads codes evenly


def at_least(codes: np.ndarray, votes: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct int64 `codes` met `votes` times or more, in order, with their counts.

    Chance hits scatter over millions of cells, so almost every code is met once or twice and sorting them all (what
    np.unique does) was most of a big query's time. They are first counted into hashed buckets, about one code a
    bucket: a bucket's count is at least that of every code in it, so only the codes of buckets that reach `votes`
    can, and only they are sorted and counted exactly.
    """
    bits = max(10, len(codes).bit_length())
    bucket = ((codes.view(np.uint64) * _MIX) >> np.uint64(64 - bits)).view(np.int64)  # codes are >= 0
    maybe = codes[(np.bincount(bucket, minlength=1 << bits) >= votes)[bucket]]
    values, counts = np.unique(maybe, return_counts=True)
    return values[counts >= votes], counts[counts >= votes]


def _candidates(votes: _Votes) -> list[Candidate]:
    """(piece, hypothesis, offset) of the best-voted coarse cells, a few per piece."""
    codes, counts = votes.strong()
    # Only the best-voted cells can make the final list: a few per candidate is plenty for the choice below.
    top = np.argsort(-counts, kind="stable")[: 8 * _CELLS_PER_PIECE * _MAX_CANDIDATES]
    piece_hyp, half = np.divmod(codes[top], 1 << 24)
    piece, hyp = np.divmod(piece_hyp, len(HYPOTHESES))
    ranked_cells = zip(piece.tolist(), hyp.tolist(), (half - (1 << 23)).tolist(), counts[top].tolist(), strict=True)
    per_piece: dict[int, list[tuple[int, int, int]]] = {}
    for piece_no, hyp_no, half_s, n in ranked_cells:
        chosen = per_piece.setdefault(piece_no, [])
        # neighbouring cells and hypotheses are one excerpt, which the line fit (sound.py) gathers: only other offsets
        if len(chosen) < _CELLS_PER_PIECE and all(abs(half_s - other) > 4 * COARSE_S for _, _, other in chosen):
            chosen.append((n, hyp_no, half_s))
    ranked = sorted(((n, piece, hyp, half) for piece, cells in per_piece.items() for n, hyp, half in cells),
                    reverse=True)[:_MAX_CANDIDATES]
    return [(piece, hyp, half / 2) for _, piece, hyp, half in ranked]


def near(hyp: int) -> list[int]:
    """The hypotheses whose hits a line fitted near `hyp` looks at: of its family (speed and pitch changed together,
    or speed alone), within 3% of its speed."""
    speed, pitch = HYPOTHESES[hyp]
    family = [h for h, (s, p) in enumerate(HYPOTHESES) if (p == 1.0) == (pitch == 1.0) or s == 1.0]
    return [h for h in family if abs(np.log(HYPOTHESES[h][0] / speed)) < 0.03]


def gathered(index: SoundIndex, query: Query, skip: int | None) -> tuple[list[Candidate], int, dict[int, Hits]]:
    """The query's candidate cells (piece, hypothesis, offset), how many pieces its hits voted for, and each
    candidate piece's hits (under the hypotheses its fit looks at). `skip`: the query's own number in the index."""
    votes, held, count = _Votes(), list[tuple[int, Hits]](), 0
    for hyp, chunk in _hit_chunks(index, query, skip):
        votes.add(hyp, chunk)
        count += len(chunk.piece)
        if count <= _HOLD_HITS:
            held.append((hyp, chunk))
        elif held:
            held = []  # too many to keep: the candidates' are looked up again below
    candidates = _candidates(votes)
    pieces_voted = max(1, votes.pieces_voted())
    wanted = np.array(sorted({piece for piece, _, _ in candidates}), dtype=np.int32)
    needed = {h for _, hyp, _ in candidates for h in near(hyp)}  # the hypotheses the candidates' fits look at
    chunks = held if count <= _HOLD_HITS else _hit_chunks(index, query, skip, needed)
    hits = _joined(Hits(c.hyp[keep], c.pair[keep], c.piece[keep], c.t_source[keep], c.offset[keep])
                   for h, c in chunks if h in needed for keep in [np.isin(c.piece, wanted)])
    per_piece = _by_piece(hits, wanted.tolist())
    return candidates, pieces_voted, per_piece
