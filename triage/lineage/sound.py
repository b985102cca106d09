"""Partial reuse of sound: the excerpts of indexed pieces (sound_index.SoundIndex) that a query contains.

A query's pairs are hashed under each speed hypothesis (tempo-only and resample-style, 0.9x-1.1x in 2% steps),
looked up in the index, and every hit votes for (piece, hypothesis, time offset). Well-voted cells are refined
over a fine speed grid; the hits that agree on one line t_query = offset + t_source / speed are the evidence,
split into stretches where they run without long gaps. A stretch counts only when its moments with two or more
aligned hits are more than chance gives that piece (a Poisson tail, corrected for every cell looked at).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

from triage.lineage.landmarks import Peaks, drop_repeats, hashes, landmarks, pair_peaks
from triage.lineage.sound_index import SoundIndex
from triage.lineage.types import Reuse, ReuseKind, Span, distinct
from triage.timefmt import clock

# Speed hypotheses: 2% apart, so the truth is within 1% of one; a 1% error moves a time step of n spectra by
# n / 100 of its quantum, so at worst about a third of the pairs (steps up to 63) round to another hash, and
# neighbouring hypotheses are gathered when the line is fitted. Both families share speed 1.
SPEEDS = tuple(float(s) for s in 1.02 ** np.arange(-5, 6))
_HYPOTHESES = tuple([(s, 1.0) for s in SPEEDS] + [(s, s) for s in SPEEDS if s != 1.0])
# A query pairs each anchor with more partners than the index does (landmarks._FAN_OUT, 4). An indexed pair is
# found again only if the query pairs the same two peaks; in a mix, the other sound's peaks fall between them and take
# the first partners' places, so with the index's fan-out few of a source's pairs survive even when its peaks do
# (a tune under speech kept 70% of its peaks but 11% of its pairs; 37% when the query pairs 12 wide). Speech or
# music mixed at a similar level brings about as many peaks again (measured 2-2.5 times the excerpt's own density),
# so three times the fan-out keeps most source partners within reach. Chance hits grow with it (3 times the
# lookups), and the chance test counts them: they raise the hits expected on a line by chance.
QUERY_FAN_OUT = 12
_COARSE_S = 1.0  # coarse offset cells: a 1% speed error drifts 0.2 s over a 20 s excerpt
_MIN_VOTES = 5  # a cell with fewer hits cannot pass the chance test below for any realistic index
# Query hashes are looked up so many at a time that about this many hits come back (by the index's postings a hash):
# their hits, not all the query's, are in memory together, and a small archive does it in one go per hypothesis.
_CHUNK_HITS = 2_000_000
# Up to this many hits a query keeps them all for the candidates' fits (0.2 GB); past it, it looks the candidates'
# up again rather than hold gigabytes (a 60 s query meets some 40 million postings among 10,000 pieces).
_HOLD_HITS = 8_000_000
_CELLS_PER_PIECE = 4  # excerpts of one source at different offsets
_MAX_CANDIDATES = 300
_FINE = np.linspace(-0.012, 0.012, 25)  # fine speed steps (0.1%) around a coarse hypothesis
# Hits of one excerpt agree on the offset within peak-time jitter (a fraction of a 16 ms spectrum, more after
# lossy coding and time stretching): +-48 ms.
_TOL_S = 0.048
# Aligned hits further apart than this are two stretches: mixing can hide a few seconds of a source, no more.
_MAX_GAP_S = 4.0
_LONE_S = 1.0  # an end hit with no other moment this near is a stray
_MOMENT_S = 0.1  # hits within one spectrum-peak neighbourhood of time are one moment
# Excerpts of 3 s and up are reported; the measured stretch runs from the first to the last aligned hit, which
# may fall up to ~1 s inside the true ends (the boundary tolerance), so stretches from 2 s on are kept.
_MIN_SOURCE_S = 2.0
# Odds of chance alignment allowed per query, after counting every cell tested (Bonferroni).
_ALPHA = 1e-4


@dataclass(frozen=True)
class _Hits:
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
    for speed, pitch in _HYPOTHESES:
        values, valid = hashes(pairs, speed, pitch)
        keep = np.nonzero(valid & drop_repeats(np.where(valid, values, np.uint32(0xFFFFFFFF))))[0]
        hyps.append((keep, values[keep]))
    return Query(pairs.times, pairs.dt, peaks.duration, tuple(hyps))


def _hit_chunks(index: SoundIndex, query: Query, skip: int | None,
                hyps: Collection[int] | None = None) -> Iterator[tuple[int, _Hits]]:
    """The query's hits under every hypothesis (or those in `hyps`), a chunk of its hashes at a time (_CHUNK_HITS):
    against a big archive all of them at once would take gigabytes (a 60 s query meets tens of millions of postings
    among 10,000 pieces)."""
    size = max(256, int(_CHUNK_HITS / max(index.postings_per_value(), 1.0)))
    for h, (keep, values) in enumerate(query.hypotheses):
        if hyps is not None and h not in hyps:
            continue
        speed = np.float64(_HYPOTHESES[h][0])  # float64, as the times are divided by it
        for lo in range(0, len(values), size):
            q, piece, t_source = index.lookup(values[lo:lo + size])
            pair = keep[lo:lo + size][q]
            mine = piece != (-1 if skip is None else skip)
            pair, piece, t_source = pair[mine], piece[mine], t_source[mine]
            yield h, _Hits(np.full(len(pair), h, np.int32), pair, piece, t_source,
                           query.times[pair] - t_source / speed)


def _joined(chunks: Iterable[_Hits]) -> _Hits:
    found = list(chunks)
    if not found:
        return _Hits(*(np.zeros(0, dtype) for dtype in (np.int32, np.int64, np.int32, np.float32, np.float64)))
    return _Hits(*(np.concatenate([getattr(c, name) for c in found])
                   for name in ("hyp", "pair", "piece", "t_source", "offset")))


def _by_piece(hits: _Hits, pieces: list[int]) -> dict[int, _Hits]:
    """The hits of each of `pieces`, split once (a mask per piece over all hits would cost pieces x hits)."""
    sel = np.nonzero(np.isin(hits.piece, pieces))[0]
    order = sel[np.argsort(hits.piece[sel], kind="stable")]
    bounds = np.searchsorted(hits.piece[order], pieces, "left"), np.searchsorted(hits.piece[order], pieces, "right")
    out = {}
    for piece, lo, hi in zip(pieces, *bounds, strict=True):
        at = order[lo:hi]
        out[piece] = _Hits(hits.hyp[at], hits.pair[at], hits.piece[at], hits.t_source[at], hits.offset[at])
    return out


class _Votes:
    """The coarse cells' votes, gathered a chunk of hits at a time. A cell's code holds its hypothesis, so the chunks
    of one hypothesis are summed and cut to the strong cells (_MIN_VOTES or more) as soon as the next begins: what
    is kept is the strong cells, per grid, by hypothesis."""

    def __init__(self) -> None:
        self.strong_cells: tuple[list[tuple[np.ndarray, np.ndarray]], ...] = ([], [])
        self._open: tuple[list[tuple[np.ndarray, np.ndarray]], ...] = ([], [])  # the current hypothesis's chunks
        self._hyp = -1
        self.pieces: list[np.ndarray] = []

    def add(self, hyp: int, hits: _Hits) -> None:
        if hyp != self._hyp:
            self._close()
            self._hyp = hyp
        self.pieces.append(np.unique(hits.piece))
        for grid, shift in zip(self._open, (0.0, 0.5), strict=True):  # two staggered grids, so an offset near a
            cell = np.floor(hits.offset / _COARSE_S + shift).astype(np.int64)  # cell edge is not split in two
            # the cell's centre in half-seconds, so both grids' cells share one key space
            centre = np.round((cell + 0.5 - shift) * _COARSE_S * 2).astype(np.int64) + (1 << 23)
            code = (hits.piece.astype(np.int64) * len(_HYPOTHESES) + hits.hyp) * (1 << 24) + centre
            grid.append(np.unique(code, return_counts=True))

    def _close(self) -> None:
        for grid, kept in zip(self._open, self.strong_cells, strict=True):
            if len(grid) == 1:  # one chunk: its cells are already distinct and in order
                codes, counts = grid[0]
            elif grid:
                codes, at = np.unique(np.concatenate([c for c, _ in grid]), return_inverse=True)
                counts = np.bincount(at, weights=np.concatenate([n for _, n in grid])).astype(np.int64)
            else:
                continue
            kept.append((codes[counts >= _MIN_VOTES], counts[counts >= _MIN_VOTES]))
            grid.clear()

    def pieces_voted(self) -> int:
        return len(np.unique(np.concatenate(self.pieces))) if self.pieces else 0

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


def _candidates(votes: _Votes) -> list[tuple[int, int, float]]:
    """(piece, hypothesis, offset) of the best-voted coarse cells, a few per piece."""
    codes, counts = votes.strong()
    # Only the best-voted cells can make the final list: a few per candidate is plenty for the choice below.
    top = np.argsort(-counts, kind="stable")[: 8 * _CELLS_PER_PIECE * _MAX_CANDIDATES]
    piece_hyp, half = np.divmod(codes[top], 1 << 24)
    piece, hyp = np.divmod(piece_hyp, len(_HYPOTHESES))
    ranked_cells = zip(piece.tolist(), hyp.tolist(), (half - (1 << 23)).tolist(), counts[top].tolist(), strict=True)
    per_piece: dict[int, list[tuple[int, int, int]]] = {}
    for piece_no, hyp_no, half_s, n in ranked_cells:
        chosen = per_piece.setdefault(piece_no, [])
        # neighbouring cells and hypotheses are one excerpt, which _fit_line gathers: only other offsets here
        if len(chosen) < _CELLS_PER_PIECE and all(abs(half_s - other) > 4 * _COARSE_S for _, _, other in chosen):
            chosen.append((n, hyp_no, half_s))
    ranked = sorted(((n, piece, hyp, half) for piece, cells in per_piece.items() for n, hyp, half in cells),
                    reverse=True)[:_MAX_CANDIDATES]
    return [(piece, hyp, half / 2) for _, piece, hyp, half in ranked]


@dataclass(frozen=True)
class _Line:
    speed: float
    offset: float
    pairs: np.ndarray  # query pair numbers of the aligned hits
    t_source: np.ndarray
    t_hits: np.ndarray  # query times of all this piece's hits near the hypothesis, aligned or not
    o_hits: np.ndarray  # their offsets on the line's speed


def _near(hyp: int) -> list[int]:
    """The hypotheses whose hits a line fitted near `hyp` looks at: of its family (speed and pitch changed together,
    or speed alone), within 3% of its speed."""
    speed, pitch = _HYPOTHESES[hyp]
    family = [h for h, (s, p) in enumerate(_HYPOTHESES) if (p == 1.0) == (pitch == 1.0) or s == 1.0]
    return [h for h in family if abs(np.log(_HYPOTHESES[h][0] / speed)) < 0.03]


def _fit_line(hits: _Hits, pair_times: np.ndarray, piece: int, hyp: int, offset: float) -> _Line:
    """The best speed and offset near a coarse cell, and the hits that lie on it."""
    speed = _HYPOTHESES[hyp][0]
    sel = np.isin(hits.hyp, _near(hyp))  # hits holds this piece's hits only
    pair, t_src = hits.pair[sel], hits.t_source[sel]
    # One (query pair, posting) met under several hypotheses is one hit.
    code = pair.astype(np.int64) * (1 << 32) + np.round(t_src * 1000).astype(np.int64)
    _, first = np.unique(code, return_index=True)
    pair, t_src = pair[first], t_src[first]
    t_query = pair_times[pair]
    best = (-1, speed, offset)
    for step in sorted(_FINE, key=abs):  # on a tie the step nearest the hypothesis wins
        s = speed * (1.0 + step)
        o = t_query - t_src / s
        window = np.abs(o - offset) <= 2 * _COARSE_S
        if window.sum() <= best[0]:
            continue
        cells = np.round(o[window] / (_TOL_S / 2)).astype(np.int64)
        values, counts = np.unique(cells, return_counts=True)
        # the count within about +-_TOL_S / 2 of each cell centre: the cell and both neighbours
        around = counts.copy()
        around[1:] += np.where(np.diff(values) == 1, counts[:-1], 0)
        around[:-1] += np.where(np.diff(values) == 1, counts[1:], 0)
        top = int(around.argmax())
        if around[top] > best[0]:
            centre = float(np.median(o[window][np.abs(cells - values[top]) <= 1]))
            best = (int(around[top]), s, centre)
    _, s, o_best = best
    for _ in range(2):  # least squares on the hits near the line: the speed to 0.01% over a long excerpt
        on = np.abs(t_query - t_src / s - o_best) <= _TOL_S
        if on.sum() < 3 or np.ptp(t_src[on]) < 1.0:
            break
        slope, o_best = np.polyfit(t_src[on], t_query[on], 1)
        s = 1.0 / float(slope)
        o_best = float(o_best)
    on = np.abs(t_query - t_src / s - o_best) <= _TOL_S
    return _Line(s, o_best, pair[on], t_src[on], t_query, t_query - t_src / s)


def _stretches(t: np.ndarray) -> list[np.ndarray]:
    """Index arrays of runs of times with no gap over _MAX_GAP_S, each without a lone hit at either end."""
    order = np.argsort(t, kind="stable")
    cuts = np.nonzero(np.diff(t[order]) > _MAX_GAP_S)[0] + 1
    return [trimmed for run in np.split(order, cuts) if len(trimmed := _trim(run, t[run]))]


def _trim(run: np.ndarray, t: np.ndarray) -> np.ndarray:
    """`run` (sorted by t) without end moments that have no other moment within _LONE_S: a stray chance hit
    beside an excerpt would otherwise move its boundary by seconds."""
    slots = _moments(t)
    distinct = np.unique(slots)
    if len(distinct) == 0:
        return run
    near = _LONE_S / _MOMENT_S
    lo, hi = 0, len(distinct)
    while hi - lo > 1 and distinct[lo + 1] - distinct[lo] > near:
        lo += 1
    while hi - lo > 1 and distinct[hi - 1] - distinct[hi - 2] > near:
        hi -= 1
    return run[(slots >= distinct[lo]) & (slots <= distinct[hi - 1])]


def _chance_ok(aligned: int, expected: float, tests: float) -> bool:
    """Whether `aligned` hits are too many for chance when `expected` land on a line at random, over `tests`."""
    return float(poisson.sf(aligned - 1, max(expected, 1e-9))) * tests < _ALPHA


def _masked(t: np.ndarray, mask: list[tuple[float, float]]) -> np.ndarray:
    out = np.zeros(len(t), dtype=bool)
    for a, b in mask:
        out |= (t >= a) & (t <= b)
    return out


def _evidence(source: str, user: str, src: Span, use: Span, speed: float) -> str:
    pace = "" if abs(speed - 1.0) < 0.01 else f", played {abs(speed - 1.0):.0%} {'faster' if speed > 1 else 'slower'}"
    return (f"{source}'s sound for {clock(src.start)}-{clock(src.end)} under {user}'s "
            f"{clock(use.start)}-{clock(use.end)}{pace}")


def match(index: SoundIndex, key: str, peaks: Peaks | Query) -> list[Reuse]:
    """Every excerpt (>= 3 s) of an indexed piece that the query `key` (its peaks, or them `prepare`d) contains.

    source = the indexed piece, user = the query; direction is for the graph to decide. Query regions that
    match a platform asset (index.assets) are masked: they give no edge to anyone. An asset query gives none.
    """
    query = peaks if isinstance(peaks, Query) else prepare(peaks)
    if key in index.assets or len(query.times) == 0:
        return []
    skip = index.number(key)
    votes, held, count = _Votes(), list[tuple[int, _Hits]](), 0
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
    needed = {h for _, hyp, _ in candidates for h in _near(hyp)}  # the hypotheses the candidates' fits look at
    chunks = held if count <= _HOLD_HITS else _hit_chunks(index, query, skip, needed)
    hits = _joined(_Hits(c.hyp[keep], c.pair[keep], c.piece[keep], c.t_source[keep], c.offset[keep])
                   for h, c in chunks if h in needed for keep in [np.isin(c.piece, wanted)])
    per_piece = _by_piece(hits, wanted.tolist())
    lines = [(piece, _fit_line(per_piece[piece], query.times, piece, hyp, offset))
             for piece, hyp, offset in candidates]
    found = [(piece, line, run) for piece, line in lines
             for run in _significant(index, piece, line, query, pieces_voted, [])]
    mask = [(float(query.times[line.pairs[run]].min()) - 0.5, float(query.times[line.pairs[run]].max()) + 1.0)
            for piece, line, run in found if index.key(piece) in index.assets]
    reuses: list[Reuse] = []
    for piece, line in lines:
        source = index.key(piece)
        if source is None or source in index.assets:
            continue
        for run in _significant(index, piece, line, query, pieces_voted, mask):
            reuses.append(_reuse(source, key, line, run, query, index.duration(piece)))
    return distinct(reuses)


def _moments(t: np.ndarray) -> np.ndarray:
    """The _MOMENT_S slot of each time: hits from one instant (the harmonics of one note, one onset paired with
    its neighbours) share an offset whether they are a copy or a coincidence, so they are one piece of evidence."""
    return np.floor(t / _MOMENT_S).astype(np.int64)


def _significant(index: SoundIndex, piece: int, line: _Line, query: Query, pieces_voted: int,
                 mask: list[tuple[float, float]]) -> list[np.ndarray]:
    """The stretches of a line's hits (indices into line.pairs) beyond chance, outside masked query time."""
    t_query = query.times[line.pairs]
    keep = ~_masked(t_query, mask)
    source_s = index.duration(piece)
    reach = source_s / line.speed + query.duration  # the offsets a chance hit could take
    # Every cell tested: pieces x hypotheses x offset windows x fine speeds x stretches of a query (the fine speeds
    # per stretch, below).
    tests = pieces_voted * len(_HYPOTHESES) * (reach / (2 * _TOL_S)) * max(1.0, query.duration / 3)
    slot_all, odds = _strong_odds(line, reach)
    out = []
    for run in _stretches(t_query[keep]):
        positions = np.nonzero(keep)[0][run]
        ts = line.t_source[positions]
        if ts.max() - ts.min() < _MIN_SOURCE_S:
            continue
        slots, counts = np.unique(_moments(t_query[positions]), return_counts=True)
        slots = slots[counts >= 2]
        if not len(slots):
            continue
        inside = (slot_all >= slots.min()) & (slot_all <= slots.max())
        if _chance_ok(len(slots), float(odds[inside].sum()), tests * _fine_lines(float(ts.max() - ts.min()))):
            out.append(positions)
    return out


