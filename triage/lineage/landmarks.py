"""Landmark hashes of sound (Shazam/audfprint style): spectral peaks, paired, hashed with the anchor's time.

The stored artifact is the peaks (`Peaks`, a few KB a minute): the index's hashes and a query's hashes under a
change of speed are both cheap to derive from them. Frequencies are kept on a log scale, so a resample-style
speed change (pitch moves with it) is a shift of every peak by the same amount and leaves frequency differences
alone, and a tempo-only change leaves all frequencies alone: either way only the anchor's frequency and the time
difference need the speed hypothesis (see `hashes`).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter1d
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000
_RATE = 8_000  # peaks are picked below 4 kHz, where music and voices keep their energy after lossy coding
_FFT = 512  # 64 ms windows
HOP_S = 128 / _RATE  # 16 ms between spectra: the unit of time differences in a hash
_LOW_HZ, _HIGH_HZ = 200.0, 3_800.0
# Peaks quieter than this (dB below a full-scale sine) are silence, hiss or dither, never evidence.
_FLOOR_DB = -60.0
# A peak must stand this far above its own frequency's average over the surrounding second: a steady tone, a hum
# or a drone is its own average and so gives no peaks at all, only (at most) its onset does.
_NOVELTY_DB = 6.0
_NOVELTY_FRAMES = 63  # about one second
# A peak is the loudest point within +-7 bins (+-55 Hz) and +-3 spectra (+-48 ms): sparse enough to survive being
# mixed under other sound, dense enough (about 20-40 a second in music and speech) to localise to a second.
_PEAK_SIZE = (15, 7)
# Noise (applause, rain) has peaks everywhere: only the most prominent _PEAKS_PER_BAND_S per second in each octave
# band are kept, so it cannot flood the index (noise: ~300 landmarks a second, music and speech 50-130). Per band,
# so that speech loud in its own bands cannot crowd out music mixed under it in others: a single cap of 30 a second
# lost a melody 10 dB under speech, 30 per band still found it 18 dB under.
_BANDS = (200.0, 400.0, 800.0, 1_600.0, 3_800.0)
_PEAKS_PER_BAND_S = 30
# Pairs: each anchor with the next _FAN_OUT peaks up to _MAX_DT spectra later and within an octave.
_FAN_OUT = 4
_MAX_STEPS = 63  # a partner is at most this many peaks on (peaks are rarely as dense as one a spectrum)
_ANCHOR_BLOCK = 8192
# Every value a hash can take is shared by the archive's landmarks: 24 steps an octave and time steps up to 40
# gave ~200 postings a lookup from 2,000 pieces. 36 steps an octave (1.9%, still finer than the 1% a 2% speed grid
# can be off by only half a step) and steps up to 1 s give ~3.5 times as many values. (Triplets, an anchor with
# two partners, give millions as many but lost most of their hits when music was mixed at speech level: a voice's
# peaks take the partners' places. See benchmarks/bench_lineage_sound.py.)
_MAX_DT = 63  # 1 s
STEPS_PER_OCTAVE = 36
_MAX_DF = STEPS_PER_OCTAVE  # one octave either way
F_BITS, DF_BITS, DT_BITS = 8, 7, 6
# A hash met more often than this in one piece marks a loop, a steady sound or noise: it votes for several
# offsets at once and cannot localise anything. Unrelated hashes (~700,000 values, ~5,000 a minute) repeat a few times
# at most by chance, so legitimate material loses almost nothing (a riff looped many times does: see README).
MAX_REPEATS = 6


@dataclass(frozen=True)
class Peaks:
    """Spectral peaks of one piece: seconds from the start and log2 of the frequency in Hz (both float32)."""

    times: np.ndarray
    logf: np.ndarray
    duration: float

    def to_bytes(self) -> bytes:
        """The peaks as .npz bytes, to store as an artifact."""
        out = io.BytesIO()
        np.savez_compressed(out, times=self.times, logf=self.logf, duration=np.float64(self.duration))
        return out.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> Peaks:
        with np.load(io.BytesIO(data)) as z:
            return Peaks(z["times"].astype(np.float32), z["logf"].astype(np.float32), float(z["duration"]))


@dataclass(frozen=True)
class Pairs:
    """Peak pairs before quantising: anchor time (s), anchor log2 frequency, log2 frequency step, time step (s)."""

    times: np.ndarray
    logf: np.ndarray
    dlogf: np.ndarray
    dt: np.ndarray


@dataclass(frozen=True)
class Landmarks:
    """Quantised pairs as the index stores them: uint32 hash and float32 anchor time, sorted by time."""

    hashes: np.ndarray
    times: np.ndarray
    duration: float


def _spectrogram_db(audio: np.ndarray) -> np.ndarray:
    """(frames, bins) power in dB relative to a full-scale sine, from 8 kHz audio."""
    x = resample_poly(np.asarray(audio, dtype=np.float32).reshape(-1), 1, SAMPLE_RATE // _RATE).astype(np.float32)
    hop = int(HOP_S * _RATE)
    if len(x) < _FFT:
        return np.zeros((0, _FFT // 2 + 1), dtype=np.float32)
    count = 1 + (len(x) - _FFT) // hop
    window = np.hanning(_FFT).astype(np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x, _FFT)[::hop][:count] * window
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 / (window.sum() / 2) ** 2
    return (10.0 * np.log10(power + 1e-12)).astype(np.float32)


def _refine(before: np.ndarray, at: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Sub-bin position of a peak by a parabola through it and its neighbours (in -0.5..0.5)."""
    curve = before - 2 * at + after
    safe = np.where(curve < -1e-6, curve, -1e-6)
    return np.clip(0.5 * (before - after) / safe, -0.5, 0.5)


