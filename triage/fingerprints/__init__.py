"""Fingerprints for duplicate detection: exact (sha256), perceptual (pHash), acoustic (Chromaprint), text (MinHash).

Computing a fingerprint may touch a file or a native library; comparing two is always a pure function.
"""

from triage.fingerprints.audio import (
    BAND_CLOCK,
    CHROMAPRINT_CLOCK,
    NO_MATCH,
    AudioMatch,
    ItemClock,
    audio_agreement,
    audio_band_hash,
    audio_fingerprint,
    audio_match,
    audio_similarity,
    tempo_match,
    tempo_similarity,
)
from triage.fingerprints.exact import sha256_file
from triage.fingerprints.frame_candidates import sampled_frame_pairs
from triage.fingerprints.frames import (
    FramesMatch,
    approx_mirror,
    frame_phashes,
    frames_match,
    frames_similarity,
    image_phash,
    mirrored_phash,
    near_frame_pairs,
    phash_distance,
    trim_borders,
)
from triage.fingerprints.text import minhash_similarity, normalize_text, text_minhash, text_shingles

__all__ = [
    "BAND_CLOCK", "CHROMAPRINT_CLOCK", "NO_MATCH", "AudioMatch", "FramesMatch", "ItemClock",
    "approx_mirror", "audio_agreement", "audio_band_hash", "audio_fingerprint", "audio_match", "audio_similarity",
    "frame_phashes", "frames_match", "frames_similarity", "image_phash", "minhash_similarity", "mirrored_phash",
    "near_frame_pairs", "normalize_text", "phash_distance", "sampled_frame_pairs", "sha256_file", "text_minhash",
    "tempo_match", "tempo_similarity", "text_shingles", "trim_borders",
]
