"""Fingerprints for duplicate detection: exact (sha256), perceptual (pHash), acoustic (Chromaprint), text (MinHash).

Computing a fingerprint may touch a file or a native library; comparing two is always a pure function.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import unicodedata
import wave
from collections.abc import Sequence
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from triage.domain import Frame
from triage.errors import ModelUnavailable, ProcessingFailed

# ---------------------------------------------------------------- exact


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks so big videos never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- images and frames

# A frame whose 32x32 grayscale thumbnail varies less than this (0..255 scale) is blank: black, white or
# one flat colour. Its pHash is noise, and every fade-to-black would otherwise "match" every other one.
_BLANK_STD = 2.0
# Per-frame Hamming distance ramp: at or below STRICT a frame surely matches, at or above LOOSE it surely
# does not. Re-encodes, resizes and trims move pHash by 0-10 bits, strong recolouring up to ~16 (pHash sees
# luma only); unrelated pictures sit near 32 of 64 (the closest of many rarely below 20). Different moments
# of one video with a fixed layout can be only 8-16 apart, which is why frames are paired one to one.
_MATCH_STRICT = 10
_MATCH_LOOSE = 16
# Odd horizontal DCT frequencies change sign when a picture is flipped left-right; in imagehash's
# row-major 8x8 bit layout (most significant bit first) those are the odd columns.
_ODD_COLUMNS = int("".join("01" * 4) * 8, 2)


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


def frame_phashes(frames: list[Frame]) -> list[tuple[float, int]]:
    """(time, pHash) for each representative frame; blank frames are left out because they prove nothing."""
    return [(f.time, image_phash(f.rgb)) for f in frames if not is_blank(f.rgb)]


def phash_distance(a: int, b: int) -> int:
    """Hamming distance between two 64-bit hashes, 0 (same) to 64."""
    return (int(a) ^ int(b)).bit_count()


def approx_mirror(h: int) -> int:
    """Estimate the pHash of the mirrored picture from the hash alone (off by a few bits near the median)."""
    return int(h) ^ _ODD_COLUMNS


def _informative(hashes: list[tuple[float, int]]) -> np.ndarray:
    # A hash with (almost) no bits on one side is what a flat picture gives: never evidence.
    values = [h for _, h in hashes if 2 <= int(h).bit_count() <= 62]
    return np.array(values, dtype=np.uint64)


def _frame_match_score(short: np.ndarray, long: np.ndarray) -> float:
    from scipy.optimize import linear_sum_assignment  # scipy comes with imagehash

    dist = np.bitwise_count(short[:, None] ^ long[None, :]).astype(np.float64)
    score = np.clip((_MATCH_LOOSE - dist) / (_MATCH_LOOSE - _MATCH_STRICT), 0.0, 1.0)
    if not score.any():
        return 0.0  # the common case, unrelated videos: skip the assignment
    # One frame of the other video vouches for one frame only: otherwise a shared intro, in a video
    # whose moments resemble each other, would "match" the whole shorter video.
    rows, cols = linear_sum_assignment(score, maximize=True)
    return float(score[rows, cols].sum() / len(short))


def frames_similarity(a: list[tuple[float, int]], b: list[tuple[float, int]]) -> float:
    """0..1: share of the shorter video's frames that find a near-identical frame in the other.

    Frames are paired one to one (best total match); order and timing are ignored, so trims, intros and
    re-cuts still match, and a left-right mirrored copy matches too. Blank frames are never counted.
    """
    ha, hb = _informative(a), _informative(b)
    if len(ha) == 0 or len(hb) == 0:
        return 0.0
    short, long = (ha, hb) if len(ha) <= len(hb) else (hb, ha)
    mirrored = np.array([approx_mirror(int(h)) for h in long], dtype=np.uint64)
    return max(_frame_match_score(short, long), _frame_match_score(short, mirrored))


def near_frame_pairs(frame_sets: Sequence[list[tuple[float, int]]], min_share: float = 0.0,
                     block: int = 16_384) -> set[tuple[int, int]]:
    """Index pairs (i < j) of frame sets where at least `min_share` of the smaller set's informative frames
    (and never fewer than one) have a near frame, or a near mirrored frame, in the other. `frames_similarity`
    can reach `min_share` only for these pairs, and they are found without comparing the sets pairwise: an
    exact Hamming range search (FAISS, compiled popcounts) of every hash among the later hashes and their
    mirror images, `block` query hashes at a time.
    """
    import faiss  # the vector-index library; imported here so fingerprinting alone never loads it

    kept = [_informative(frames) for frames in frame_sets]
    sizes = np.array([len(k) for k in kept], dtype=np.int64)
    n = int(sizes.sum())
    if not n:
        return set()
    hashes = np.concatenate(kept)
    owner = np.repeat(np.arange(len(kept)), sizes)
    # Hash k and its mirror image side by side (rows 2k and 2k + 1): d(h, mirror(g)) == d(mirror(h), g), so
    # searching plain hashes among both finds every plain and mirrored match.
    both = np.stack([hashes, hashes ^ np.uint64(_ODD_COLUMNS)], axis=1).reshape(-1)
    found = []
    for start in range(0, n, block):
        index = faiss.IndexBinaryFlat(64)  # each block meets only itself and the later hashes: half the work
        index.add(_as_codes(both[2 * start:]))
        limits, _, ids = index.range_search(_as_codes(hashes[start:start + block]), _MATCH_LOOSE)  # strictly below
        rows = start + np.repeat(np.arange(len(limits) - 1), np.diff(limits).astype(np.int64))
        cols = start + ids // 2
        keep = (rows < cols) & (owner[rows] != owner[cols])
        found.append(np.unique(rows[keep] * n + cols[keep]))  # each hash pair once, plain or mirrored
    pairs = np.unique(np.concatenate(found))
    a, b = owner[pairs // n], owner[pairs % n]  # a < b: owners rise with the hash index
    sets, counts = np.unique(a * len(kept) + b, return_counts=True)
    i, j = sets // len(kept), sets % len(kept)
    need = np.maximum(1, np.ceil(min_share * np.minimum(sizes[i], sizes[j])))
    ok = counts >= need
    return set(zip(i[ok].tolist(), j[ok].tolist(), strict=True))


def _as_codes(hashes: np.ndarray) -> np.ndarray:
    """64-bit hashes as the (n, 8) byte codes FAISS binary indexes take (Hamming distance is byte-order free)."""
    return np.ascontiguousarray(hashes, dtype=np.uint64).view(np.uint8).reshape(-1, 8)


# ---------------------------------------------------------------- audio

_MIN_AUDIO_S = 1.0
_SILENT_RMS = 1e-4  # about -80 dBFS: digital silence and dither, not quiet speech
# Chromaprint emits one 32-bit item every ~0.124 s. Two clips must overlap for at least half the shorter
# one (and never less than ~2 s) before their agreement counts, so a lucky short overlap proves nothing.
_MIN_OVERLAP_ITEMS = 16
# Raw bit agreement of unrelated audio is 0.5 on average, but the best of hundreds of offsets over a short
# overlap of correlated bits comes out well above it. So agreement at an offset counts only above
# 0.5 + _CHANCE_Z / sqrt(overlap items): the best (agreement - 0.5) * sqrt(overlap) of unrelated pairs (speech
# in six voices and languages, synthetic melodies, 3 s to 3 min) stayed below 1.8, while re-encodes and trims
# of a 5 s clip reach 2.7 and grow with length. Below 2.0**2 / 0.25 = 16 overlapping items nothing can match.
_CHANCE_Z = 2.0
# Above this many item pairs (two ~1 min clips) the all-offsets scan gives way to voting on exactly
# matching half-items; both found the same best offset on real speech, voting ~5x faster at 2 min.
_FULL_SCAN_CELLS = 250_000
_VOTE_CANDIDATES = 8


def _chromaprint_lib(pcm: bytes, sample_rate: int) -> np.ndarray:
    import chromaprint  # from pyacoustid; raises ImportError when libchromaprint is missing

    fper = chromaprint.Fingerprinter()
    fper.start(sample_rate, 1)
    fper.feed(pcm)
    encoded = fper.finish()
    raw, _algorithm = chromaprint.decode_fingerprint(encoded)
    return np.array(raw, dtype=np.uint32)


def _chromaprint_fpcalc(pcm: bytes, sample_rate: int, seconds: float) -> np.ndarray:
    fpcalc = shutil.which("fpcalc")
    if fpcalc is None:
        raise ModelUnavailable(
            "audio fingerprints need Chromaprint: install libchromaprint (Debian: libchromaprint-tools) "
            "so that pyacoustid or the fpcalc command can find it"
        )
    with tempfile.TemporaryDirectory(prefix="triage-fp-") as tmp:
        wav_path = Path(tmp) / "audio.wav"
        with wave.open(str(wav_path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm)
        result = subprocess.run(
            [fpcalc, "-raw", "-length", str(int(seconds) + 1), str(wav_path)],
            capture_output=True, text=True, timeout=120, check=False,
        )
    match = re.search(r"^FINGERPRINT=([0-9,]*)$", result.stdout, re.MULTILINE)
    # Some fpcalc builds print a full fingerprint and still exit 1 on a harmless end-of-file warning.
    if match is None:
        raise ProcessingFailed(f"fpcalc could not fingerprint the audio: {result.stderr.strip()[:200]}")
    values = [int(v) for v in match.group(1).split(",") if v]
    return np.array(values, dtype=np.int64).astype(np.uint32)


def audio_fingerprint(audio: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """Raw Chromaprint fingerprint (uint32 items, ~8 per second) of mono float audio in -1..1.

    Empty for audio shorter than a second or silent. Uses libchromaprint in memory, else `fpcalc`.
    """
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    seconds = len(samples) / float(sample_rate)
    if seconds < _MIN_AUDIO_S or not np.isfinite(samples).all():
        return np.zeros(0, dtype=np.uint32)
    if float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) < _SILENT_RMS:
        return np.zeros(0, dtype=np.uint32)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    try:
        return _chromaprint_lib(pcm, sample_rate)
    except ImportError:
        return _chromaprint_fpcalc(pcm, sample_rate, seconds)


def _min_overlap(n: int, m: int) -> int:
    shorter = min(n, m)
    return min(shorter, max(_MIN_OVERLAP_ITEMS, shorter // 2))


def _overlaps(n: int, m: int, offsets: np.ndarray) -> np.ndarray:
    # offset k pairs a[i] with b[i - k]
    return np.minimum(n, m + offsets) - np.maximum(0, offsets)


def _scan_all_offsets(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, m = len(a), len(b)
    diff_bits = np.bitwise_count(a[:, None] ^ b[None, :])
    diagonal = (np.arange(n)[:, None] - np.arange(m)[None, :] + (m - 1)).ravel()
    sums = np.bincount(diagonal, weights=diff_bits.ravel(), minlength=n + m - 1)
    return np.arange(-(m - 1), n), sums


def _diff_bits_at(a: np.ndarray, b: np.ndarray, offset: int) -> int:
    i0 = max(0, offset)
    i1 = min(len(a), len(b) + offset)
    return int(np.bitwise_count(a[i0:i1] ^ b[i0 - offset:i1 - offset]).sum())


def _vote_offsets(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Long recordings: align on items whose upper or lower 16 bits agree exactly, then score the
    # most voted offsets (and their neighbours) in full.
    votes = []
    for shift in (0, 16):
        ka = (a >> shift) & 0xFFFF
        kb = (b >> shift) & 0xFFFF
        order = np.argsort(kb, kind="stable")
        sorted_b = kb[order]
        lo = np.searchsorted(sorted_b, ka, "left")
        hi = np.searchsorted(sorted_b, ka, "right")
        counts = hi - lo
        keep = (counts > 0) & (counts <= 8)  # very common keys (silence, drones) do not align anything
        rows = np.repeat(np.nonzero(keep)[0], counts[keep])
        starts = np.repeat(lo[keep], counts[keep])
        within = np.arange(len(rows)) - np.repeat(np.cumsum(counts[keep]) - counts[keep], counts[keep])
        votes.append(rows - order[starts + within])
    all_votes = np.concatenate(votes) + (len(b) - 1)
    if len(all_votes) == 0:
        return np.zeros(0, dtype=np.int64)
    hist = np.bincount(all_votes, minlength=len(a) + len(b) - 1)
    top = np.argsort(hist)[::-1][:_VOTE_CANDIDATES] - (len(b) - 1)
    return np.unique(np.concatenate([top - 1, top, top + 1]))


def _best_offsets(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(agreement, overlap) at every offset worth scoring, overlap-filtered."""
    n, m = len(a), len(b)
    if n * m <= _FULL_SCAN_CELLS:
        offsets, sums = _scan_all_offsets(a, b)
    else:
        offsets = _vote_offsets(a, b)
        sums = np.array([_diff_bits_at(a, b, int(k)) for k in offsets], dtype=np.float64)
    overlap = _overlaps(n, m, offsets)
    valid = overlap >= _min_overlap(n, m)
    overlap = overlap[valid].astype(np.float64)
    return 1.0 - sums[valid] / (32.0 * overlap), overlap


