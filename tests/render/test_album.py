"""The album render: a FLAC and an MP3 per sound, in order, trimmed, loudness-matched and gapped, tagged (read back
with mutagen), with a tracklist; pieces without sound skipped with a warning; all or nothing on bad input."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from PIL import Image

from triage.errors import BadRequest, ProcessingFailed
from triage.programmes.plan import Placed, RenderPlan, RenderSettings
from triage.render.album import mp3_slack_s, render_album
from triage.render.loudness import measure
from triage.render.tracklist import safe_title

MEDIA = Path(__file__).resolve().parents[2] / "samples" / "media"
SETTINGS = RenderSettings(album_gap_s=1.5)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


def sounds(tmp: Path) -> dict[str, Path]:
    """A quiet tone (far below the target), loud noise (far above it, peaking near full scale), a silent video."""
    made = {"quiet": tmp / "quiet.wav", "loud": tmp / "loud.flac", "mute": tmp / "mute.mp4"}
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=4:sample_rate=44100", "-af", "volume=-34dB",
           str(made["quiet"]))
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.95:duration=3:sample_rate=48000", str(made["loud"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2", "-pix_fmt", "yuv420p", str(made["mute"]))
    return made


@pytest.fixture(scope="module")
def album(tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderPlan, Path, object]:
    tmp = tmp_path_factory.mktemp("album")
    made = sounds(tmp)
    Image.new("RGB", (640, 640), (30, 60, 200)).save(tmp / "cover.jpg")
    pieces = (
        Placed("sub-poem", "A poem", "Ann", "text", None, 0, 0, 3, words="one two three"),
        Placed("sub-talk", "Harbour talk", "Bea", "audio", MEDIA / "demo-6037983b.mp3", 4.8, 0.5, 3.0),
        Placed("sub-film", "Film/sound: \x07take 2", "Cy", "video", MEDIA / "demo-5c7fe058.mp4", 6.96, 1.0, 3.5),
        Placed("sub-photo", "A photo", "Dee", "image", tmp / "cover.jpg", 0, 0, 0),
        Placed("sub-mute", "Silent film", "Eve", "video", made["mute"], 2.0, 0, 2.0),
        Placed("sub-quiet", "Quiet tone", "Bea", "audio", made["quiet"], 4.0, 0.5, 4.0),
        Placed("sub-loud", "Loud noise", "Fay", "audio", made["loud"], 3.0, 0, 9.0),  # out past the end: to its end
    )
    plan = RenderPlan("prog-7", "Sounds of the Town", "album", pieces, (), SETTINGS, cover=tmp / "cover.jpg")
    rendered = render_album(plan, tmp / "out")
    return plan, tmp / "out", rendered


# (file stem, title, contributor, submission, seconds of sound): takes under 3 s are levelled by a measured gain,
# longer ones by two-pass loudnorm
TRACKS = [
    ("01 - Harbour talk", "Harbour talk", "Bea", "sub-talk", 2.5),
    ("02 - Film-sound- take 2", "Film/sound: take 2", "Cy", "sub-film", 2.5),
    ("03 - Quiet tone", "Quiet tone", "Bea", "sub-quiet", 3.5),
    ("04 - Loud noise", "Loud noise", "Fay", "sub-loud", 3.0),
]


def expected_length(i: int) -> float:
    return TRACKS[i][4] + (SETTINGS.album_gap_s if i < len(TRACKS) - 1 else 0.0)


def test_the_files_are_the_tracks_in_order_and_the_tracklist(album) -> None:
    _plan, out, rendered = album
    names = [f"{stem}.{ext}" for stem, *_ in TRACKS for ext in ("flac", "mp3")] + ["tracklist.txt", "tracklist.csv"]
    assert list(rendered.files) == names
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no work files left behind
    rows = list(csv.DictReader((out / "tracklist.csv").open(encoding="utf-8")))
    assert [(r["track"], r["title"], r["contributor"], r["submission_id"]) for r in rows] == [
        (str(n), title, who, sub) for n, (_stem, title, who, sub, _s) in enumerate(TRACKS, start=1)]
    text = (out / "tracklist.txt").read_text(encoding="utf-8").splitlines()
    assert text[0] == "Sounds of the Town"
    assert "1. Harbour talk — Bea (0:02)" in text and "4. Loud noise — Fay (0:03)" in text
    assert "Total: 0:16 (4 tracks, gaps included)" in text


def test_tags_and_cover_read_back_with_mutagen(album) -> None:
    _plan, out, _rendered = album
    for n, (stem, title, who, sub, _s) in enumerate(TRACKS, start=1):
        flac = FLAC(out / f"{stem}.flac")
        assert flac["title"] == [title] and flac["artist"] == [who] and flac["album"] == ["Sounds of the Town"]
        assert flac["albumartist"] == ["Various Artists"] and flac["tracknumber"] == [f"{n}/4"]
        assert flac["triage_submission"] == [sub] and sub in flac["comment"][0]
        assert [(p.type, p.mime, p.width) for p in flac.pictures] == [(3, "image/jpeg", 640)]
        assert flac.info.sample_rate == 48000 and flac.info.channels == 2 and flac.info.bits_per_sample == 24
        tags = ID3(out / f"{stem}.mp3")
        assert str(tags["TIT2"]) == title and str(tags["TPE1"]) == who and str(tags["TALB"]) == "Sounds of the Town"
        assert str(tags["TPE2"]) == "Various Artists" and str(tags["TRCK"]) == f"{n}/4"
        assert str(tags["TXXX:triage_submission"]) == sub
        covers = tags.getall("APIC")
        assert len(covers) == 1 and covers[0].type == 3 and covers[0].mime == "image/jpeg"
        assert Image.open(io.BytesIO(covers[0].data)).size == (640, 640)


def test_each_track_lasts_its_span_and_its_gap(album) -> None:
    _plan, out, rendered = album
    for i, (stem, *_rest) in enumerate(TRACKS):
        flac, mp3 = mutagen.File(out / f"{stem}.flac"), mutagen.File(out / f"{stem}.mp3")
        assert flac.info.length == pytest.approx(expected_length(i), abs=0.002)
        assert 0 <= mp3.info.length - expected_length(i) <= mp3_slack_s(48000)
    assert rendered.duration_s == pytest.approx(sum(expected_length(i) for i in range(len(TRACKS))), abs=0.01)


def test_every_track_is_at_the_target_loudness_and_under_the_peak(album) -> None:
    _plan, out, rendered = album
    levels = [measure(out / f"{stem}.flac") for stem, *_ in TRACKS]
    for level in levels:
        assert abs(level.integrated_lufs - SETTINGS.loudness_lufs) <= 1.0
        assert level.true_peak_db <= SETTINGS.true_peak_db + 0.2
    for stem, *_ in TRACKS:  # the MP3s too: encoding keeps the loudness
        assert abs(measure(out / f"{stem}.mp3").integrated_lufs - SETTINGS.loudness_lufs) <= 1.0
    assert rendered.loudness_lufs == pytest.approx(sum(x.integrated_lufs for x in levels) / len(levels), abs=0.05)
    assert rendered.true_peak_db == pytest.approx(max(x.true_peak_db for x in levels), abs=0.05)


def test_pieces_without_sound_are_skipped_with_a_warning(album) -> None:
    _plan, _out, rendered = album
    assert rendered.warnings == ("'A poem' is a text piece: an album has no place for it",  # the photo is the cover
                                 "'Silent film' has no sound: an album has no place for it")


def test_titles_make_safe_file_names() -> None:
    assert safe_title("../../etc/passwd") == "etc-passwd"
    assert safe_title('a\x00b\nc\u202ed:"*?<>|') == "a b c d--"
    assert safe_title("   ") == "Untitled"
    long = safe_title("é" * 300)
    assert len(long.encode("utf-8")) <= 80 and set(long) == {"é"}


def test_no_sound_at_all_is_a_bad_request(tmp_path: Path) -> None:
    pieces = (Placed("a", "A poem", "Ann", "text", None, 0, 0, 3, words="one two three"),)
    with pytest.raises(BadRequest, match="no pieces with sound"):
        render_album(RenderPlan("p", "Quiet", "album", pieces, ()), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_in_point_past_the_end_names_the_piece(tmp_path: Path) -> None:
    pieces = (Placed("a", "Harbour talk", "Bea", "audio", MEDIA / "demo-6037983b.mp3", 4.8, 0, 2),
              Placed("b", "Too late", "Cy", "audio", MEDIA / "demo-6037983b.mp3", 4.8, 5.0, 6.0))
    with pytest.raises(BadRequest, match="'Too late'.*past its end"):
        render_album(RenderPlan("p", "Late", "album", pieces, ()), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_file_mid_album_fails_naming_it_and_leaves_nothing(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    damaged = inputs / "damaged.flac"  # a whole header, then the stream cut short: it probes, but won't decode
    damaged.write_bytes((MEDIA / "demo-bac0d757.flac").read_bytes()[:80_000])
    pieces = (Placed("a", "Harbour talk", "Bea", "audio", MEDIA / "demo-6037983b.mp3", 4.8, 0, 2),
              Placed("b", "Damaged song", "Cy", "audio", damaged, 13.0, 1.0, 6.0))
    with pytest.raises(ProcessingFailed, match="'Damaged song'.*could be decoded"):
        render_album(RenderPlan("p", "Broken", "album", pieces, ()), tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir()] == ["in"]
