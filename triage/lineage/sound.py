"""Partial reuse of sound: the excerpts of indexed pieces (sound_index.SoundIndex) that a query contains.

A query's pairs are hashed under each speed hypothesis (tempo-only and resample-style, 0.9x-1.1x in 2% steps),
looked up in the index, and every hit votes for (piece, hypothesis, time offset): sound_query.py. Here the
well-voted cells are refined over a fine speed grid; the hits that agree on one line t_query = offset +
t_source / speed are the evidence, split into stretches where they run without long gaps. A stretch counts only
when its moments with two or more aligned hits are more than chance gives that piece (a Poisson tail, corrected
for every cell looked at).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

from triage.lineage.landmarks import Peaks, landmarks
from triage.lineage.sound_index import SoundIndex
from triage.lineage.sound_query import COARSE_S, HYPOTHESES, Hits, Query, gathered, near, prepare
from triage.lineage.types import Reuse, ReuseKind, Span, distinct
from triage.timefmt import clock

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
class _Line:
    speed: float
    offset: float
    pairs: np.ndarray  # query pair numbers of the aligned hits
    t_source: np.ndarray
    t_hits: np.ndarray  # query times of all this piece's hits near the hypothesis, aligned or not
    o_hits: np.ndarray  # their offsets on the line's speed


def _fit_line(hits: Hits, pair_times: np.ndarray, piece: int, hyp: int, offset: float) -> _Line:
    """The best speed and offset near a coarse cell, and the hits that lie on it."""
    speed = HYPOTHESES[hyp][0]
    sel = np.isin(hits.hyp, near(hyp))  # hits holds this piece's hits only
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
        window = np.abs(o - offset) <= 2 * COARSE_S
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
    candidates, pieces_voted, per_piece = gathered(index, query, index.number(key))
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
    tests = pieces_voted * len(HYPOTHESES) * (reach / (2 * _TOL_S)) * max(1.0, query.duration / 3)
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
