"""Landmark hashes: peaks where music and speech change, none from silence or steady sound, a compact artifact."""

from __future__ import annotations

import numpy as np

from tests.lineage.helpers import SR, melody, noise, place, tone
from triage.lineage.landmarks import (
    HOP_S,
    MAX_REPEATS,
    STEPS_PER_OCTAVE,
    Pairs,
    Peaks,
    audio_landmarks,
    find_peaks,
    hash_dt,
    hashes,
    landmarks,
    pair_peaks,
)


def test_silence_gives_nothing_and_steady_tones_only_their_onset() -> None:
    assert len(audio_landmarks(np.zeros(5 * SR, np.float32)).hashes) == 0
    assert len(audio_landmarks(np.full(5 * SR, 1e-5, np.float32)).hashes) == 0  # dither
    assert len(audio_landmarks(tone(30.0, 440.0, 550.0, 880.0)).hashes) < 20


def test_no_hash_repeats_more_than_the_cap_in_one_piece() -> None:
    # a loop of one second, 20 times: every hash repeats, so none is kept
    loop = np.tile(melody(1.0, seed=3), 20)
    marks = audio_landmarks(loop)
    assert len(marks.hashes) == 0 or np.unique(marks.hashes, return_counts=True)[1].max() <= MAX_REPEATS


def test_music_gives_a_few_dozen_landmarks_a_second_sorted_by_time() -> None:
    marks = audio_landmarks(melody(10.0, seed=1))
    assert 20 <= len(marks.hashes) / 10 <= 300
    assert marks.hashes.dtype == np.uint32 and marks.times.dtype == np.float32
    assert np.all(np.diff(marks.times) >= 0) and marks.duration == 10.0
    assert np.all(hash_dt(marks.hashes) > 0)


def test_noise_is_capped() -> None:
    peaks = find_peaks(noise(10.0, seed=1))
    assert len(peaks.times) / 10 <= 4 * 30  # four bands, 30 a second each


def test_a_delayed_copy_has_the_same_hashes_at_shifted_times() -> None:
    tune = melody(8.0, seed=2)
    a = audio_landmarks(tune)
    b = audio_landmarks(place(10.0, (1.5, tune)))
    shared = np.intersect1d(a.hashes, b.hashes)
    assert len(shared) > 0.5 * len(np.unique(a.hashes))


def test_a_speed_hypothesis_recovers_the_original_hashes() -> None:
    t = np.array([1.0, 1.2], np.float32)
    original = Peaks(t, np.log2(np.array([500.0, 700.0], np.float32)), 2.0)
    faster = Peaks(t / 1.08, original.logf + np.log2(1.08).astype(np.float32), 2.0)  # resample-style
    want, _ = hashes(pair_peaks(original))
    got, valid = hashes(pair_peaks(faster), speed=1.08, pitch=1.08)
    assert valid.all() and np.array_equal(want, got)


def test_peaks_round_trip_through_bytes() -> None:
    peaks = find_peaks(melody(5.0, seed=4))
    again = Peaks.from_bytes(peaks.to_bytes())
    assert np.array_equal(again.times, peaks.times) and np.array_equal(again.logf, peaks.logf)
    assert again.duration == peaks.duration
    assert np.array_equal(landmarks(again).hashes, landmarks(peaks).hashes)
    assert len(peaks.to_bytes()) < 16 * len(peaks.times) + 1_000


def test_a_wider_fan_out_keeps_a_sources_pairs_when_other_peaks_fall_between() -> None:
    # A source's peaks, then the same with as many other peaks again mixed in between (a voice over music).
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0.0, 10.0, 150)).astype(np.float32)
    f = rng.uniform(np.log2(300), np.log2(1200), 150).astype(np.float32)
    extra_t = np.sort(rng.uniform(0.0, 10.0, 150)).astype(np.float32)
    extra_f = rng.uniform(np.log2(300), np.log2(1200), 150).astype(np.float32)
    order = np.argsort(np.concatenate([t, extra_t]), kind="stable")
    mixed = Peaks(np.concatenate([t, extra_t])[order], np.concatenate([f, extra_f])[order], 10.0)
    source, _ = hashes(pair_peaks(Peaks(t, f, 10.0)))
    narrow, _ = hashes(pair_peaks(mixed))
    wide, _ = hashes(pair_peaks(mixed, fan_out=12))
    kept_narrow = np.isin(source, narrow).mean()
    kept_wide = np.isin(source, wide).mean()
    assert kept_narrow < 0.6 and kept_wide > 0.9, (kept_narrow, kept_wide)


def _pairs_one_step_at_a_time(peaks: Peaks, fan_out: int) -> Pairs:
    """pair_peaks written plainly: each step k = 1, 2, ... on, every anchor that still has room takes its partner
    if that one fits."""
    t, f = peaks.times, peaks.logf
    taken = np.zeros(len(t), dtype=int)
    anchors, partners = [], []
    for k in range(1, 64):
        for i in range(len(t) - k):
            dt = (t[i + k] - t[i]) / HOP_S
            fits = 0.5 <= dt <= 63 and abs(f[i + k] - f[i]) * STEPS_PER_OCTAVE <= STEPS_PER_OCTAVE
            if fits and taken[i] < fan_out:
                anchors.append(i)
                partners.append(i + k)
                taken[i] += 1
    a, b = np.array(anchors, dtype=int), np.array(partners, dtype=int)
    return Pairs(t[a], f[a], f[b] - f[a], t[b] - t[a])


def test_peaks_are_paired_as_one_step_at_a_time_pairs_them_in_the_same_order() -> None:
    rng = np.random.default_rng(5)
    cases = [find_peaks(melody(8.0, seed=3)), find_peaks(noise(3.0, seed=4)), Peaks(np.zeros(0, np.float32),
             np.zeros(0, np.float32), 0.0), Peaks(np.array([1.0], np.float32), np.array([9.0], np.float32), 2.0)]
    for n in (2, 70, 300):  # dense enough that some anchors have more than 63 peaks within a second
        times = np.sort(rng.uniform(0, n / 200, n)).astype(np.float32)
        cases.append(Peaks(times, rng.uniform(7.6, 11.9, n).astype(np.float32), n / 200))
    for peaks in cases:
        for fan_out in (4, 12):
            got, want = pair_peaks(peaks, fan_out), _pairs_one_step_at_a_time(peaks, fan_out)
            for name in ("times", "logf", "dlogf", "dt"):
                assert np.array_equal(getattr(got, name), getattr(want, name)), name
