"""Duplicate evidence from real fingerprints: trims, faster copies, mirrors and intros of real media say so.

Copies are made at test time with ffmpeg, espeak-ng and Pillow from the committed media in tests/data/media and
fingerprinted as ingest does it (probe, decode, `pipeline.fingerprint`).
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import MEDIA, ingested
from triage.config import Settings
from triage.domain import MediaLimits
from triage.media import decode, probe
from triage.pipeline import fingerprint
from triage.scoring.dedup import DuplicateEdge, compare
from triage.scoring.evidence import describe
from triage.scoring.types import Fingerprint

GOOD = MEDIA / "good"
SPEECH = ("My front lawn was invaded by a flock of angry geese this morning, so I grabbed a broom and chased them "
          "all the way across the street while the neighbours laughed, filmed everything and posted it online "
          "before lunch.")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def _uint32(encoded: str | None) -> np.ndarray | None:
    return np.frombuffer(base64.b64decode(encoded), dtype="<u4").astype(np.uint32) if encoded else None


def real(path: Path, sid: str, speech: bool | None = None) -> Fingerprint:
    """The fingerprint ingest keeps for this file, as the pool reads it back (service/pool.py)."""
    limits = MediaLimits()
    found = probe(path, limits)
    decoded = decode(path, found, limits)
    text = decoded.text
    data = fingerprint(decoded, text, None)
    minhash = np.frombuffer(base64.b64decode(data["minhash"]), dtype="<u8") if "minhash" in data else None
    return Fingerprint(sid, found.media_type, sid, frames=[(float(t), int(h, 16)) for t, h in data.get("frames", [])],
                       audio=_uint32(data.get("audio")), audio_bands=_uint32(data.get("audio_bands")),
                       minhash=minhash, text_len=len(text or ""), duration=found.duration, has_speech=speech)


def edge(x: Fingerprint, y: Fingerprint) -> DuplicateEdge:
    found = compare(x, y)
    assert found is not None and found.detail is not None, (x.submission_id, y.submission_id)
    return found


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("evidence")
    subprocess.run(["espeak-ng", "-w", str(d / "said.wav"), SPEECH], check=True, timeout=60)
    _ffmpeg("-i", str(d / "said.wav"), "-t", "10", "-ar", "16000", "-ac", "1", str(d / "ten.wav"))
    _ffmpeg("-ss", "3", "-t", "5", "-i", str(d / "ten.wav"), "-c:a", "libmp3lame", "-b:a", "48k", str(d / "five.mp3"))
    _ffmpeg("-i", str(d / "ten.wav"), "-af", "atempo=1.1", "-c:a", "libmp3lame", "-b:a", "48k", str(d / "fast.mp3"))
    _ffmpeg("-i", str(d / "ten.wav"), "-c:a", "libopus", "-b:a", "24k", str(d / "again.ogg"))
    # 20 s: long enough for Chromaprint on both sides of a 12 s trim
    _ffmpeg("-i", str(d / "said.wav"), "-i", str(d / "said.wav"), "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1",
            "-t", "20", "-ar", "16000", "-ac", "1", str(d / "twenty.wav"))
    _ffmpeg("-ss", "4", "-t", "12", "-i", str(d / "twenty.wav"), "-c:a", "aac", "-b:a", "48k", str(d / "twelve.m4a"))
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    _ffmpeg("-i", str(GOOD / "silent.mp4"), "-vf", "hflip", *x264, str(d / "mirrored.mp4"))
    _ffmpeg("-i", str(GOOD / "silent.mp4"), *x264, "-crf", "35", str(d / "reencoded.mp4"))
    photo = Image.open(GOOD / "photo.jpg").convert("RGB")
    photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(d / "mirrored.jpg", quality=80)
    story = (GOOD / "story.txt").read_text(encoding="utf-8")
    (d / "retyped.txt").write_text(story.upper().replace(" — ", ", ") + "\nThanks for reading!\n", encoding="utf-8")
    return d


def test_a_five_second_trim_of_a_ten_second_clip_says_so(made: Path) -> None:
    e = edge(real(made / "ten.wav", "a", True), real(made / "five.mp3", "b", True))
    d = e.detail
    assert e.kind == "audio" and d is not None
    assert d.whole_b and not d.whole_a
    assert d.seconds == pytest.approx(5.0, abs=0.3) and d.start_a == pytest.approx(3.0, abs=0.3)
    assert describe(e) == "the second is a 5 s trim of the first (from 0:03)"
    assert describe(e, first="b") == "the first is a 5 s trim of the second (from 0:03)"


def test_a_twelve_second_trim_found_by_chromaprint_says_so(made: Path) -> None:
    whole, trim = real(made / "twenty.wav", "a", True), real(made / "twelve.m4a", "b", True)
    assert min(len(whole.audio), len(trim.audio)) >= 48  # type: ignore[arg-type]  # Chromaprint decides
    e = edge(whole, trim)
    assert e.detail is not None and e.detail.start_a == pytest.approx(4.0, abs=0.3)
    assert describe(e) == "the second is a 12 s trim of the first (from 0:04)"


def test_a_copy_played_faster_says_how_much(made: Path) -> None:
    e = edge(real(made / "ten.wav", "a", True), real(made / "fast.mp3", "b", True))
    assert e.detail is not None and e.detail.tempo == pytest.approx(1.1, abs=0.02)
    assert describe(e) == "the same sound for 10 s, the second one 10% faster"


def test_a_re_encode_is_the_same_sound_throughout(made: Path) -> None:
    e = edge(real(made / "ten.wav", "a", True), real(made / "again.ogg", "b", True))
    assert e.detail is not None and e.detail.whole_a and e.detail.whole_b and e.detail.tempo == 1.0
    assert describe(e) == "the same sound for 10 s"


def test_a_clip_behind_a_black_intro_says_so() -> None:
    e = edge(real(GOOD / "silent.mp4", "a"), real(GOOD / "black_intro.mp4", "b"))
    d = e.detail
    assert e.kind == "frames" and d is not None and d.frames_compared
    assert d.frames_matched >= 0.8 * d.frames_compared  # type: ignore[operator]
    assert (d.shift, d.blank_intro, d.mirrored) == (2.0, True, False)
    assert describe(e).endswith(f"of {d.frames_compared} frames, the second one with a 2 s blank intro")


def test_a_mirrored_video_says_mirrored_and_a_re_encode_does_not(made: Path) -> None:
    source = real(GOOD / "silent.mp4", "a")
    mirrored, plain = edge(source, real(made / "mirrored.mp4", "b")), edge(source, real(made / "reencoded.mp4", "b"))
    assert mirrored.detail is not None and plain.detail is not None
    assert (mirrored.detail.mirrored, plain.detail.mirrored) == (True, False)
    assert describe(mirrored).endswith("frames, the second one mirrored")
    assert describe(plain).startswith("the same pictures in ") and "mirrored" not in describe(plain)


def test_a_mirrored_photo_is_the_same_picture_mirrored(made: Path) -> None:
    e = edge(real(GOOD / "photo.jpg", "a"), real(made / "mirrored.jpg", "b"))
    assert describe(e) == "the same picture, the second one mirrored"


def test_a_retyped_story_tells_its_share_of_words(made: Path) -> None:
    e = edge(real(GOOD / "story.txt", "a"), real(made / "retyped.txt", "b"))
    assert e.kind == "text" and e.detail is not None
    assert describe(e) == f"the same words ({round(100 * e.score)}% of them), re-typed, the second one 14% longer"


def test_duplicate_groups_put_the_evidence_into_words(settings: Settings) -> None:
    from sqlalchemy import select

    from triage.service.duplicates import groups
    from triage.store.schema import Submission

    store = ingested(settings, "silent.mp4", "black_intro.mp4")
    found = groups(store, "lawn")["groups"]
    assert len(found) == 1 and len(found[0]["evidence"]) == 1
    evidence = found[0]["evidence"][0]
    assert set(evidence) == {"a", "b", "kind", "score", "words"}
    with store.db.session() as session:
        names = {row.external_id or row.id: row.original_filename for row in session.scalars(select(Submission))}
    intro = "second" if names[evidence["b"]] == "black_intro.mp4" else "first"
    assert evidence["words"].endswith(f"frames, the {intro} one with a 2 s blank intro")
