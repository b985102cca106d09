"""decode(): frames, posters, audio and text as the models and curators need them."""

from __future__ import annotations

import json
import subprocess
import time
import unicodedata

import av
import numpy as np
import pytest

from tests.media.conftest import GOOD, MEDIA
from triage.domain import Frame, MediaType
from triage.errors import InvalidSubmission
from triage.media import decode, probe
from triage.media.frames import is_blank
from triage.media.video import _drop_repeats


def _decode(name, limits, **kwargs):
    path = GOOD / name
    return decode(path, probe(path, limits), limits, **kwargs)


def _audio_stream_seconds(name: str) -> float:
    with av.open(str(GOOD / name)) as container:
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return container.duration / av.time_base


@pytest.mark.parametrize("name", ["speech.wav", "speech.mp3", "speech.ogg", "speech.flac", "speech.m4a",
                                  "cover_art.mp3", "speech.mp4", "speech.mov", "scene_cut.mp4"])
def test_audio_is_mono_float32_16k_with_the_right_length(name, limits):
    decoded = _decode(name, limits)
    audio = decoded.audio
    assert audio is not None and audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) / 16000 == pytest.approx(_audio_stream_seconds(name), rel=0.02)
    assert 0.05 < float(np.abs(audio).max()) <= 1.0  # there is sound, and it is not clipped garbage


def test_cover_art_is_ignored(limits):
    decoded = _decode("cover_art.mp3", limits)
    assert decoded.probe.media_type is MediaType.AUDIO
    assert decoded.frames == [] and decoded.poster is None


def test_video_without_audio_has_no_audio(limits):
    decoded = _decode("silent.mp4", limits)
    assert decoded.audio is None and decoded.frames


@pytest.mark.parametrize("name", ["speech.mp4", "speech.webm", "silent.mp4", "scene_cut.mp4", "black_intro.mp4"])
def test_frames_are_small_rgb_and_cover_the_duration(name, limits):
    decoded = _decode(name, limits, max_frames=8)
    duration = decoded.probe.duration or 0
    frames = decoded.frames
    assert 2 <= len(frames) <= 8
    times = [f.time for f in frames]
    assert times == sorted(times)
    assert times[-1] >= 0.7 * duration and times[0] <= 0.5 * duration
    for frame in frames:
        assert frame.rgb.dtype == np.uint8 and frame.rgb.ndim == 3 and frame.rgb.shape[2] == 3
        assert max(frame.rgb.shape[:2]) <= 512
        assert not is_blank(frame.rgb)
    assert decoded.poster is not None and not is_blank(decoded.poster.rgb)


def test_black_intro_is_skipped(limits):
    decoded = _decode("black_intro.mp4", limits)
    assert decoded.frames and all(f.time >= 1.9 for f in decoded.frames)
    assert decoded.poster is not None and decoded.poster.rgb.mean() > 40


def test_both_sides_of_a_scene_cut_are_sampled(limits):
    frames = _decode("scene_cut.mp4", limits).frames
    before = [f for f in frames if f.time < 2.4]
    after = [f for f in frames if f.time > 2.6]
    assert before and after
    difference = np.abs(before[-1].rgb.astype(float) - after[0].rgb.astype(float)).mean()
    assert difference > 30  # two different pictures, not one


def test_large_frames_are_downscaled(limits, tmp_path):
    path = tmp_path / "wide.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=10:duration=1",
                    "-c:v", "libx264", "-preset", "ultrafast", str(path)], check=True)
    decoded = decode(path, probe(path, limits), limits)
    assert decoded.frames[0].rgb.shape == (288, 512, 3)


def test_image_exif_rotation_is_applied(limits):
    upright = _decode("photo.jpg", limits).frames[0].rgb
    turned = _decode("rotated.jpg", limits)
    rgb = turned.frames[0].rgb
    assert rgb.shape == upright.shape == (200, 320, 3)
    assert turned.poster is not None and turned.poster.rgb is rgb
    # the red band sits at the top-left in the picture as a viewer sees it
    assert rgb[10, 20, 0] > 150 and rgb[10, 20, 2] < 100
    assert np.abs(rgb.astype(float) - upright.astype(float)).mean() < 12