def find_peaks(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Peaks:
    """The spectral peaks of mono float audio in -1..1 at 16 kHz (other rates are not accepted)."""
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"landmarks need {SAMPLE_RATE} Hz audio, got {sample_rate}")
    duration = len(audio) / float(sample_rate)
    spec = _spectrogram_db(audio)
    empty = Peaks(np.zeros(0, np.float32), np.zeros(0, np.float32), duration)
    if len(spec) < 3:
        return empty
    lo, hi = int(_LOW_HZ * _FFT / _RATE), int(_HIGH_HZ * _FFT / _RATE)
    local_max = maximum_filter(spec, size=(_PEAK_SIZE[1], _PEAK_SIZE[0]), mode="constant", cval=-np.inf)
    average = uniform_filter1d(spec, _NOVELTY_FRAMES, axis=0, mode="nearest")
    is_peak = (spec == local_max) & (spec > _FLOOR_DB) & (spec - average > _NOVELTY_DB)
    is_peak[:, :lo] = False
    is_peak[:, hi:] = False
    is_peak[[0, -1], :] = False
    frame, col = np.nonzero(is_peak)
    if len(frame) == 0:
        return empty
    prominence = (spec - average)[frame, col]
    keep = _most_prominent(frame, np.searchsorted(np.array(_BANDS) * _FFT / _RATE, col), prominence)
    frame, col = frame[keep], col[keep]
    df = _refine(spec[frame, col - 1], spec[frame, col], spec[frame, col + 1])
    dt = _refine(spec[frame - 1, col], spec[frame, col], spec[frame + 1, col])
    times = ((frame + dt) * HOP_S + _FFT / 2 / _RATE).astype(np.float32)
    logf = np.log2((col + df) * _RATE / _FFT).astype(np.float32)
    order = np.lexsort((logf, times))
    return Peaks(times[order], logf[order], duration)


def _most_prominent(frame: np.ndarray, band: np.ndarray, prominence: np.ndarray) -> np.ndarray:
    """Indices of the peaks kept: at most _PEAKS_PER_BAND_S in each band and second, the most prominent first."""
    cell = (frame * HOP_S).astype(np.int64) * len(_BANDS) + band
    order = np.lexsort((-prominence, cell))
    starts = np.searchsorted(cell[order], cell[order], side="left")
    rank = np.arange(len(order)) - starts
    return np.sort(order[rank < _PEAKS_PER_BAND_S])


