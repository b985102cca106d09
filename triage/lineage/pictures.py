"""Partial reuse of pictures: the segments of indexed videos (picture_index.py) that a query video shows.

Frame hashes are indexed by four 16-bit bands, so a frame re-encoded, scaled or captioned (a few to ~12 bits off)
almost always shares a band with its original somewhere in a 2 s run of 8 frames. Band hits vote on (piece, view,
offset); each well-voted cell is checked frame by frame: a stretch of query frames near their aligned source
frames is evidence only when it is also *specific to that moment*, i.e. clearly nearer than the same source a
second or more away. A still picture (a talking head, a title card) is as near at every offset and so proves
nothing, however alike two of them look: stills are left to the duplicate finder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.fingerprints.frames import MATCH_LOOSE, MATCH_STRICT
from triage.lineage.frame_track import FrameTrack
from triage.lineage.picture_index import BANDS, VIEWS, PictureIndex, band_keys, informative, view_values
from triage.lineage.types import Reuse, ReuseKind, Span, distinct
from triage.timefmt import clock

_UPPER_VIEWS = (2, 3)  # places in picture_index.VIEWS
_CROPPED_VIEWS = (1, 3)
_COARSE_S = 1.0
# Two query frames agreeing on a piece and offset make a cell worth checking; one band of 16 bits is shared by
# chance with 1 in 65,536 frames, so a lone hit is mostly chance, and the check below is what decides.
_MIN_VOTES = 2
_CELLS_PER_PIECE = 4  # segments of one source at different offsets
_MAX_CANDIDATES = 300
# Frames are sampled at their own moments in each copy (4 a second, keyframe timing aside): a query frame is
# compared with the source frames within this much of its aligned time, and the nearest counts.
_SLACK_S = 0.3
# A frame is the same picture below MATCH_LOOSE bits (fingerprints.frames: re-encodes, resizes and trims move
# pHash by 0-10 bits, unrelated pictures sit near 32 and rarely come below 20).
_NEAR = MATCH_LOOSE
# A stretch may have a few frames hidden (a caption appearing, a flash): up to this long a run of far frames.
_MAX_GAP_S = 1.0
_MIN_SEGMENT_S = 1.5  # segments of 2 s are reported; sampling puts the measured ends up to 0.25 s inside each
# Specificity: on average the aligned frames must be this many bits nearer than the best offset a second or more
# away. Re-encoding noise is up to MATCH_STRICT bits; moving pictures a second apart differ by more than that
# again, while a still differs from itself a second later by noise alone. (Measured: planted segments under the
# changes in the tests 9.5-16.6 bits nearer; two synthetic people's talking heads, 10 bits apart, 3.2-4.3.)
_SPECIFIC_BITS = MATCH_STRICT / 2
_SHIFTS_S = (-3.0, -2.0, -1.0, 1.0, 2.0, 3.0)
# A 2 s run at 4 frames a second has 8. An unrelated frame comes within _NEAR bits of a given one with odds of
# about 1e-5 for independent bits, and still well under 1e-2 for real pictures' correlated ones; 5 at one offset
# is beyond chance across any archive.
_MIN_FRAMES = 5
# A stretch's evidence: how far under _NEAR its frames come, summed. The least the matcher accepts is _MIN_FRAMES
# frames at re-encoding noise (MATCH_STRICT); frames nearer the bar must be more of them. (Measured on three lineage
# corpora: every planted segment found, 2.5-5.4 s under two changes at once, had a stretch of 114 or more; a 1.8 s
# stretch of two unrelated animations, one mirrored, 16.)
_MIN_EVIDENCE = _MIN_FRAMES * (_NEAR - MATCH_STRICT)


@dataclass(frozen=True)
class _Cell:
    piece: int
    mirrored: bool
    view: int
    offset: float  # query time - source time


def _candidates(index: PictureIndex, track: FrameTrack, skip: int | None) -> list[_Cell]:
    """The best-voted (piece, mirrored, view, coarse offset) cells, a few distinct offsets per piece."""
    rows = np.nonzero(informative(track))[0]
    votes: dict[tuple[int, int, int, int], int] = {}
    for mirrored, upper in ((0, False), (1, False), (0, True), (1, True)):
        values = _query_values(track, bool(mirrored), upper)
        q, piece, t_source, view = index.lookup(band_keys(values[rows]).reshape(-1))
        mine = (piece != (-1 if skip is None else skip)) & (np.isin(view, _UPPER_VIEWS) == upper)
        offset = np.round((track.times[rows[q // BANDS]] - t_source) / _COARSE_S).astype(np.int64)
        if not mine.any():
            continue
        for (p, v, o), n in _voted_cells(q[mine] // BANDS, piece[mine], view[mine], offset[mine]):
            votes[(p, mirrored, v, o)] = n
    chosen: dict[int, list[tuple[int, int, int]]] = {}
    for (p, m, v, o), _n in sorted(votes.items(), key=lambda kv: -kv[1]):
        taken = chosen.setdefault(p, [])
        # a neighbouring offset of the same view is the same segment, which _refine searches
        if len(taken) < _CELLS_PER_PIECE and not any((m, v) == (mm, vv) and abs(o - oo) <= 1 for mm, vv, oo in taken):
            taken.append((m, v, o))
    ranked = sorted(((votes[(p, m, v, o)], p, m, v, o) for p, cells in chosen.items() for m, v, o in cells),
                    reverse=True)
    return [_Cell(p, bool(m), v, o * _COARSE_S) for _, p, m, v, o in ranked[:_MAX_CANDIDATES]]


def _voted_cells(frame: np.ndarray, piece: np.ndarray, view: np.ndarray,
                 offset: np.ndarray) -> list[tuple[tuple[int, int, int], int]]:
    """The (piece, view, offset) cells that _MIN_VOTES query frames or more vote for, in that order, with their
    votes: one query frame voting for one cell through several bands or source frames is one vote. The hits are
    coded as one int64 each, (piece, view, offset, frame) in that order of significance, so one sort of the codes
    finds both the distinct votes and, in order, the cells."""
    low = int(offset.min())
    spans = (len(VIEWS), int(offset.max()) - low + 1, int(frame.max()) + 1)
    assert (int(piece.max()) + 1) * spans[0] * spans[1] * spans[2] < 2**63, "cells beyond int64"
    code = ((piece.astype(np.int64) * spans[0] + view) * spans[1] + (offset - low)) * spans[2] + frame
    cell = np.unique(code) // spans[2]  # sorted, so each cell's distinct frames lie together
    starts = np.flatnonzero(np.concatenate([[True], cell[1:] != cell[:-1]]))
    counts = np.diff(np.append(starts, len(cell)))
    strong = counts >= _MIN_VOTES
    found, n = cell[starts[strong]], counts[strong]
    piece_view, off = np.divmod(found, spans[1])
    p, v = np.divmod(piece_view, spans[0])
    return [((a, b, c + low), k) for a, b, c, k in zip(p.tolist(), v.tolist(), off.tolist(), n.tolist(), strict=True)]


def _query_values(track: FrameTrack, mirrored: bool, upper: bool) -> np.ndarray:
    """The query's hashes compared with a view: its upper part's for the upper view, else its whole picture's."""
    if upper:
        return track.upper_mirrored if mirrored else track.upper
    return track.mirrored if mirrored else track.plain