@pytest.mark.parametrize("name", ["image.png", "image.webp", "animated.gif"])
def test_images_decode_to_rgb(name, limits):
    decoded = _decode(name, limits)
    assert len(decoded.frames) == 1 and decoded.frames[0].rgb.dtype == np.uint8
    assert decoded.frames[0].rgb.shape[2] == 3


def test_text_is_nfc_with_unix_newlines(limits, tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes("Cafe\u0301 au lait\r\nsecond line\r\n".encode())
    decoded = decode(path, probe(path, limits), limits)
    assert decoded.text == "Café au lait\nsecond line\n"
    assert unicodedata.is_normalized("NFC", decoded.text)


def test_latin1_text_decodes_to_the_right_characters(limits):
    assert "à la fête du village" in (_decode("latin1.txt", limits).text or "")


@pytest.mark.parametrize(("text", "encoding"), [
    ("Mon chien a mangé la pelouse, très drôle. Café crème. " * 3, "latin-1"),
    ("Ça c'est très bien, mon frère. Où est la pâtisserie? Noël à Paris.", "cp1252"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy. Čeština je krásný jazyk, řekl mi dědeček.", "cp1250"),
])
def test_legacy_single_byte_texts_keep_their_letters(text, encoding, limits, tmp_path):
    # cp1250 and cp1252 tie on much Western text; picking cp1250 turned "très" into "trčs"
    path = tmp_path / "story.txt"
    path.write_bytes(text.encode(encoding))
    assert decode(path, probe(path, limits), limits).text == text


def test_bom_is_dropped(limits):
    assert (_decode("lyrics.md", limits).text or "").startswith("# Lawn song")


def test_corruption_found_while_decoding_is_invalid(limits, tmp_path):
    path = tmp_path / "broken.m4a"
    data = bytearray((GOOD / "speech.m4a").read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 4000):
        data[i] = (data[i] * 7 + 13) % 256
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidSubmission, match="corrupt"):
        decode(path, probe(path, limits), limits)


def test_a_container_that_breaks_mid_file_is_invalid(limits, tmp_path):
    # An Ogg whose second half is another file's bytes: the demuxer itself fails mid-stream (CRC mismatch),
    # which once escaped as an internal error. Found by mutating the fixtures.
    path = tmp_path / "spliced.ogg"
    path.write_bytes((GOOD / "speech.ogg").read_bytes()[:10_582] + (GOOD / "speech.webm").read_bytes()[184_865:])
    with pytest.raises(InvalidSubmission, match="truncated or corrupt Ogg") as err:
        decode(path, probe(path, limits), limits)
    assert str(tmp_path) not in str(err.value)


def test_spoken_sidecar_names_real_files():
    spoken = json.loads((MEDIA / "spoken.json").read_text())
    assert spoken and all((MEDIA / name).is_file() and len(text.split()) > 5 for name, text in spoken.items())


@pytest.mark.slow
def test_a_minute_of_video_decodes_without_decoding_every_frame(limits, tmp_path):
    path = tmp_path / "minute.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=60",
                    "-c:v", "libx264", "-preset", "ultrafast", str(path)], check=True)
    started = time.perf_counter()
    with av.open(str(path)) as container:
        total = sum(1 for _ in container.decode(video=0))
    full = time.perf_counter() - started
    started = time.perf_counter()
    decoded = decode(path, probe(path, limits), limits)
    sampled = time.perf_counter() - started
    assert total == 1500
    assert sampled < full / 2, f"sampling took {sampled:.2f}s, full decode {full:.2f}s"
    assert decoded.frames[-1].time >= 45 and len(decoded.frames) >= 5


def test_repeat_check_compares_frames_of_different_sizes():
    # A damaged WebM decoded to 240x320 and 448x320 frames, and the still-repeat check raised ValueError.
    grey = np.full((240, 320, 3), 90, dtype=np.uint8)
    taller = np.full((448, 320, 3), 90, dtype=np.uint8)
    other = np.full((448, 320, 3), 200, dtype=np.uint8)
    same = np.full((448, 320, 3), 90, dtype=np.uint8)
    kept = _drop_repeats([Frame(0.0, grey), Frame(1.0, taller), Frame(2.0, same), Frame(3.0, other)])
    assert [f.time for f in kept] == [0.0, 1.0, 3.0]  # another size is another picture; a still repeat is not
