"""Programmes on a real store with real media: placing, trimming, moving and sectioning pieces against the target;
what a curator is told when a piece changes under them; each kind rendered from the sample media and read back."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from mutagen import File as MutagenFile
from sqlalchemy import update

from tests.conftest import ingested
from tests.render.test_book import epubcheck_command
from triage.config import Settings
from triage.errors import BadRequest, Conflict
from triage.programmes.plan import RenderSettings
from triage.render import ffmpeg, loudness
from triage.service import programmes
from triage.service.erase import erase
from triage.service.programme_render import check, output_file, render, rendered
from triage.store.schema import Content, Submission
from triage.store.store import Store

MEDIA = ("speech.mp4", "story.txt", "speech.wav", "image.png", "silent.mp4")


@pytest.fixture
def small(settings: Settings) -> Settings:
    settings.render_width, settings.render_height = 320, 180  # quick renders; the frame is the renders' own tests
    return settings


@pytest.fixture
def store(small: Settings) -> Store:
    return ingested(small, *MEDIA)


def ids(store: Store) -> dict[str, str]:
    with store.db.session() as session:
        return {str(row.original_filename): row.id for row in session.query(Submission)}


def test_pieces_are_placed_moved_sectioned_and_counted_against_the_target(store: Store) -> None:
    sid = ids(store)
    made = programmes.create(store, "Episode 1: Lawns!", "episode", callout_id="lawn", target=60)
    assert (made.id, made.unit, made.used, made.pieces) == ("episode-1-lawns", "s", 0, ())
    for name in ("speech.mp4", "story.txt", "speech.wav"):
        found = programmes.add(store, made.id, sid[name])
    assert [p.submission_id for p in found.pieces] == [sid["speech.mp4"], sid["story.txt"], sid["speech.wav"]]
    video, text, audio = found.pieces
    assert (video.start, video.end) == (0, video.whole) and video.whole > 1
    assert text.media_type == "text" and (text.start, text.end) == (0, text.whole)
    settings = RenderSettings()
    assert found.used == pytest.approx(video.length + text.length + audio.length + settings.credits_s, abs=0.01)
    found = programmes.set_heading(store, made.id, sid["story.txt"], "  Words  ")
    assert found.pieces[1].heading == "Words"
    assert programmes.view(store, made.id).used == pytest.approx(found.used)
    assert found.used == pytest.approx(video.length + text.length + audio.length + settings.credits_s
                                       + settings.section_card_s, abs=0.01)
    found = programmes.move(store, made.id, sid["speech.wav"], 1)
    assert [p.media_type for p in found.pieces] == ["audio", "video", "text"]
    assert [p.position for p in found.pieces] == [1, 2, 3]
    found = programmes.reorder(store, made.id, [sid["story.txt"], sid["speech.mp4"], sid["speech.wav"]])
    assert [p.media_type for p in found.pieces] == ["text", "video", "audio"]
    with pytest.raises(Conflict, match="changed while you reordered"):
        programmes.reorder(store, made.id, [sid["story.txt"]])
    with pytest.raises(Conflict, match="already"):
        programmes.add(store, made.id, sid["speech.wav"])
    found = programmes.remove(store, made.id, "2")  # by position
    assert [p.media_type for p in found.pieces] == ["text", "audio"] and [p.position for p in found.pieces] == [1, 2]
    assert programmes.create(store, "Episode 1: lawns", "episode").id == "episode-1-lawns-2"


def test_cuts_are_checked_in_words_a_curator_acts_on(store: Store) -> None:
    sid = ids(store)
    made = programmes.create(store, "Book", "book", callout_id="lawn")
    assert made.target == 10_000 and made.unit == "words"
    found = programmes.add(store, made.id, sid["story.txt"], start=2.4, end=9.6)
    assert (found.pieces[0].start, found.pieces[0].end, found.used) == (2, 10, 8)  # a text is cut between words
    words = found.pieces[0].whole
    with pytest.raises(BadRequest, match=rf"in point \({int(words) + 5} words\) is past the end of .* {int(words)} "):
        programmes.trim(store, made.id, sid["story.txt"], words + 5, words + 9)
    with pytest.raises(BadRequest, match="must come before the out point"):
        programmes.trim(store, made.id, sid["story.txt"], 5, 5)
    clip = programmes.add(store, made.id, sid["speech.wav"]).pieces[1]
    with pytest.raises(BadRequest, match="out point .* is past the end"):
        programmes.trim(store, made.id, sid["speech.wav"], 0, clip.whole + 30)
    assert programmes.trim(store, made.id, sid["speech.wav"], 0.5, 1.5).pieces[1].end == 1.5
    with pytest.raises(BadRequest, match="a picture: it has no in/out"):
        programmes.add(store, made.id, sid["image.png"], start=1, end=2)
    with pytest.raises(BadRequest, match="one of episode, book, album"):
        programmes.create(store, "Film", "film")


def test_a_piece_analysed_again_or_taken_away_is_told_and_blocks_only_what_it_must(store: Store,
                                                                                   small: Settings) -> None:
    sid = ids(store)
    made = programmes.create(store, "Episode", "episode", callout_id="lawn")
    for name in ("speech.wav", "speech.mp4"):
        programmes.add(store, made.id, sid[name])
    with store.db.session() as session:  # what a reprocess does to the piece's content
        sha = session.get(Submission, sid["speech.wav"]).sha256
        session.execute(update(Content).where(Content.sha256 == sha).values(status="ready"))
        session.commit()
    found = programmes.view(store, made.id)
    assert found.pieces[0].problems == ("it was analysed again since it was placed: check the in and out points",)
    assert check(store, made.id, RenderSettings()).warnings == (
        "piece 1 (speech.wav): it was analysed again since it was placed: check the in and out points",)
    programmes.whole(store, made.id, sid["speech.wav"])  # looked at: the warning is answered
    assert programmes.view(store, made.id).pieces[0].problems == ()
    with store.db.session() as session:
        session.execute(update(Submission).where(Submission.id == sid["speech.mp4"]).values(status="failed"))
        session.commit()
    assert "failed, not ready" in programmes.view(store, made.id).pieces[1].problems[0]
    with pytest.raises(BadRequest, match=r"cannot render yet: piece 2 \(speech.mp4\): this piece is failed"):
        check(store, made.id, RenderSettings())
    empty = programmes.create(store, "Nothing", "album")
    with pytest.raises(BadRequest, match="has no pieces to render"):
        render(store, empty.id, small)


def test_an_episode_renders_from_the_sample_media_and_reads_back(store: Store, small: Settings) -> None:
    sid = ids(store)
    made = programmes.create(store, "Lawn episode", "episode", callout_id="lawn")
    for name in ("speech.mp4", "story.txt", "image.png", "speech.wav", "silent.mp4"):
        programmes.add(store, made.id, sid[name])
    programmes.set_heading(store, made.id, sid["image.png"], "Pictures")
    programmes.trim(store, made.id, sid["speech.wav"], 0.5, 2.5)
    done = render(store, made.id, small)
    folder = output_file(store, made.id, "rough-cut.mp4").parent
    cut = json.loads((folder / "cut.json").read_text())
    pieces = sum(seg["end"] - seg["start"] for seg in cut["segments"])  # every piece, card, section and credits
    kinds = [seg["kind"] for seg in cut["segments"]]
    assert kinds[-1] == "credits" and "section" in kinds
    assert abs(ffmpeg.duration(folder / "rough-cut.mp4") - pieces) <= 1 / small.render_fps
    assert abs(done["duration_s"] - programmes.view(store, made.id).used) <= 1 / small.render_fps
    heard = loudness.measure(folder / "rough-cut.mp4")
    assert abs(heard.integrated_lufs - small.render_loudness_lufs) <= 1 and heard.true_peak_db <= -1
    assert set(done["files"]) == {"rough-cut.mp4", "rough-cut.otio", "cut.json", "payouts.csv"}
    assert rendered(store, made.id) == done
    payouts = list(csv.DictReader(io.StringIO((folder / "payouts.csv").read_text())))
    assert sum(float(row["share"]) for row in payouts) == pytest.approx(1, abs=1e-5)
    assert {row["basis"] for row in payouts} == {"seconds on screen"}


def test_a_book_and_an_album_render_from_the_sample_media(store: Store, small: Settings) -> None:
    sid = ids(store)
    book = programmes.create(store, "Lawn book", "book", callout_id="lawn")
    for name in ("story.txt", "image.png", "speech.wav"):
        programmes.add(store, book.id, sid[name])
    made = render(store, book.id, small)
    epub = output_file(store, book.id, next(f for f in made["files"] if f.endswith(".epub")))
    checked = subprocess.run([*epubcheck_command(), str(epub)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    album = programmes.create(store, "Lawn album", "album", callout_id="lawn")
    for name in ("speech.wav", "image.png", "speech.mp4"):
        programmes.add(store, album.id, sid[name])
    made = render(store, album.id, small)
    flacs = [output_file(store, album.id, f) for f in made["files"] if f.endswith(".flac")]
    tags = [MutagenFile(path) for path in flacs]
    assert [t["tracknumber"][0] for t in tags] == ["1/2", "2/2"]
    assert [t["album"][0] for t in tags] == ["Lawn album"] * 2
    assert all(t.pictures and t.pictures[0].type == 3 for t in tags)  # the placed picture is the cover
    assert not any("image.png" in w for w in made["warnings"])


def test_erasing_a_piece_takes_it_out_of_programmes_and_deletes_their_renders(store: Store, small: Settings) -> None:
    sid = ids(store)
    made = programmes.create(store, "Book", "book", callout_id="lawn")
    for name in ("story.txt", "image.png"):
        programmes.add(store, made.id, sid[name])
    render(store, made.id, small)
    report = erase(store, submissions=[sid["story.txt"]], index_dir=small.resolved_index_dir)
    assert report.removed["programme_places"] == 1 and report.removed["renders"] == 1
    found = programmes.view(store, made.id)
    assert [(p.position, p.submission_id) for p in found.pieces] == [(1, sid["image.png"])]
    assert rendered(store, made.id) is None


def test_a_killed_renders_unfinished_folder_is_swept_and_its_last_render_kept(store: Store, small: Settings) -> None:
    sid = ids(store)
    made = programmes.create(store, "Book", "book", callout_id="lawn")
    programmes.add(store, made.id, sid["story.txt"])
    render(store, made.id, small)
    folder = output_file(store, made.id, "payouts.csv").parent
    killed = folder.parent / ".book.partial-x1y2"  # as render/staging.py names the folder a render is built in
    (killed / "half").mkdir(parents=True)
    assert store.files.unfinished_renders() == [killed]
    assert store.sweep() >= 1
    assert not killed.exists() and rendered(store, made.id) is not None


def test_a_reprocess_of_a_ready_piece_is_seen_by_its_pools_and_its_programmes(store: Store, small: Settings) -> None:
    """Reprocessing rewrites a piece's derived rows without changing its status: the content's stamp still moves,
    so the pool signature and a programme's "analysed again" warning both see it (the same number of vectors may
    reuse the freed ids, which no count or newest id would notice)."""
    from triage import runtime
    from triage.ingest.reprocess import reprocess_one
    from triage.service.cache import pool_signature

    sid = ids(store)
    made = programmes.create(store, "Episode", "episode", callout_id="lawn")
    programmes.add(store, made.id, sid["story.txt"])
    with store.db.session() as session:
        sha = session.get(Submission, sid["story.txt"]).sha256
        before = pool_signature(session, "lawn", None)
    assert sha is not None
    done = reprocess_one(store, sha, ("text",), runtime.analyser(small, runtime.encoders(small)))
    assert done.error is None
    with store.db.session() as session:
        assert pool_signature(session, "lawn", None) != before
    assert "analysed again" in programmes.view(store, made.id).pieces[0].problems[0]