def _as_fingerprint(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.uint32).reshape(-1)


def audio_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Best raw bit agreement (0..1, chance 0.5) between two Chromaprint fingerprints over allowed offsets."""
    a, b = _as_fingerprint(a), _as_fingerprint(b)
    if len(a) < _MIN_OVERLAP_ITEMS or len(b) < _MIN_OVERLAP_ITEMS:
        return 0.0
    agreement, _ = _best_offsets(a, b)
    return float(agreement.max()) if len(agreement) else 0.0


def audio_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """0..1 acoustic similarity: ~1 for the same recording (re-encoded, trimmed, padded, louder), ~0 unrelated.

    Bit agreement at each relative offset, on the overlapping part, rescaled so that what chance reaches
    over that much overlap maps to 0; the best offset wins. Clips under ~2 s of overlap never match.
    """
    a, b = _as_fingerprint(a), _as_fingerprint(b)
    if len(a) < _MIN_OVERLAP_ITEMS or len(b) < _MIN_OVERLAP_ITEMS:
        return 0.0
    agreement, overlap = _best_offsets(a, b)
    if len(agreement) == 0:
        return 0.0
    chance = np.minimum(0.5 + _CHANCE_Z / np.sqrt(overlap), 1.0 - 1e-9)
    return float(np.clip((agreement - chance) / (1.0 - chance), 0.0, 1.0).max())


def audio_band_hash(audio: np.ndarray, sample_rate: int = 16000, *, seconds: float = 20.0) -> np.ndarray:
    """A fine-grained acoustic hash of the first `seconds`: 32 bits per 16 ms (Haitsma-Kalker style).

    Each bit is the sign of how the energy difference between two neighbouring bands (33 bands spaced
    logarithmically over 300-4000 Hz, the speech formants) changes from one frame to the next: robust to re-encoding and gain,
    and dense enough in time to compare clips of a few seconds, where Chromaprint has too few items.
    Compare two with `audio_similarity` (it only counts agreeing bits over offsets). Empty under ~0.3 s.
    """
    frame, hop, bands = 4096 * sample_rate // 16000, 256 * sample_rate // 16000, 33
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)[: int(seconds * sample_rate)]
    if len(samples) < frame + 2 * hop:
        return np.zeros(0, dtype=np.uint32)
    count = 1 + (len(samples) - frame) // hop
    windows = samples[np.arange(frame)[None, :] + hop * np.arange(count)[:, None]]
    power = np.abs(np.fft.rfft(windows * np.hanning(frame).astype(np.float32), axis=1)).astype(np.float32) ** 2
    band_of_bin = np.digitize(np.fft.rfftfreq(frame, 1.0 / sample_rate), np.geomspace(300.0, 4000.0, bands + 1)) - 1
    membership = (band_of_bin[:, None] == np.arange(bands)[None, :]).astype(np.float32)
    energy = power @ membership  # (count, bands): one matrix product instead of a mask per band
    across = np.diff(energy, axis=1)  # (count, 32)
    bits = (across[1:] - across[:-1]) > 0
    return np.packbits(bits, axis=1, bitorder="little").view("<u4").reshape(-1).astype(np.uint32)


# ---------------------------------------------------------------- text

_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u02bc\u2018`\u00b4"), None)
_SHINGLE_CHARS = 5
_EMPTY_MINHASH = np.uint64(0xFFFFFFFF)  # datasketch's value for "no shingle seen"


def normalize_text(text: str) -> str:
    """Unicode NFKC, case-folded, apostrophes dropped, other punctuation and symbols as spaces, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in folded)
    return " ".join(kept.split())