def pair_peaks(peaks: Peaks, fan_out: int = _FAN_OUT) -> Pairs:
    """Each peak (anchor) with the next `fan_out` peaks within _MAX_DT spectra and an octave above or below.

    Pairs come ordered by how many peaks on the partner is (all anchors' next peak first), anchors in time order
    within that: the order the index stores them in before sorting by time, whose ties it keeps.
    """
    t, f = peaks.times, peaks.logf
    n = len(t)
    if n < 2:
        z = np.zeros(0, np.float32)
        return Pairs(z, z, z, z)
    # No further than the most peaks any anchor has within reach (a spectrum beyond, against rounding): about a
    # second's worth, 20-40 in music and speech, so the arrays below are not 63 wide for nothing.
    within = np.searchsorted(t, t + np.float32((_MAX_DT + 1) * HOP_S), "right") - np.arange(n) - 1
    steps = max(1, min(_MAX_STEPS, n - 1, int(within.max())))
    fits = np.zeros((n, steps), dtype=bool)  # [anchor, k - 1]: whether the peak k on fits as its partner
    k = np.arange(1, steps + 1)
    for lo in range(0, n, _ANCHOR_BLOCK):  # a block of anchors at a time: an hour of audio is 60,000 peaks
        i = np.arange(lo, min(n, lo + _ANCHOR_BLOCK))[:, None]
        j = np.minimum(i + k, n - 1)
        dt = (t[j] - t[i]) / HOP_S
        fit = (i + k < n) & (dt >= 0.5) & (dt <= _MAX_DT) & (np.abs(f[j] - f[i]) * STEPS_PER_OCTAVE <= _MAX_DF)
        fits[lo:lo + len(i)] = fit & (np.cumsum(fit, axis=1) <= fan_out)  # the first `fan_out` fits of each anchor
    step, a = np.nonzero(fits.T)
    b = a + step + 1
    return Pairs(t[a], f[a], f[b] - f[a], t[b] - t[a])


def hashes(pairs: Pairs, speed: float = 1.0, pitch: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(uint32 hash, valid) of pairs heard `speed` times faster and `pitch` times higher than the original.

    The hash is what the original's pairs hash to: the anchor frequency is divided by `pitch` and the time step
    multiplied by `speed` before quantising. Pairs whose values fall outside the hash's ranges are not valid.
    """
    qf = np.round((pairs.logf - np.log2(pitch) - np.log2(_LOW_HZ)) * STEPS_PER_OCTAVE).astype(np.int64)
    qdf = np.round(pairs.dlogf * STEPS_PER_OCTAVE).astype(np.int64) + _MAX_DF
    qdt = np.round(pairs.dt * speed / HOP_S).astype(np.int64)
    valid = (qf >= 0) & (qf < 1 << F_BITS) & (qdf >= 0) & (qdf < 1 << DF_BITS) & (qdt >= 1) & (qdt < 1 << DT_BITS)
    packed = (qf << (DF_BITS + DT_BITS)) | (qdf << DT_BITS) | qdt
    return np.where(valid, packed, 0).astype(np.uint32), valid


def hash_dt(values: np.ndarray) -> np.ndarray:
    """The time step (s) a hash encodes: where the pair's second peak lies after its anchor."""
    return (np.asarray(values, dtype=np.uint32) & ((1 << DT_BITS) - 1)).astype(np.float32) * HOP_S


def drop_repeats(values: np.ndarray) -> np.ndarray:
    """Mask of the hashes met at most MAX_REPEATS times among `values` (see MAX_REPEATS)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return counts[inverse] <= MAX_REPEATS


def landmarks(peaks: Peaks) -> Landmarks:
    """The index's form of a piece: its pairs hashed as heard, repeats dropped, sorted by time."""
    pairs = pair_peaks(peaks)
    values, valid = hashes(pairs)
    keep = valid & drop_repeats(np.where(valid, values, np.uint32(0xFFFFFFFF)))
    order = np.argsort(pairs.times[keep], kind="stable")
    return Landmarks(values[keep][order], pairs.times[keep][order].astype(np.float32), peaks.duration)


def audio_landmarks(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Landmarks:
    """Landmarks straight from 16 kHz mono float audio (silence gives none)."""
    return landmarks(find_peaks(audio, sample_rate))


def recipe() -> str:
    """A digest of what `landmarks` makes of fixed peaks: landmarks saved by other code (sound_snapshot.py) are
    told apart without anyone remembering to bump a version."""
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0.0, 20.0, 600)).astype(np.float32)
    logf = rng.uniform(np.log2(_LOW_HZ), np.log2(_HIGH_HZ), 600).astype(np.float32)
    made = landmarks(Peaks(times, logf, 20.0))
    return hashlib.sha256(made.hashes.tobytes() + made.times.tobytes()).hexdigest()[:16]