def _source_values(track: FrameTrack, view: int) -> np.ndarray:
    return view_values(track)[view]


def _aligned_distance(query: np.ndarray, t_query: np.ndarray, source: FrameTrack, usable: np.ndarray,
                      values: np.ndarray, offset: float) -> np.ndarray:
    """For each query frame, the fewest differing bits to any usable source frame within _SLACK_S of its aligned
    time (64 where there is none)."""
    t_src = source.times[usable]
    h_src = values[usable]
    want = t_query - offset
    lo = np.searchsorted(t_src, want - _SLACK_S, "left")
    hi = np.searchsorted(t_src, want + _SLACK_S, "right")
    best = np.full(len(query), 64, dtype=np.int64)
    width = int((hi - lo).max()) if len(lo) else 0
    for k in range(width):
        at = lo + k
        ok = at < hi
        d = np.bitwise_count(query[ok] ^ h_src[at[ok]]).astype(np.int64)
        best[ok] = np.minimum(best[ok], d)
    return best


def _refine(q_values: np.ndarray, t_query: np.ndarray, source: FrameTrack, usable: np.ndarray,
            values: np.ndarray, offset: float) -> tuple[float, np.ndarray]:
    """The offset within a coarse cell where most query frames are near, and their distances there."""
    best: tuple[int, float, np.ndarray] = (-1, offset, np.zeros(0))
    for step in np.arange(-_COARSE_S, _COARSE_S + 1e-9, 0.125):
        d = _aligned_distance(q_values, t_query, source, usable, values, offset + step)
        near = int((d < _NEAR).sum())
        if near > best[0]:
            best = (near, offset + step, d)
    return best[1], best[2]


def enough_evidence(distances: np.ndarray) -> bool:
    """Whether a stretch of near frames (their bits from the source) is evidence: see _MIN_EVIDENCE."""
    return float(np.sum(_NEAR - distances)) >= _MIN_EVIDENCE


