"""Acoustic fingerprints (Chromaprint and a fine band hash) and their comparison at the best offset."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from triage.errors import ModelUnavailable, ProcessingFailed

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


def _best_offsets(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offset, agreement, overlap) at every offset worth scoring, overlap-filtered."""
    n, m = len(a), len(b)
    if n * m <= _FULL_SCAN_CELLS:
        offsets, sums = _scan_all_offsets(a, b)
    else:
        offsets = _vote_offsets(a, b)
        sums = np.array([_diff_bits_at(a, b, int(k)) for k in offsets], dtype=np.float64)
    overlap = _overlaps(n, m, offsets)
    valid = overlap >= _min_overlap(n, m)
    overlap = overlap[valid].astype(np.float64)
    return offsets[valid], 1.0 - sums[valid] / (32.0 * overlap), overlap


def _as_fingerprint(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.uint32).reshape(-1)


@dataclass(frozen=True)
class AudioMatch:
    """Where two item sequences agree best: the score (as `audio_similarity`), where the compared stretch starts
    in each and how long it is, each sequence's length (all in items of that sequence), and the second's pace
    over the first's (1.1: the second was played 10% faster and stretched back to compare)."""

    score: float
    start_a: float = 0.0
    start_b: float = 0.0
    span_a: float = 0.0
    span_b: float = 0.0
    len_a: int = 0
    len_b: int = 0
    tempo: float = 1.0

    def flipped(self) -> AudioMatch:
        """The same match with the two sequences' roles swapped."""
        return AudioMatch(self.score, self.start_b, self.start_a, self.span_b, self.span_a, self.len_b, self.len_a,
                          1.0 / self.tempo)


NO_MATCH = AudioMatch(0.0)


@dataclass(frozen=True)
class ItemClock:
    """Item positions of one kind of acoustic hash in seconds: items come every `step`, each sees `window`."""

    step: float
    window: float

    def at(self, items: float) -> float:
        """Seconds from the start to where item number `items` begins."""
        return items * self.step

    def span(self, items: float) -> float:
        """Seconds of sound that `items` consecutive items cover."""
        return items * self.step + self.window if items else 0.0


# Chromaprint resamples to 11025 Hz and emits an item every 1365 samples; n items cover about n steps plus
# 2.66 s (measured 2.60-2.70 s on 3 s to 60 s of audio). The band hash: one item per 256 samples, 4096 each.
CHROMAPRINT_CLOCK = ItemClock(1365 / 11025, 2.66)
BAND_CLOCK = ItemClock(256 / 16000, 4096 / 16000)


def audio_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Best raw bit agreement (0..1, chance 0.5) between two Chromaprint fingerprints over allowed offsets."""
    a, b = _as_fingerprint(a), _as_fingerprint(b)
    if len(a) < _MIN_OVERLAP_ITEMS or len(b) < _MIN_OVERLAP_ITEMS:
        return 0.0
    _, agreement, _ = _best_offsets(a, b)
    return float(agreement.max()) if len(agreement) else 0.0


def audio_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """0..1 acoustic similarity: ~1 for the same recording (re-encoded, trimmed, padded, louder), ~0 unrelated.

    Bit agreement at each relative offset, on the overlapping part, rescaled so that what chance reaches
    over that much overlap maps to 0; the best offset wins. Clips under ~2 s of overlap never match.
    """
    return audio_match(a, b).score


def audio_match(a: np.ndarray, b: np.ndarray) -> AudioMatch:
    """`audio_similarity` with where it found the agreement: the best offset's stretch in each sequence."""
    a, b = _as_fingerprint(a), _as_fingerprint(b)
    if len(a) < _MIN_OVERLAP_ITEMS or len(b) < _MIN_OVERLAP_ITEMS:
        return NO_MATCH
    offsets, agreement, overlap = _best_offsets(a, b)
    if len(agreement) == 0:
        return NO_MATCH
    chance = np.minimum(0.5 + _CHANCE_Z / np.sqrt(overlap), 1.0 - 1e-9)
    scores = np.clip((agreement - chance) / (1.0 - chance), 0.0, 1.0)
    best = int(scores.argmax())
    score = float(scores[best])
    if score == 0.0:
        return NO_MATCH  # nothing above chance, the common case: no place worth reporting
    k, items = int(offsets[best]), int(overlap[best])  # offset k pairs a[i] with b[i - k]
    return AudioMatch(score, max(0, k), max(0, -k), items, items, len(a), len(b))


# A copy played faster or slower with its pitch kept (a 1.1x re-upload) spaces its items differently, so no
# offset lines them up. Stretched onto the other's pace, read from the ratio of the two lengths, most bits agree
# again: copies at 1.08x and 1.1x scored 0.46-0.71 on Chromaprint and 0.60-0.78 on the band hash at the ratio
# itself, up to 0.78 a step either side (benchmarks/RESULTS.md, session 10). A pair with nothing above chance at
# the ratio is no copy, which spares most pairs the steps. Pieces of one length are never stretched.
TEMPO_RANGE = (1.02, 1.3)
_TEMPO_STEPS = (0.985, 1.015)


def stretched(x: np.ndarray, factor: float) -> np.ndarray:
    """The item sequence laid out `factor` times as long (nearest item; factor > 1 slows it down)."""
    n = int(round(len(x) * factor))
    return x[np.minimum((np.arange(n) / factor).round().astype(np.int64), len(x) - 1)]


def tempo_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """`audio_similarity` of the shorter fingerprint stretched to the longer one's pace; 0 when their lengths
    differ by less or more than a change of tempo (TEMPO_RANGE) would make."""
    return tempo_match(a, b).score


def tempo_match(a: np.ndarray, b: np.ndarray) -> AudioMatch:
    """`tempo_similarity` with where it found the agreement and at which pace (`AudioMatch.tempo`)."""
    fa, fb = _as_fingerprint(a), _as_fingerprint(b)
    short_is_a = len(fa) <= len(fb)
    short, long = (fa, fb) if short_is_a else (fb, fa)
    if len(short) < _MIN_OVERLAP_ITEMS or not TEMPO_RANGE[0] <= len(long) / len(short) <= TEMPO_RANGE[1]:
        return NO_MATCH
    ratio = len(long) / len(short)
    best = _stretched_match(long, short, ratio)
    if best.score == 0.0:
        return NO_MATCH
    for step in _TEMPO_STEPS:
        other = _stretched_match(long, short, ratio * step)
        if other.score > best.score:
            best = other
    return best.flipped() if short_is_a else best


def _stretched_match(long: np.ndarray, short: np.ndarray, factor: float) -> AudioMatch:
    """The match of `long` with `short` laid out `factor` times as long, in `short`'s own items: the short one
    plays `factor` times as fast as the long one."""
    m = audio_match(long, stretched(short, factor))
    if m.score == 0.0:
        return m
    return replace(m, start_b=m.start_b / factor, span_b=m.span_b / factor, len_b=len(short), tempo=factor)


def audio_band_hash(audio: np.ndarray, sample_rate: int = 16000, *, seconds: float = 20.0) -> np.ndarray:
    """A fine-grained acoustic hash of the first `seconds`: 32 bits per 16 ms (Haitsma-Kalker style).

    Each bit is the sign of how the energy difference between two neighbouring bands (33 bands spaced
    logarithmically over 300-4000 Hz, the speech formants) changes from one frame to the next: robust to
    re-encoding and gain, and dense enough in time to compare clips of a few seconds, where Chromaprint has
    too few items.
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
