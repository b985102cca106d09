"""probe(): every fixture is recognised by content, every bad file is refused with a readable reason."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.media.conftest import BAD, GOOD
from triage.domain import MediaLimits, MediaType
from triage.errors import InvalidSubmission, TooLarge, TriageError, UnsupportedMedia
from triage.media import probe

GOOD_CASES = [
    ("speech.mp4", MediaType.VIDEO, "mp4", True, 4.0, 6.0),
    ("speech.webm", MediaType.VIDEO, "webm", True, 4.0, 6.5),
    ("speech.mov", MediaType.VIDEO, "mov", True, 3.5, 5.5),
    ("silent.mp4", MediaType.VIDEO, "mp4", False, 2.5, 3.5),
    ("scene_cut.mp4", MediaType.VIDEO, "mp4", True, 4.5, 5.5),
    ("black_intro.mp4", MediaType.VIDEO, "mp4", False, 4.5, 5.5),
    ("speech.wav", MediaType.AUDIO, "wav", True, 3.5, 5.5),
    ("speech.mp3", MediaType.AUDIO, "mp3", True, 3.5, 5.5),
    ("speech.ogg", MediaType.AUDIO, "ogg", True, 3.5, 5.5),
    ("speech.flac", MediaType.AUDIO, "flac", True, 3.5, 5.5),
    ("speech.m4a", MediaType.AUDIO, "m4a", True, 3.5, 5.5),
    ("cover_art.mp3", MediaType.AUDIO, "mp3", True, 3.0, 4.5),
]


@pytest.mark.parametrize(("name", "media_type", "fmt", "has_audio", "low", "high"), GOOD_CASES)
def test_good_audio_video_probe_by_content(name, media_type, fmt, has_audio, low, high, limits):
    result = probe(GOOD / name, limits, name=name)
    assert result.media_type is media_type
    assert result.format_name == fmt
    assert result.has_audio is has_audio
    assert low <= (result.duration or 0) <= high
    if media_type is MediaType.VIDEO:
        assert (result.width, result.height) == (320, 240)
        assert result.fps == pytest.approx(25, rel=0.05)
        assert result.mime.startswith("video/")
    else:
        assert result.has_video is False and result.width is None
        assert result.mime.startswith("audio/") and result.sample_rate


@pytest.mark.parametrize(("name", "fmt", "size"), [
    ("photo.jpg", "jpeg", (320, 200)), ("image.png", "png", (320, 200)), ("image.webp", "webp", (320, 200)),
    ("rotated.jpg", "jpeg", (320, 200)), ("animated.gif", "gif", (64, 48)),
])
def test_good_images_probe_with_displayed_size(name, fmt, size, limits):
    result = probe(GOOD / name, limits, name=name)
    assert result.media_type is MediaType.IMAGE and result.format_name == fmt
    assert (result.width, result.height) == size


def test_animated_gif_is_an_image_with_a_note(limits):
    assert any("animated" in note for note in probe(GOOD / "animated.gif", limits).notes)


@pytest.mark.parametrize(("name", "encoding"), [("story.txt", "utf-8"), ("lyrics.md", "utf-8-sig"),
                                                ("latin1.txt", None)])
def test_good_texts_probe_as_text(name, encoding, limits):
    result = probe(GOOD / name, limits, name=name)
    assert result.media_type is MediaType.TEXT and result.mime == "text/plain"
    assert result.char_count and result.char_count > 20
    if encoding:
        assert result.encoding == encoding
    else:  # a legacy Western encoding, whichever superset the detector names
        assert result.encoding in {"latin_1", "iso8859_1", "iso8859_15", "cp1252"}


def test_cover_art_mp3_is_audio_not_video(limits):
    result = probe(GOOD / "cover_art.mp3", limits)
    assert result.media_type is MediaType.AUDIO and not result.has_video
    assert any("cover art" in note for note in result.notes)


BAD_CASES = [
    ("empty.mp4", InvalidSubmission, ["empty", "0 bytes"]),
    ("truncated.mp4", InvalidSubmission, ["truncated", "MP4", "moov"]),
    ("truncated_faststart.mp4", InvalidSubmission, ["truncated", "MP4"]),
    ("text_named.mp4", UnsupportedMedia, [".mp4", "plain text"]),
    ("video_named.txt", UnsupportedMedia, [".txt", "MP4"]),
    ("png_named.mp3", UnsupportedMedia, [".mp3", "PNG"]),
    ("random.bin", UnsupportedMedia, ["binary"]),
    ("tiny.png", InvalidSubmission, ["1x1", "at least 16"]),
    ("bomb.png", TooLarge, ["50000x50000", "2.5 billion", "40 million"]),
    ("undetectable.txt", UnsupportedMedia, ["encoding", "UTF-8"]),
    ("control_chars.txt", UnsupportedMedia, ["control characters"]),
    ("blank.txt", InvalidSubmission, ["blank"]),
]


@pytest.mark.parametrize(("name", "error", "words"), BAD_CASES)
def test_bad_files_are_refused_with_a_reason(name, error, words, limits):
    with pytest.raises(error) as caught:
        probe(BAD / name, limits, name=name)
    for word in words:
        assert word in str(caught.value)


def test_mislabelled_files_are_accepted_by_content_when_allowed(limits):
    result = probe(BAD / "video_named.txt", limits, name="video_named.txt", allow_mislabelled=True)
    assert result.media_type is MediaType.VIDEO
    assert any(".txt" in note for note in result.notes)
    text = probe(BAD / "text_named.mp4", limits, name="text_named.mp4", allow_mislabelled=True)
    assert text.media_type is MediaType.TEXT


@pytest.mark.parametrize("name", ["story", "clip.unknownext", "speech.MP4", "track.webm"])
def test_unknown_missing_or_compatible_extensions_are_fine(name, limits, tmp_path):
    source = GOOD / ("story.txt" if name.startswith("story") else "speech.mp4")
    assert probe(source, limits, name=name).media_type in (MediaType.TEXT, MediaType.VIDEO)


def test_audio_in_a_video_extension_is_not_mislabelled(limits):
    assert probe(GOOD / "speech.m4a", limits, name="voice.mp4").media_type is MediaType.AUDIO


def test_duration_limit(limits):
    with pytest.raises(TooLarge, match=r"duration 00:00:05 exceeds the 00:00:03 limit"):
        probe(GOOD / "speech.mp4", replace(limits, max_duration_s=3))


def test_file_size_is_checked_before_reading(limits):
    with pytest.raises(TooLarge, match="limit"):
        probe(GOOD / "speech.mp4", replace(limits, max_file_bytes=1000))


def test_text_length_limit(limits):
    with pytest.raises(TooLarge, match="characters"):
        probe(GOOD / "story.txt", replace(limits, max_text_chars=50))


def test_video_frame_size_limits(limits):
    with pytest.raises(TooLarge, match="320x240"):
        probe(GOOD / "silent.mp4", replace(limits, max_pixels=10_000))
    with pytest.raises(InvalidSubmission, match="at least"):
        probe(GOOD / "silent.mp4", replace(limits, min_side=400))


def test_image_side_limit(limits):
    with pytest.raises(TooLarge, match="no side may exceed 100"):
        probe(GOOD / "photo.jpg", replace(limits, max_side=100))


def test_missing_file_is_a_clear_error(limits, tmp_path):
    with pytest.raises(InvalidSubmission, match="does not exist"):
        probe(tmp_path / "nope.mp4", limits)


def test_known_non_media_formats_are_named(limits, tmp_path):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"x" * 100)
    with pytest.raises(UnsupportedMedia, match="PDF"):
        probe(pdf, limits)


def test_utf16_text_with_bom_is_text(limits, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("Grüße aus München\n".encode("utf-16"))
    assert probe(path, limits).encoding == "utf-16"


def _cut(source: Path, tmp_path: Path, keep: float) -> Path:
    data = source.read_bytes()
    target = tmp_path / source.name
    target.write_bytes(data[: int(len(data) * keep)])
    return target


@pytest.mark.parametrize("name", ["speech.webm", "speech.flac", "speech.mov"])
def test_files_cut_in_half_are_refused(name, limits, tmp_path):
    with pytest.raises(InvalidSubmission, match="truncated or corrupt"):
        probe(_cut(GOOD / name, tmp_path, 0.5), limits)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=3000), st.sampled_from(["speech.mp4", "speech.webm", "photo.jpg", None]))
def test_hostile_bytes_never_crash(tmp_path, data, prefix_from):
    """Arbitrary bytes, alone or after a real media header, are either accepted or refused cleanly."""
    path = tmp_path / "upload"
    head = (GOOD / prefix_from).read_bytes()[:600] if prefix_from else b""
    path.write_bytes(head + data)
    with contextlib.suppress(TriageError):
        probe(path, MediaLimits())


def test_copy_keeps_result(limits, tmp_path):
    copy = tmp_path / "anything"
    shutil.copy(GOOD / "speech.wav", copy)
    assert probe(copy, limits) == probe(GOOD / "speech.wav", limits)


def test_a_few_backspace_overstrikes_do_not_make_a_text_binary(tmp_path, limits):
    story = tmp_path / "overstrike.txt"
    story.write_text("This is _\b_i_\bm_\bp_\bo_\br_\bt_\ba_\bn_\bt_\b: " + "a short story about a lawn. " * 6)
    assert probe(story, limits).media_type == MediaType.TEXT


@pytest.mark.parametrize("name", ["animated.gif", "image.png", "image.webp"])
def test_every_truncation_of_a_small_image_is_refused_cleanly_and_names_no_server_path(name, limits, tmp_path):
    """A GIF cut inside its frames once raised IndexError from Pillow; Pillow's messages also carried the path."""
    data = (GOOD / name).read_bytes()
    target = tmp_path / "upload"
    for cut in range(1, len(data)):
        target.write_bytes(data[:cut])
        try:
            probe(target, limits)
        except TriageError as exc:
            assert str(tmp_path) not in str(exc), (cut, str(exc))
