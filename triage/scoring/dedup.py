"""Duplicate groups from content fingerprints: same bytes, re-encodes, trims, re-typed texts.

A pair is a duplicate only when the modality that carries the content agrees: the words for texts
(MinHash), the sound for anything with speech and for audio without pictures (Chromaprint), the pictures for
silent videos and images (pHash), both sound and pictures for videos whose audio is not speech. A shared
background, intro, voice or template therefore never groups two different pieces. Curator "not a duplicate"
pairs always win.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from triage.domain import MediaType
from triage.fingerprints import (
    BAND_CLOCK,
    CHROMAPRINT_CLOCK,
    NO_MATCH,
    AudioMatch,
    ItemClock,
    audio_match,
    frames_match,
    minhash_similarity,
    near_frame_pairs,
    sampled_frame_pairs,
    tempo_match,
)
from triage.scoring.evidence import EdgeDetail, edge_detail, frames_facts, sound_facts, words_detail
from triage.scoring.types import Fingerprint, Item


@dataclass(frozen=True)
class DedupParams:
    text_min: float = 0.5  # estimated Jaccard of character shingles; retyped copies sit far above
    audio_min: float = 0.3  # audio_similarity maps chance to 0
    # Chromaprint makes ~8 items a second after a start-up delay; below ~6 s of items it cannot judge, and the
    # fine band hash decides instead. Measured on espeak speech: copies (mp3/ogg/flac/m4a at 32 kbit/s) scored
    # 0.65-1.0 on the band hash, the same sentence in another voice of the same synthesiser 0.16-0.49, other
    # sentences 0.0; the bar sits between with a margin on both sides.
    chromaprint_min_items: int = 48
    band_min: float = 0.6
    frames_min: float = 0.6  # share of the shorter video's frames found in the other
    min_duration_ratio: float = 0.5  # a trim keeps at least half of the piece
    min_text_len_ratio: float = 0.5
    semantic_guard: float = 0.5  # word vectors of two duplicates are at least this similar (when known)
    # For sound matches the guard only vetoes words that flatly disagree. Measured with Whisper tiny.en on
    # three built corpora: chromaprint alone put every one of ~4400 non-duplicate pairs at 0.0, while the
    # transcripts of true re-encodes of short pieces fell as low as 0.34 cosine (mishearings differ per
    # encoding); unrelated words sit near 0 in MiniLM space, so 0.2 keeps a margin on both sides.
    semantic_guard_audio: float = 0.2
    # Sound this close is a copy whatever Whisper made of it: a telephone-band copy's transcript can share
    # nothing with the original's (measured 0.09 cosine at sound score 0.94). Copies score 0.55-1.0, other
    # pairs at most 0.49 on the band hash and 0.0 on Chromaprint (ten built corpora, RESULTS.md session 5).
    sound_sure: float = 0.9
    lsh_above: int = 300  # pools of texts larger than this use MinHash banding for candidates
    lsh_rows: int = 2
    # Pools with more timed pieces than this find sound pairs through the Chromaprint or band-hash items they
    # share exactly, instead of comparing every pair in the duration window. Measured on six built corpora
    # (re-encodes at 32 kbit/s, trims, gain changes), per kind of item: true copies share 39% or more of the
    # smaller piece's items of one kind, other pairs at most 5.3%; the bar sits between with a margin both ways.
    sound_lsh_above: int = 300
    # A copy played faster or slower shares few sound items bit for bit, but its words come through: in a big
    # pool, spoken pieces whose transcripts' MinHash share a band of this many rows are compared too (a pair
    # sharing 60% of its words' shingles meets with 99% chance, one sharing 5% with 0.02%).
    words_lsh_rows: int = 4
    sound_key_share: float = 0.1
    sound_key_min: int = 3
    common_key_share: float = 0.05  # a key in more than this share of pieces (silence, hum) is no evidence
    # Pools with more frame hashes than this (about 10,000 videos of 12 frames) find near frames through
    # sampled-bit tables instead of one exact sweep over every pair of hashes. Up to here the exact sweep costs
    # about 10 s on 2 cores, in a background re-score, and its answer is certain; beyond, it grows with the square
    # (about 80 s at 30,000 videos, 10 minutes at 100,000; benchmarks/RESULTS.md, session 8). A copy that only
    # just passes the frames test, 8 or more frames, is then missed with chance at most frame_miss (for frames
    # off in independent bits); pieces with fewer frames are still searched exactly.
    frame_sample_above: int = 120_000
    frame_miss: float = 1e-6


@dataclass(frozen=True)
class DuplicateEdge:
    a: str
    b: str
    kind: str  # "exact" | "text" | "audio" | "frames" | "audio+frames"
    score: float
    detail: EdgeDetail | None = None  # None for "exact" and for edges kept before details existed

    def __post_init__(self) -> None:
        # A kept snapshot (service/rescore.py) is read back from JSON, where the detail is a plain dict.
        if isinstance(self.detail, dict):
            object.__setattr__(self, "detail", EdgeDetail(**self.detail))


@dataclass(frozen=True)
class DuplicateGroup:
    representative: str
    members: tuple[str, ...]  # representative first, then the others by id
    edges: tuple[DuplicateEdge, ...]


def find_duplicates(fingerprints: Sequence[Fingerprint], *, not_duplicates: Iterable[tuple[str, str]] = (),
                    items: Mapping[str, Item] | None = None, vectors: Mapping[str, np.ndarray] | None = None,
                    params: DedupParams | None = None) -> list[DuplicateGroup]:
    """Groups of two or more duplicates, sorted by representative id.

    `items` (by id) supply quality and upload time for the representative (best quality, then earliest,
    then smallest id), and their words' lengths. `vectors` (unit word vectors by id) veto pairs whose words disagree.
    """
    p = params or DedupParams()
    fps = {f.submission_id: f for f in fingerprints}
    edges = []
    for a, b in sorted(_candidates(list(fps.values()), p)):
        edge = compare(fps[a], fps[b], p)
        if edge and not _vetoed(edge, vectors, items, p):
            edges.append(edge)
    forbidden = defaultdict(set)
    for a, b in not_duplicates:
        forbidden[a].add(b)
        forbidden[b].add(a)
    members = _constrained_union(edges, forbidden)
    groups = []
    for group in members:
        rep = min(group, key=lambda i: _rank_key(i, items))
        inside = tuple(e for e in edges if e.a in group and e.b in group)
        groups.append(DuplicateGroup(rep, (rep, *sorted(group - {rep})), inside))
    return sorted(groups, key=lambda g: g.representative)


def compare(a: Fingerprint, b: Fingerprint, params: DedupParams | None = None) -> DuplicateEdge | None:
    """The evidence that two submissions are the same piece, or None."""
    p = params or DedupParams()
    x, y = sorted((a, b), key=lambda f: f.submission_id)
    if x.sha256 and x.sha256 == y.sha256:
        return DuplicateEdge(x.submission_id, y.submission_id, "exact", 1.0)
    kind, score, detail = _judge(x, y, p)
    return DuplicateEdge(x.submission_id, y.submission_id, kind, score, detail) if kind else None


def _has_sound(f: Fingerprint) -> bool:
    return any(h is not None and len(h) > 0 for h in (f.audio, f.audio_bands))


def _has_audio(f: Fingerprint) -> bool:
    return _has_sound(f) and f.has_speech is not False


_Verdict = tuple[str, float, EdgeDetail | None]
_NOT_A_COPY: _Verdict = ("", 0.0, None)


def _judge(x: Fingerprint, y: Fingerprint, p: DedupParams) -> _Verdict:
    if MediaType.TEXT in (x.media_type, y.media_type):
        if x.media_type != y.media_type or x.minhash is None or y.minhash is None:
            return _NOT_A_COPY
        if min(x.text_len, y.text_len) < p.min_text_len_ratio * max(x.text_len, y.text_len):
            return _NOT_A_COPY
        s = minhash_similarity(x.minhash, y.minhash)
        return ("text", s, words_detail(s, x, y)) if s >= p.text_min else _NOT_A_COPY
    if not _durations_agree(x.duration, y.duration, p):
        return _NOT_A_COPY
    if _has_audio(x) or _has_audio(y):
        # Speech (or unknown sound) carries the piece: it must match, whatever the pictures do.
        if not (_has_audio(x) and _has_audio(y)):
            return _NOT_A_COPY
        return _by_sound(x, y, p)
    sound = [f for f in (x, y) if _has_sound(f)]
    if not x.frames and not y.frames and len(sound) == 2:
        # Nothing to see on either side (a song, an instrumental, ambience): the sound alone carries the piece.
        return _by_sound(x, y, p)
    if not x.frames or not y.frames:
        return _NOT_A_COPY  # pictures on one side only: a different cut, or a music bed under someone's video
    fm = frames_match(x.frames, y.frames)
    if fm.score < p.frames_min:
        return _NOT_A_COPY
    if len(sound) == 2:  # music or ambience: the pictures AND the sound must both agree
        m, clock = _sound_match(x, y, p)
        if m.score < p.audio_min:
            return _NOT_A_COPY
        detail = edge_detail(x, y, sound_facts(m, clock, x, y), frames_facts(fm))
        return "audio+frames", min(m.score, fm.score), detail
    if len(sound) == 1 and x.media_type == y.media_type == MediaType.VIDEO:
        return _NOT_A_COPY  # one has a soundtrack the other lacks: a different cut, not a copy
    return "frames", fm.score, edge_detail(x, y, frames_facts(fm))


def _by_sound(x: Fingerprint, y: Fingerprint, p: DedupParams) -> _Verdict:
    m, clock = _sound_match(x, y, p)
    if m.score < p.audio_min:
        return _NOT_A_COPY
    return "audio", m.score, edge_detail(x, y, sound_facts(m, clock, x, y))


def _sound_match(x: Fingerprint, y: Fingerprint, p: DedupParams) -> tuple[AudioMatch, ItemClock]:
    """Chromaprint when both tracks are long enough for it; otherwise the fine band hash of the first seconds,
    which has enough items for clips of a few seconds but must clear a higher bar (see DedupParams.band_min).
    A pair that misses the bar as played gets a second look with one stretched to the other's tempo. Returns
    the match and the clock of the hash that made it."""
    if all(f.audio is not None and len(f.audio) >= p.chromaprint_min_items for f in (x, y)):
        return _at_either_tempo(x.audio, y.audio, p.audio_min), CHROMAPRINT_CLOCK  # type: ignore[arg-type]
    if x.audio_bands is None or y.audio_bands is None or not len(x.audio_bands) or not len(y.audio_bands):
        both = x.audio is not None and y.audio is not None
        return (audio_match(x.audio, y.audio) if both else NO_MATCH), CHROMAPRINT_CLOCK  # type: ignore[arg-type]
    m = _at_either_tempo(x.audio_bands, y.audio_bands, p.band_min)
    return (m if m.score >= p.band_min else NO_MATCH), BAND_CLOCK


def _at_either_tempo(a: np.ndarray, b: np.ndarray, bar: float) -> AudioMatch:
    m = audio_match(a, b)
    if m.score >= bar:
        return m
    t = tempo_match(a, b)
    return t if t.score > m.score else m


def _durations_agree(a: float | None, b: float | None, p: DedupParams) -> bool:
    if not a or not b:
        return True
    return min(a, b) >= p.min_duration_ratio * max(a, b)


def _vetoed(edge: DuplicateEdge, vectors: Mapping[str, np.ndarray] | None, items: Mapping[str, Item] | None,
            p: DedupParams) -> bool:
    if edge.kind == "exact" or not vectors or edge.a not in vectors or edge.b not in vectors:
        return False
    sound = edge.kind in ("audio", "audio+frames")
    if sound and edge.score >= p.sound_sure:
        return False
    if sound and items and edge.a in items and edge.b in items:
        # Matching sound, one transcript far shorter: Whisper caught only part of the speech in one copy (a
        # telephone band, a noisy room), so its words say nothing either way. Words disagree in earnest only
        # when both transcripts caught about as much, by the same ratio two copies of a typed text must keep.
        heard = sorted(len(items[i].words.split()) for i in (edge.a, edge.b))
        if heard[0] < p.min_text_len_ratio * heard[1]:
            return False
    guard = p.semantic_guard_audio if sound else p.semantic_guard
    return float(np.dot(vectors[edge.a], vectors[edge.b])) < guard


def _rank_key(item_id: str, items: Mapping[str, Item] | None) -> tuple[float, float, str]:
    item = items.get(item_id) if items else None
    if item is None:
        return (0.0, float("inf"), item_id)
    return (-item.quality, item.created_at, item_id)


def _candidates(fps: list[Fingerprint], p: DedupParams) -> set[tuple[str, str]]:
    """Pairs worth comparing: same bytes always; texts with texts (MinHash bands when many); the rest within a
    duration window, or, in big pools, pieces that share sound items, words or near frames."""
    pairs: set[tuple[str, str]] = set()
    by_sha: dict[str, list[str]] = defaultdict(list)
    for f in fps:
        if f.sha256:
            by_sha[f.sha256].append(f.submission_id)
    for ids in by_sha.values():
        pairs.update(_all_pairs(ids))
    texts = [f for f in fps if f.media_type == MediaType.TEXT]
    if len(texts) > p.lsh_above:
        pairs.update(_lsh_pairs(texts, p.lsh_rows))
    else:
        pairs.update(_all_pairs([f.submission_id for f in texts]))
    timed = [f for f in fps if f.media_type != MediaType.TEXT]
    if len(timed) <= p.sound_lsh_above:
        pairs.update(_duration_window_pairs(timed, p))
        return pairs
    # A big pool: speech and audio-only pieces pair up through the sound items they share (or, spoken, through
    # their words), the rest (silent videos, images, music under pictures) through frames near each other.
    pairs.update(_sound_key_pairs([f for f in timed if _has_sound(f)], p))
    pairs.update(_lsh_pairs([f for f in timed if _has_audio(f)], p.words_lsh_rows))
    seen = [f for f in timed if f.frames and not _has_audio(f)]
    pairs.update(_pair(seen[i].submission_id, seen[j].submission_id) for i, j in _near_frame_candidates(seen, p))
    return pairs


def _near_frame_candidates(seen: list[Fingerprint], p: DedupParams) -> set[tuple[int, int]]:
    """Index pairs of pieces with enough near frames to pass the frames test: one exact sweep over all frame
    hashes while that is cheap, sampled-bit tables beyond."""
    frame_sets = [f.frames for f in seen]
    if sum(len(frames) for frames in frame_sets) <= p.frame_sample_above:
        return near_frame_pairs(frame_sets, p.frames_min)
    return sampled_frame_pairs(frame_sets, p.frames_min, p.frame_miss)


def _duration_window_pairs(fps: list[Fingerprint], p: DedupParams) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    timed = sorted(fps, key=lambda f: (f.duration or 0.0))
    for i, f in enumerate(timed):
        for g in timed[i + 1:]:
            if f.duration and g.duration and f.duration < p.min_duration_ratio * g.duration:
                break  # sorted by duration: every later one is longer still
            pairs.add(_pair(f.submission_id, g.submission_id))
    return pairs


def sound_keys(f: Fingerprint) -> dict[int, np.ndarray]:
    """The distinct 32-bit items of a piece's sound, by kind: 0 Chromaprint, 1 the band hash.

    Most items of a re-encoded, trimmed or quieter copy come through bit for bit; unrelated sound shares few."""
    keys: dict[int, np.ndarray] = {}
    for kind, hashes in enumerate((f.audio, f.audio_bands)):
        if hashes is not None and len(hashes):
            keys[kind] = np.unique(np.asarray(hashes, dtype=np.uint32)).astype(np.int64)
    return keys


def _sound_key_pairs(fps: list[Fingerprint], p: DedupParams) -> set[tuple[str, str]]:
    """Pairs sharing at least `sound_key_share` of the smaller piece's items of one kind.

    All items are sorted once; only runs of equal items (pieces that share one) are visited, so the work
    grows with what pieces share rather than with every pair of pieces."""
    sizes: dict[tuple[int, int], int] = {}
    values, owners = [], []
    for i, f in enumerate(fps):
        for kind, items in sound_keys(f).items():
            sizes[(i, kind)] = len(items)
            values.append((kind << 32) | items)
            owners.append(np.full(len(items), i, dtype=np.int64))
    if not values:
        return set()
    key = np.concatenate(values)
    order = np.argsort(key, kind="stable")
    key, owner = key[order], np.concatenate(owners)[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)]
    too_common = max(50, int(p.common_key_share * len(fps)))  # silence or hum: in everything, evidence of nothing
    useful = (ends - starts >= 2) & (ends - starts <= too_common)
    shared: dict[tuple[int, int, int], int] = defaultdict(int)
    for lo, hi in zip(starts[useful].tolist(), ends[useful].tolist(), strict=True):
        kind = int(key[lo]) >> 32
        members = sorted(owner[lo:hi].tolist())
        for x, a in enumerate(members):
            for b in members[x + 1:]:
                shared[(a, b, kind)] += 1
    return {_pair(fps[a].submission_id, fps[b].submission_id) for (a, b, kind), n in shared.items()
            if n >= max(p.sound_key_min, p.sound_key_share * min(sizes[(a, kind)], sizes[(b, kind)]))}


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _all_pairs(ids: list[str]) -> set[tuple[str, str]]:
    return {_pair(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if a != b}


def _lsh_pairs(texts: list[Fingerprint], rows: int) -> set[tuple[str, str]]:
    buckets: dict[tuple, list[str]] = defaultdict(list)
    for f in texts:
        if f.minhash is None:
            continue
        sig = np.asarray(f.minhash, dtype=np.uint64)
        for band in range(len(sig) // rows):
            buckets[(band, sig[band * rows:(band + 1) * rows].tobytes())].append(f.submission_id)
    pairs: set[tuple[str, str]] = set()
    for ids in buckets.values():
        if 1 < len(ids) <= 200:  # a giant bucket is an empty or boilerplate text, not evidence
            pairs.update(_all_pairs(ids))
    return pairs


def _constrained_union(edges: list[DuplicateEdge], forbidden: Mapping[str, set[str]]) -> list[set[str]]:
    """Union-find over edges, strongest first, refusing any merge that would join a curator's
    "not a duplicate" pair; returns the sets of two or more."""
    parent: dict[str, str] = {}
    members: dict[str, set[str]] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        members.setdefault(x, {x})
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in sorted(edges, key=lambda e: (-e.score, e.a, e.b)):
        ra, rb = find(e.a), find(e.b)
        if ra == rb or any(forbidden.get(m, set()) & members[rb] for m in members[ra]):
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members.pop(rb)
    return [set(m) for r, m in members.items() if parent[r] == r and len(m) > 1]
