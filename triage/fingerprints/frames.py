"""Perceptual hashes of images and frames (pHash), their comparison, and near-frame candidate pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image

from triage.domain import Frame

# A frame whose 32x32 grayscale thumbnail varies less than this (0..255 scale) is blank: black, white or
# one flat colour. Its pHash is noise, and every fade-to-black would otherwise "match" every other one.
_BLANK_STD = 2.0
# Per-frame Hamming distance ramp: at or below STRICT a frame surely matches, at or above LOOSE it surely
# does not. Re-encodes, resizes and trims move pHash by 0-10 bits, strong recolouring up to ~16 (pHash sees
# luma only); unrelated pictures sit near 32 of 64 (the closest of many rarely below 20). Different moments
# of one video with a fixed layout can be only 8-16 apart, which is why frames are paired one to one.
MATCH_STRICT = 10
MATCH_LOOSE = 16
# A paired frame counts as "the same picture" for the curator's evidence when its score is at least one half
# (13 bits off or closer): nearer the sure end of the ramp than the unsure one.
SAME_PICTURE = 0.5
# Frames are sampled at keyframes, not at the same moments in two copies, so the pairs of one copy's pictures
# with the other's disagree on the time between them by a fraction of a second: a shift counts when at least
# half the pairs lie within this of their median.
_SHIFT_AGREE_S = 0.5
# Odd horizontal DCT frequencies change sign when a picture is flipped left-right; in imagehash's
# row-major 8x8 bit layout (most significant bit first) those are the odd columns.
_ODD_COLUMNS = int("".join("01" * 4) * 8, 2)
MIRROR = np.uint64(_ODD_COLUMNS)  # the same bits, to XOR into arrays of hashes
# Letterbox and pillarbox bars, and the plain borders an image gains on re-upload, are trimmed before hashing:
# a line is a border while it varies less than _BORDER_STD along its length (0..255, room for compression noise)
# and stays within _BORDER_SHIFT of the outermost line's level. At most _MAX_TRIM of each side goes, so a mostly
# flat picture keeps its middle.
_BORDER_STD = 6.0
_BORDER_SHIFT = 12.0
_MAX_TRIM = 0.35


def _gray32(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).convert("L").resize((32, 32))


def image_phash(rgb: np.ndarray) -> int:
    """64-bit perceptual hash (imagehash.phash, grayscale DCT) of an RGB uint8 image, as a Python int."""
    return int(str(imagehash.phash(Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)))), 16)


def mirrored_phash(rgb: np.ndarray) -> int:
    """pHash of the left-right flipped image, so a mirrored copy can be matched."""
    return image_phash(np.ascontiguousarray(rgb[:, ::-1]))


def is_blank(rgb: np.ndarray) -> bool:
    """True for a frame with no picture content (black, white or one flat colour)."""
    return float(np.asarray(_gray32(rgb), dtype=np.float32).std()) < _BLANK_STD


def trim_borders(rgb: np.ndarray) -> np.ndarray:
    """The picture inside flat bars or borders on any side (a view, not a copy); the whole picture when none."""
    gray = np.asarray(Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).convert("L"), dtype=np.float32)
    top, bottom = _border_runs(gray)
    left, right = _border_runs(gray.T)
    h, w = gray.shape
    return rgb[top:h - bottom, left:w - right]


def _border_runs(gray: np.ndarray) -> tuple[int, int]:
    """How many rows at the top and at the bottom are border."""
    flat, level = gray.std(axis=1) < _BORDER_STD, gray.mean(axis=1)
    limit = int(_MAX_TRIM * len(gray))

    def run(lines: np.ndarray, levels: np.ndarray) -> int:
        border = lines & (np.abs(levels - levels[0]) < _BORDER_SHIFT)
        return min(limit, len(border) if border.all() else int(np.argmin(border)))

    return run(flat, level), run(flat[::-1], level[::-1])


def frame_phashes(frames: list[Frame]) -> list[tuple[float, int]]:
    """(time, pHash) for each representative frame, bars and borders trimmed; blank frames are left out because
    they prove nothing."""
    return [(f.time, image_phash(trim_borders(f.rgb))) for f in frames if not is_blank(f.rgb)]


def phash_distance(a: int, b: int) -> int:
    """Hamming distance between two 64-bit hashes, 0 (same) to 64."""
    return (int(a) ^ int(b)).bit_count()


def approx_mirror(h: int) -> int:
    """Estimate the pHash of the mirrored picture from the hash alone (off by a few bits near the median)."""
    return int(h) ^ _ODD_COLUMNS


def informative(hashes: list[tuple[float, int]]) -> np.ndarray:
    """The hashes that can be evidence, as uint64: one with (almost) no bits on one side is a flat picture's."""
    values = [h for _, h in hashes if 2 <= int(h).bit_count() <= 62]
    return np.array(values, dtype=np.uint64)