def _strong_odds(line: _Line, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Each moment of this piece's hits, and its odds of putting two or more hits on a given line by chance.

    A copied moment brings several of its pairs onto the line (a note's partners, its harmonics: the query pairs 12
    wide); a coincidence mostly brings one, and one-hit moments let synthetic tunes at a related tempo, or one voice's
    stock phrases, pass as excerpts once the query paired widely. So the evidence is moments with two aligned hits,
    and their odds are measured, not modelled: the share of the line-wide offset bins that hold two or more of the
    moment's hits, which counts the coincidences where a chord's harmonics fall together.
    """
    slot = _moments(line.t_hits)
    cell = np.floor(line.o_hits / (2 * _TOL_S)).astype(np.int64)
    pairs, counts = np.unique(np.stack([slot, cell]), axis=1, return_counts=True)
    slots = np.unique(slot)
    strong = np.zeros(len(slots))
    np.add.at(strong, np.searchsorted(slots, pairs[0][counts >= 2]), 1.0)
    # a bin's neighbour half overlaps a line's window: both bins' pairs could be the line's
    return slots, np.minimum(1.0, 2.0 * strong * (2 * _TOL_S) / reach)


def _fine_lines(source_s: float) -> float:
    """How many of the fine speeds give different lines over a stretch of `source_s` seconds of the source.

    Two speeds put a stretch's hits on different lines only where they part by more than the line's width
    (2 * _TOL_S) within it: over 5 s the whole fine range (2.4%) parts by 0.12 s, so its 25 steps are about 2
    distinct lines, not 25 independent tests. Counting them all made a 5 s excerpt need ~12 times the evidence.
    """
    return float(min(len(_FINE), 1.0 + np.ptp(_FINE) * source_s / (2 * _TOL_S)))


def _reuse(source: str, user: str, line: _Line, run: np.ndarray, query: Query, source_s: float) -> Reuse:
    pairs = line.pairs[run]
    t_use = query.times[pairs]
    duration = query.duration
    first, last = float(t_use.min()), float((t_use + query.dt[pairs]).max())
    aligned = len(np.unique(_moments(t_use)))
    # The first and last aligned moments lie inside the excerpt, on average one spacing between moments from its
    # ends (k moments spread over a stretch leave k + 1 gaps): under speech, moments are a second apart and the
    # raw ends fell up to 0.95 s short.
    margin = (last - first) / max(aligned - 1, 1)
    use = Span(max(0.0, first - margin), min(duration, last + margin))
    src = Span(max(0.0, line.speed * (use.start - line.offset)), min(source_s, line.speed * (use.end - line.offset)))
    return Reuse(source=source, user=user, kind=ReuseKind.AUDIO, source_span=src, user_span=use,
                 share=use.length / duration if duration > 0 else 0.0, score=aligned / max(use.length, 1.0),
                 evidence=_evidence(source, user, src, use, line.speed))


def index_peaks(index: SoundIndex, key: str, peaks: Peaks) -> None:
    """Add a piece to the index from its stored peaks."""
    index.add(key, landmarks(peaks))
