"""Fingerprints: copies of the same submission look alike, different submissions do not.

Variants are made at test time with ffmpeg from a synthetic source (lavfi test pattern + espeak-ng speech).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import triage.fingerprints as fp
import triage.fingerprints.audio as fp_audio
from triage.domain import Frame

SPEECH_A = ("The quick brown fox jumps over the lazy dog near the river bank, while the sun sets slowly "
            "behind the hills and everyone goes home for dinner. Later that night the owls came out and "
            "sang to the moon until morning.")
SPEECH_B = ("My front lawn was invaded by a flock of angry geese this morning, so I grabbed a broom and "
            "chased them all the way across the street. The neighbours laughed, filmed everything and "
            "posted it before lunch.")
VIDEO = "testsrc2=size=192x144:rate=15:duration=11"
OTHER_VIDEO = "mandelbrot=size=192x144:rate=15"
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "64k"]

# (output name, ffmpeg arguments after "-y"); "{src}" is the source clip
VARIANTS: dict[str, list[str]] = {
    "reencode": ["-i", "{src}", *X264, "-crf", "38", "-c:a", "aac", "-b:a", "48k"],
    "resize": ["-i", "{src}", "-vf", "scale=96:72", *X264, *AAC],
    "container": ["-i", "{src}", "-c:v", "mpeg4", "-q:v", "6", "-c:a", "libmp3lame", "-f", "avi"],
    "trim": ["-ss", "1", "-i", "{src}", *X264, *AAC],
    "mirror": ["-i", "{src}", "-vf", "hflip", *X264, *AAC],
    "recolour": ["-i", "{src}", "-vf", "hue=h=60:s=1.5", *X264, *AAC],
    "quieter": ["-i", "{src}", "-af", "volume=-8dB", "-c:v", "copy", *AAC],
    "faster": ["-i", "{src}", "-vf", "setpts=PTS/1.1", "-af", "atempo=1.1", *X264, *AAC],
    "pillarbox": ["-i", "{src}", "-vf", "pad=256:144:32:0:black", *X264, *AAC],
    "bordered": ["-i", "{src}", "-vf", "scale=160:120,pad=192:152:16:16:white", *X264, *AAC],
    "intro": ["-f", "lavfi", "-t", "1.5", "-i", "color=black:size=192x144:rate=15",
              "-f", "lavfi", "-t", "1.5", "-i", "anullsrc=r=22050:cl=mono", "-i", "{src}",
              "-filter_complex", "[0:v][1:a][2:v][2:a]concat=n=2:v=1:a=1[v][a]",
              "-map", "[v]", "-map", "[a]", *X264, *AAC],
}


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def _decode(path: Path, fps: float = 2.0) -> tuple[list[Frame], np.ndarray]:
    """Frames every 1/fps seconds and 16 kHz mono audio, straight from PyAV."""
    frames: list[Frame] = []
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        next_time = 0.0
        for frame in container.decode(video=0):
            t = float(frame.time or 0.0)
            if t + 1e-6 >= next_time:
                frames.append(Frame(t, frame.to_ndarray(format="rgb24")))
                next_time = t + 1.0 / fps
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        for aframe in container.decode(audio=0):
            chunks.extend(o.to_ndarray().reshape(-1) for o in resampler.resample(aframe))
        chunks.extend(o.to_ndarray().reshape(-1) for o in resampler.resample(None))
    return frames, np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


class Clip:
    def __init__(self, path: Path) -> None:
        self.path = path
        frames, self.audio = _decode(path)
        self.frames = fp.frame_phashes(frames)
        self.raw_frames = frames
        self.chroma = fp.audio_fingerprint(self.audio)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Clip]:
    d = tmp_path_factory.mktemp("fp")
    for name, text in (("a", SPEECH_A), ("b", SPEECH_B)):
        subprocess.run(["espeak-ng", "-w", str(d / f"{name}.wav"), text], check=True, timeout=60)
    src = d / "source.mp4"
    _ffmpeg("-f", "lavfi", "-i", VIDEO, "-i", str(d / "a.wav"), *X264, *AAC, "-shortest", str(src))
    for name, args in VARIANTS.items():
        _ffmpeg(*[a.replace("{src}", str(src)) for a in args], str(d / f"{name}.mp4"))
    # same pictures, different speech
    _ffmpeg("-f", "lavfi", "-i", VIDEO, "-i", str(d / "b.wav"), *X264, *AAC, "-shortest", str(d / "other_speech.mp4"))
    # same speech, different pictures
    _ffmpeg("-f", "lavfi", "-t", "11", "-i", OTHER_VIDEO, "-i", str(d / "a.wav"), *X264, *AAC, "-shortest",
            str(d / "other_video.mp4"))
    # the source's first 2 s, then something else entirely
    _ffmpeg("-t", "2", "-i", str(src), "-f", "lavfi", "-t", "9", "-i", OTHER_VIDEO, "-i", str(d / "b.wav"),
            "-filter_complex", "[0:v]setpts=PTS-STARTPTS[v0];[1:v]format=yuv420p[v1];[v0][v1]concat=n=2:v=1:a=0[v]",
            "-map", "[v]", "-map", "2:a", *X264, *AAC, "-shortest", str(d / "same_intro.mp4"))
    names = ["source", *VARIANTS, "other_speech", "other_video", "same_intro"]
    return {n: Clip(d / f"{n}.mp4") for n in names}


# ---------------------------------------------------------------- exact


def test_sha256_streams_whole_file(tmp_path: Path) -> None:
    data = np.random.default_rng(0).bytes(3 * 1024 + 17)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert fp.sha256_file(path, chunk=1000) == hashlib.sha256(data).hexdigest()
    path.write_bytes(data[:-1] + b"x")
    assert fp.sha256_file(path) != hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- pictures


def _picture(seed: int, size: int = 128) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC))


def test_phash_survives_resize_and_jpeg_but_separates_pictures(tmp_path: Path) -> None:
    img = _picture(1, 256)
    small = np.asarray(Image.fromarray(img).resize((97, 61)))
    Image.fromarray(img).save(tmp_path / "q.jpg", quality=30)
    jpeg = np.asarray(Image.open(tmp_path / "q.jpg").convert("RGB"))
    h = fp.image_phash(img)
    assert isinstance(h, int) and 0 <= h < 2**64
    assert fp.phash_distance(h, fp.image_phash(small)) <= 8
    assert fp.phash_distance(h, fp.image_phash(jpeg)) <= 6
    assert fp.phash_distance(h, fp.image_phash(_picture(2, 256))) >= 16
    assert fp.phash_distance(h, h) == 0


def test_mirrored_hash_matches_flipped_picture() -> None:
    img = _picture(3)
    flipped = np.ascontiguousarray(img[:, ::-1])
    assert fp.mirrored_phash(img) == fp.image_phash(flipped)
    assert fp.phash_distance(fp.approx_mirror(fp.image_phash(img)), fp.image_phash(flipped)) <= 10


def test_bars_and_borders_are_trimmed_before_hashing() -> None:
    img = _picture(5, 120)
    pillarbox = np.zeros((120, 200, 3), np.uint8)
    pillarbox[:, 40:160] = img
    bordered = np.full((150, 150, 3), 255, np.uint8)
    bordered[15:135, 15:135] = img
    for framed in (pillarbox, bordered):
        assert fp.trim_borders(framed).shape == img.shape
        assert fp.phash_distance(fp.image_phash(fp.trim_borders(framed)), fp.image_phash(img)) <= 4
    assert fp.trim_borders(img).shape == img.shape  # nothing to trim
    # the same bars around another picture prove nothing
    other = np.zeros((120, 200, 3), np.uint8)
    other[:, 40:160] = _picture(6, 120)
    assert fp.phash_distance(fp.image_phash(fp.trim_borders(other)), fp.image_phash(fp.trim_borders(pillarbox))) >= 16
    # a mostly flat picture keeps its middle
    flat = np.full((100, 100, 3), 30, np.uint8)
    flat[48:52, 48:52] = 220
    assert fp.trim_borders(flat).shape[:2] == (30, 30)


def test_blank_frames_are_never_evidence() -> None:
    black = np.zeros((90, 120, 3), np.uint8)
    grey = np.full((90, 120, 3), 128, np.uint8)
    frames = [Frame(0.0, black), Frame(1.0, grey), Frame(2.0, _picture(4))]
    hashes = fp.frame_phashes(frames)
    assert [t for t, _ in hashes] == [2.0]
    only_blank = [(0.0, fp.image_phash(black)), (1.0, fp.image_phash(grey))]
    assert fp.frames_similarity(only_blank, only_blank) == 0.0
    assert fp.frames_similarity([], hashes) == 0.0


@pytest.mark.parametrize("variant", ["reencode", "resize", "container", "trim", "mirror", "recolour", "intro",
                                     "pillarbox", "bordered"])
def test_frames_of_a_copy_match(clips: dict[str, Clip], variant: str) -> None:
    assert fp.frames_similarity(clips["source"].frames, clips[variant].frames) >= 0.6
    assert fp.frames_similarity(clips[variant].frames, clips["source"].frames) >= 0.6


def test_frames_of_different_videos_do_not_match(clips: dict[str, Clip]) -> None:
    source = clips["source"].frames
    assert fp.frames_similarity(source, clips["other_video"].frames) <= 0.1
    # sharing only the first seconds is far below what any copy above reaches
    shared = fp.frames_similarity(source, clips["same_intro"].frames)
    assert shared <= 0.45
    assert shared < fp.frames_similarity(source, clips["recolour"].frames) - 0.2


def test_black_intro_adds_no_frames(clips: dict[str, Clip]) -> None:
    assert len(clips["intro"].raw_frames) > len(clips["intro"].frames)


# ---------------------------------------------------------------- audio


def test_sound_played_faster_matches_once_stretched_to_its_pace(clips: dict[str, Clip]) -> None:
    source, faster = clips["source"].chroma, clips["faster"].chroma
    assert fp.audio_similarity(source, faster) < 0.3  # no offset lines the items up
    assert fp.tempo_similarity(source, faster) >= 0.5
    assert fp.tempo_similarity(faster, source) == fp.tempo_similarity(source, faster)
    assert fp.tempo_similarity(source, clips["other_speech"].chroma) == 0.0
    assert fp.tempo_similarity(source, clips["reencode"].chroma) == 0.0  # one length: never stretched


def test_audio_fingerprint_shape(clips: dict[str, Clip]) -> None:
    chroma = clips["source"].chroma
    assert chroma.dtype == np.uint32
    assert 40 <= len(chroma) <= 110  # ~10 s at ~8 items per second
    assert len(fp.audio_fingerprint(np.zeros(16000 * 5, np.float32))) == 0
    assert len(fp.audio_fingerprint(clips["source"].audio[:8000])) == 0  # half a second


@pytest.mark.parametrize("variant", ["reencode", "container", "trim", "quieter", "intro", "other_video"])
def test_audio_of_a_copy_matches(clips: dict[str, Clip], variant: str) -> None:
    a, b = clips["source"].chroma, clips[variant].chroma
    assert fp.audio_similarity(a, b) >= 0.5
    assert fp.audio_similarity(b, a) == pytest.approx(fp.audio_similarity(a, b))


def test_different_speech_over_the_same_video_does_not_match(clips: dict[str, Clip]) -> None:
    assert fp.audio_similarity(clips["source"].chroma, clips["other_speech"].chroma) <= 0.1
    assert fp.audio_similarity(clips["source"].chroma, np.zeros(0, np.uint32)) == 0.0


def test_fpcalc_fallback_agrees_and_leaves_no_temp_files(
    clips: dict[str, Clip], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert shutil.which("fpcalc"), "fpcalc is missing: run scripts/bootstrap.sh (Debian libchromaprint-tools)"

    def no_library(pcm: bytes, sample_rate: int) -> np.ndarray:
        raise ImportError("pretend libchromaprint is missing")

    monkeypatch.setattr(fp_audio, "_chromaprint_lib", no_library)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    via_fpcalc = fp.audio_fingerprint(clips["source"].audio)
    assert list(tmp_path.iterdir()) == []
    assert fp.audio_similarity(via_fpcalc, clips["source"].chroma) >= 0.9


def _flip_bits(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    flips = rng.random((len(x), 32)) < rate
    return x ^ np.packbits(flips, axis=1, bitorder="little").view("<u4").reshape(-1)


def test_long_recordings_align_by_voting() -> None:
    rng = np.random.default_rng(5)
    long = rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32)
    cut = _flip_bits(long[400:2700], 0.08, rng)  # a trimmed, noisy copy: ~5 min of audio
    unrelated = rng.integers(0, 2**32, 2500, dtype=np.uint64).astype(np.uint32)
    assert len(long) * len(cut) > fp_audio._FULL_SCAN_CELLS
    assert fp.audio_similarity(long, cut) >= 0.7
    assert fp.audio_similarity(long, unrelated) == 0.0


# ---------------------------------------------------------------- text

STORY = ("I stepped onto my front lawn at dawn and found forty garden gnomes arranged in a perfect circle, "
         "all facing my door. My neighbour swears she saw nothing. I have lived here for eleven years and "
         "never owned a single gnome. I screamed so loud the dog next door started howling.")
SAME_TOPIC = ("Every morning my front lawn gets a new visitor. Yesterday a goose, today a man in a bathrobe "
              "practising tai chi. I stood at the window screaming into my coffee because the grass was "
              "just reseeded and nobody listens.")
OTHER = ("The number one is lonely, they say, but I think it is the bravest number. It stands at the front "
         "of every count and never waits for anyone else to begin.")


def test_normalize_text() -> None:
    assert fp.normalize_text("  Ｈｅｌｌｏ,\tWORLD!!  It’s   me ") == "hello world its me"
    assert fp.normalize_text("...") == ""


@pytest.mark.parametrize("variant", [
    STORY.upper(),
    "  ".join(STORY.split()).replace(". ", ".\n\n"),
    STORY.replace("neighbour", "neighbor").replace("perfect", "perfcet").replace("howling", "howlin"),
    STORY + "\n\nThanks for reading! Maria, Leeds",
])
def test_text_copies_are_close(variant: str) -> None:
    assert fp.minhash_similarity(fp.text_minhash(STORY), fp.text_minhash(variant)) >= 0.7


def test_different_texts_are_far_even_on_the_same_topic() -> None:
    story = fp.text_minhash(STORY)
    assert fp.minhash_similarity(story, fp.text_minhash(OTHER)) <= 0.15
    assert fp.minhash_similarity(story, fp.text_minhash(SAME_TOPIC)) <= 0.2
    assert fp.minhash_similarity(fp.text_minhash(""), fp.text_minhash("")) == 0.0


def test_minhash_signature() -> None:
    sig = fp.text_minhash(STORY, num_perm=64)
    assert sig.dtype == np.uint64 and sig.shape == (64,)
    assert np.array_equal(sig, fp.text_minhash(STORY, num_perm=64))
    with pytest.raises(ValueError):
        fp.minhash_similarity(sig, fp.text_minhash(STORY))


def test_near_frame_pairs_needs_enough_near_frames_of_the_smaller_set():
    from triage.fingerprints import approx_mirror, near_frame_pairs

    rng = np.random.default_rng(4)
    a = [(float(t), int(h)) for t, h in enumerate(rng.integers(0, 2**63, 5))]
    copy = [(t, approx_mirror(h ^ 0b101)) for t, h in a]  # mirrored, two bits off
    half = a[:2] + [(9.0, int(h)) for h in rng.integers(0, 2**63, 3)]  # two of five frames shared
    other = [(float(t), int(h)) for t, h in enumerate(rng.integers(0, 2**63, 5))]
    assert near_frame_pairs([a, copy, half, other]) == {(0, 1), (0, 2), (1, 2)}
    assert near_frame_pairs([a, copy, half, other], min_share=0.6) == {(0, 1)}
    assert near_frame_pairs([a, copy], block=1) == {(0, 1)}  # tiny blocks give the same answer
    assert near_frame_pairs([[], []]) == set()