def text_shingles(text: str, size: int = _SHINGLE_CHARS) -> set[str]:
    """Character n-grams of the normalised text (a text shorter than n is one shingle)."""
    norm = normalize_text(text)
    if len(norm) <= size:
        return {norm} if norm else set()
    return {norm[i:i + size] for i in range(len(norm) - size + 1)}


def text_minhash(text: str, num_perm: int = 128) -> np.ndarray:
    """MinHash signature (uint64 array of num_perm values) of the text's character 5-gram shingles.

    Character shingles, not word shingles: one typo breaks up to three word 3-grams but only five short
    character ones, so retyped and lightly edited copies keep a high estimated Jaccard.
    """
    from datasketch import MinHash

    sketch = MinHash(num_perm=num_perm, seed=1)
    sketch.update_batch([s.encode("utf-8") for s in sorted(text_shingles(text))])
    return np.asarray(sketch.hashvalues, dtype=np.uint64).copy()


def minhash_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity (0..1) of two MinHash signatures; 0 when either text was empty."""
    a = np.asarray(a, dtype=np.uint64)
    b = np.asarray(b, dtype=np.uint64)
    if a.shape != b.shape or len(a) == 0:
        raise ValueError(f"MinHash signatures differ in length ({len(a)} vs {len(b)}); use one num_perm")
    if bool((a == _EMPTY_MINHASH).all()) or bool((b == _EMPTY_MINHASH).all()):
        return 0.0
    return float(np.mean(a == b))