def _runs(near: np.ndarray, times: np.ndarray) -> list[np.ndarray]:
    """Index arrays of the near frames grouped into stretches with gaps of at most _MAX_GAP_S."""
    idx = np.nonzero(near)[0]
    if not len(idx):
        return []
    cuts = np.nonzero(np.diff(times[idx]) > _MAX_GAP_S)[0] + 1
    return [r for r in np.split(idx, cuts) if len(r)]


def _specific(q_values: np.ndarray, t_query: np.ndarray, source: FrameTrack, usable: np.ndarray,
              values: np.ndarray, offset: float, aligned: np.ndarray) -> bool:
    """Whether the frames are clearly nearer at `offset` than the same source at other offsets (see
    _SPECIFIC_BITS). Shifts that fall off the source entirely are not alternatives."""
    here = float(np.mean(aligned))
    others = []
    for shift in _SHIFTS_S:
        d = _aligned_distance(q_values, t_query, source, usable, values, offset + shift)
        covered = d < 64
        if covered.sum() >= max(2, len(d) // 2):
            others.append(float(np.mean(d[covered])))
    return bool(others) and min(others) - here >= _SPECIFIC_BITS


def match(index: PictureIndex, key: str, track: FrameTrack) -> list[Reuse]:
    """Every segment (>= 2 s) of an indexed video that the query video `key` (its frame `track`) shows.

    source = the indexed video, user = the query. Query time that shows a platform asset (index.assets) is masked
    and gives no edge to anyone; an asset query gives none.
    """
    if key in index.assets or not informative(track).any():
        return []
    rows = np.nonzero(informative(track))[0]
    t_query = track.times[rows]
    found: list[tuple[str, _Cell, Span, float, float]] = []  # source, cell, query span, offset, mean distance
    sources: dict[int, FrameTrack | None] = {}  # a piece's cells share its track (which the index may read from disk)
    for cell in _candidates(index, track, index.number(key)):
        if cell.piece not in sources:
            sources[cell.piece] = index.track(cell.piece)
        source = sources[cell.piece]
        if source is None:  # removed from the store since it was indexed
            continue
        usable = np.nonzero(informative(source))[0]
        q_values = _query_values(track, cell.mirrored, cell.view in _UPPER_VIEWS)[rows]
        values = _source_values(source, cell.view)
        offset, dist = _refine(q_values, t_query, source, usable, values, cell.offset)
        offset = float(offset)
        for run in _runs(dist < _NEAR, t_query):
            if len(run) < _MIN_FRAMES or t_query[run[-1]] - t_query[run[0]] < _MIN_SEGMENT_S:
                continue
            if not enough_evidence(dist[run]):
                continue
            if not _specific(q_values[run], t_query[run], source, usable, values, offset, dist[run]):
                continue
            use = Span(float(t_query[run[0]]), min(track.duration, float(t_query[run[-1]]) + 1.0 / _rate(track)))
            found.append((index.key(cell.piece) or "", cell, use, offset, float(np.mean(dist[run]))))
    mask = [use for name, _, use, _, _ in found if name in index.assets]
    reuses = []
    for name, cell, use, offset, mean in found:
        left = _unmasked(use, mask)
        if name not in index.assets and left is not None:
            reuses.append(_reuse(name, key, cell, left, offset, mean, track.duration))
    return distinct(reuses)


def _reuse(source: str, user: str, cell: _Cell, use: Span, offset: float, mean: float, duration: float) -> Reuse:
    src = Span(max(0.0, use.start - offset), use.end - offset)
    how = [w for w, on in (("mirrored", cell.mirrored), ("zoomed or cropped", cell.view in _CROPPED_VIEWS)) if on]
    note = f" ({', '.join(how)})" if how else ""
    evidence = (f"{source}'s pictures for {clock(src.start)}-{clock(src.end)} in {user}'s "
                f"{clock(use.start)}-{clock(use.end)}{note}")
    return Reuse(source=source, user=user, kind=ReuseKind.VIDEO, source_span=src, user_span=use,
                 share=use.length / duration if duration > 0 else 0.0, score=1.0 - mean / _NEAR, evidence=evidence)


def _rate(track: FrameTrack) -> float:
    gaps = np.diff(track.times)
    return float(1.0 / np.median(gaps)) if len(gaps) and np.median(gaps) > 0 else 4.0


def _unmasked(use: Span, mask: list[Span]) -> Span | None:
    """The query span less any time an asset covers (its longest remaining part); None when too little is left."""
    parts = [(use.start, use.end)]
    for m in mask:
        parts = [piece for a, b in parts for piece in ((a, min(b, m.start)), (max(a, m.end), b)) if piece[1] > piece[0]]
    if not parts:
        return None
    a, b = max(parts, key=lambda p: p[1] - p[0])
    return Span(a, b) if b - a >= _MIN_SEGMENT_S else None