def _informative_times(hashes: list[tuple[float, int]]) -> list[float]:
    """The times of the hashes `informative` keeps, in the same order."""
    return [float(t) for t, h in hashes if 2 <= int(h).bit_count() <= 62]


# The one-to-one pairing of the smaller set's frames (rows) with the other's (columns), and each pair's score.
_Pairing = tuple[float, np.ndarray, np.ndarray, np.ndarray]
_UNPAIRED: _Pairing = (0.0, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


def _frame_match(short: np.ndarray, long: np.ndarray) -> _Pairing:
    from scipy.optimize import linear_sum_assignment  # scipy comes with imagehash

    dist = np.bitwise_count(short[:, None] ^ long[None, :]).astype(np.float64)
    score = np.clip((MATCH_LOOSE - dist) / (MATCH_LOOSE - MATCH_STRICT), 0.0, 1.0)
    if not score.any():
        return _UNPAIRED  # the common case, unrelated videos: skip the assignment
    # One frame of the other video vouches for one frame only: otherwise a shared intro, in a video
    # whose moments resemble each other, would "match" the whole shorter video.
    rows, cols = linear_sum_assignment(score, maximize=True)
    paired = score[rows, cols]
    return float(paired.sum() / len(short)), rows, cols, paired


@dataclass(frozen=True)
class FramesMatch:
    """The frames test's score and what its pairing found: how many of the smaller set's informative frames show
    the same picture (SAME_PICTURE) in the other, of how many; whether the second's pictures were mirrored; how
    many seconds later the second's pictures come than the first's (negative: earlier; 0 when the pairs do not
    agree on one shift); and whether the later one shows no picture before that, a blank intro (blank frames
    are never hashed)."""

    score: float
    matched: int = 0
    compared: int = 0
    mirrored: bool = False
    shift: float = 0.0
    blank_intro: bool = False


def frames_similarity(a: list[tuple[float, int]], b: list[tuple[float, int]]) -> float:
    """0..1: share of the shorter video's frames that find a near-identical frame in the other.

    Frames are paired one to one (best total match); order and timing are ignored, so trims, intros and
    re-cuts still match, and a left-right mirrored copy matches too. Blank frames are never counted.
    """
    return _best_pairing(a, b)[0][0]


def frames_match(a: list[tuple[float, int]], b: list[tuple[float, int]]) -> FramesMatch:
    """`frames_similarity` with what its pairing found (see FramesMatch)."""
    (score, rows, cols, paired), mirrored, a_short, compared = _best_pairing(a, b)
    if score == 0.0:
        return FramesMatch(0.0)
    same = paired >= SAME_PICTURE
    rows, cols = rows[same].tolist(), cols[same].tolist()
    ia, ib = (rows, cols) if a_short else (cols, rows)
    shift, blank = _shift(_informative_times(a), _informative_times(b), ia, ib)
    return FramesMatch(score, len(rows), compared, mirrored, shift, blank)


def _best_pairing(a: list[tuple[float, int]], b: list[tuple[float, int]]) -> tuple[_Pairing, bool, bool, int]:
    """The better of the plain and the mirrored pairing, whether it is the mirrored one, whether a has the fewer
    informative frames, and how many that one has."""
    ha, hb = informative(a), informative(b)
    if len(ha) == 0 or len(hb) == 0:
        return _UNPAIRED, False, True, 0
    a_short = len(ha) <= len(hb)
    short, long = (ha, hb) if a_short else (hb, ha)
    plain = _frame_match(short, long)
    mirror = _frame_match(short, long ^ MIRROR)  # approx_mirror of every hash at once
    mirrored = mirror[0] > plain[0]  # a tie keeps the plain reading
    return (mirror if mirrored else plain), bool(mirrored), a_short, len(short)


def _shift(ta: list[float], tb: list[float], ia: list[int], ib: list[int]) -> tuple[float, bool]:
    """How much later b's pictures come than a's, the median over the same-picture pairs (`ia[k]`, `ib[k]`) when
    most agree on it, and whether the later piece has no picture before then. Plain Python: a dozen pairs take
    a few microseconds this way, several times less than through numpy."""
    if not ia:
        return 0.0, False
    offsets = sorted(tb[j] - ta[i] for i, j in zip(ia, ib, strict=True))
    n = len(offsets)
    shift = (offsets[(n - 1) // 2] + offsets[n // 2]) / 2
    if 2 * sum(abs(o - shift) <= _SHIFT_AGREE_S for o in offsets) < n:
        return 0.0, False
    early, late = (ta, tb) if shift > 0 else (tb, ta)
    return shift, min(late) >= min(early) + abs(shift) - _SHIFT_AGREE_S


def near_frame_pairs(frame_sets: Sequence[list[tuple[float, int]]], min_share: float = 0.0,
                     block: int = 16_384) -> set[tuple[int, int]]:
    """Index pairs (i < j) of frame sets where at least `min_share` of the smaller set's informative frames
    (and never fewer than one) have a near frame, or a near mirrored frame, in the other. `frames_similarity`
    can reach `min_share` only for these pairs, and they are found without comparing the sets pairwise: an
    exact Hamming range search (FAISS, compiled popcounts) of every hash among the later hashes and their
    mirror images, `block` query hashes at a time.
    """
    import faiss  # the vector-index library; imported here so fingerprinting alone never loads it

    kept = [informative(frames) for frames in frame_sets]
    sizes = np.array([len(k) for k in kept], dtype=np.int64)
    n = int(sizes.sum())
    if not n:
        return set()
    hashes = np.concatenate(kept)
    owner = np.repeat(np.arange(len(kept)), sizes)
    # Hash k and its mirror image side by side (rows 2k and 2k + 1): d(h, mirror(g)) == d(mirror(h), g), so
    # searching plain hashes among both finds every plain and mirrored match.
    both = np.stack([hashes, hashes ^ MIRROR], axis=1).reshape(-1)
    found = []
    for start in range(0, n, block):
        index = faiss.IndexBinaryFlat(64)  # each block meets only itself and the later hashes: half the work
        index.add(as_codes(both[2 * start:]))
        limits, _, ids = index.range_search(as_codes(hashes[start:start + block]), MATCH_LOOSE)  # strictly below
        rows = start + np.repeat(np.arange(len(limits) - 1), np.diff(limits).astype(np.int64))
        cols = start + ids // 2
        keep = (rows < cols) & (owner[rows] != owner[cols])
        found.append(distinct(rows[keep] * n + cols[keep]))  # each hash pair once, plain or mirrored
    pairs = distinct(np.concatenate(found))
    a, b = owner[pairs // n], owner[pairs % n]  # a < b: owners rise with the hash index
    sets, counts = np.unique(a * len(kept) + b, return_counts=True)
    i, j = sets // len(kept), sets % len(kept)
    need = np.maximum(1, np.ceil(min_share * np.minimum(sizes[i], sizes[j])))
    ok = counts >= need
    return set(zip(i[ok].tolist(), j[ok].tolist(), strict=True))


def as_codes(hashes: np.ndarray) -> np.ndarray:
    """64-bit hashes as the (n, 8) byte codes FAISS binary indexes take (Hamming distance is byte-order free)."""
    return np.ascontiguousarray(hashes, dtype=np.uint64).view(np.uint8).reshape(-1, 8)


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values. np.unique does the same, but numpy 2.4 hashes int64 first and took 20 s for
    10 million codes where sorting takes 0.8 s."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered
