"""The words printed in pictures become part of the piece: stored, shown, embedded and found by search; with OCR
off or Tesseract missing, ingest goes on without them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import FAKE_MODELS
from tests.media.text_pictures import background, draw_text
from triage import runtime
from triage.cli import callouts, cli  # noqa: F401  (importing registers the commands)
from triage.config import Settings
from triage.ingest.reprocess import reprocess_one, with_dependents
from triage.ingest.runner import ingest
from triage.ingest.sources import from_paths
from triage.media import ocr
from triage.service.pool import load_pool
from triage.service.search import search
from triage.service.views import submission_dict
from triage.store import artifacts as art
from triage.store.callouts import upsert_callout
from triage.store.schema import Submission
from triage.store.store import Store

POSTER_WORDS = "Marmalade picnic"
CAPTION_WORDS = "the kettle sings"


def poster(folder: Path) -> Path:
    path = folder / "poster.png"
    draw_text(background("flat", (480, 320)), [POSTER_WORDS, "bring a blanket"], font="DejaVuSans-Bold.ttf",
              size=30, at=(30, 60)).save(path)
    return path


def captioned_video(folder: Path, seconds: int = 4, fps: int = 4, *, sound: bool = False) -> Path:
    """A video whose second half carries a burned-in caption on a plate; silent, or with a loud hum throughout
    (which the fake transcriber hears as words)."""
    path = folder / ("caption_sound.mp4" if sound else "caption.mp4")
    plain = background("photo", (320, 240), seed=2)
    with_caption = draw_text(plain, [CAPTION_WORDS], size=18, colour=(255, 255, 255), box=(0, 0, 0), at=(40, 190))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        if sound:
            audio = out.add_stream("aac", rate=16000, layout="mono")
            hum = (0.5 * np.sin(np.arange(seconds * 16000) * 2 * np.pi * 220 / 16000)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(hum[None, :], format="fltp", layout="mono")
            frame.sample_rate = 16000
            for packet in [*audio.encode(frame), *audio.encode()]:
                out.mux(packet)
        for i in range(seconds * fps):
            picture = with_caption if i >= seconds * fps // 2 else plain
            # a little motion, so the frame sampler keeps more than one picture
            shifted = np.roll(np.asarray(picture), i, axis=1) if i < seconds * fps // 2 else np.asarray(picture)
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(shifted), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def run(settings: Settings, paths: list[Path]) -> Store:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "fair", title="Village fair", brief="Posters and films for the village fair.")
    results = ingest(store, "fair", list(from_paths(paths)), runtime.analyser(settings, runtime.encoders(settings)),
                     max_file_bytes=10**9)
    assert {r.status for r in results} == {"ready"}, [r.error for r in results]
    return store


def shown(store: Store, name: str) -> dict:  # type: ignore[type-arg]
    with store.db.session() as session:
        row = session.query(Submission).filter_by(original_filename=name).one()
        return submission_dict(session, row)


def test_a_posters_words_are_stored_shown_and_found_by_search(settings: Settings, tmp_path: Path) -> None:
    store = run(settings, [poster(tmp_path), captioned_video(tmp_path)])
    data = shown(store, "poster.png")
    assert [line["text"] for line in data["ocr"]["lines"]] == [POSTER_WORDS, "bring a blanket"]
    assert data["ocr"]["model"].startswith("tesseract-")
    found = search(store, runtime.encoders(settings), "marmalade picnic", limit=2)["items"]
    assert found[0]["external_id"] == data["external_id"]


def test_a_burned_in_caption_is_found_at_its_moment(settings: Settings, tmp_path: Path) -> None:
    store = run(settings, [poster(tmp_path), captioned_video(tmp_path)])
    data = shown(store, "caption.mp4")
    lines = data["ocr"]["lines"]
    assert [line["text"] for line in lines] == [CAPTION_WORDS]
    assert 1.5 <= lines[0]["time"] <= 4.0  # the caption shows from 2 s
    hit = search(store, runtime.encoders(settings), "kettle sings", limit=2)["items"][0]
    assert hit["external_id"] == data["external_id"]
    assert hit["snippet"] == CAPTION_WORDS
    assert hit["moment"]["start"] == pytest.approx(lines[0]["time"], abs=0.01)


def test_triage_show_lists_the_words_in_the_pictures(settings: Settings, tmp_path: Path) -> None:
    store = run(settings, [captioned_video(tmp_path)])
    sid = shown(store, "caption.mp4")["submission_id"]
    done = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), "show", sid],
                              env={**FAKE_MODELS, "HF_HUB_OFFLINE": "1"})
    assert done.exit_code == 0, done.output
    printed = [line.split()[3:] for line in done.output.splitlines() if line.startswith("in the pictures")]
    assert len(printed) == 1 and printed[0][1:] == CAPTION_WORDS.split()
    assert printed[0][0] in ("0:02", "0:03")  # the caption shows from 2 s, read on the first frame sampled after


def test_a_caption_joins_the_spoken_words_of_a_video_that_has_them(settings: Settings, tmp_path: Path) -> None:
    # A video's words vector stays its speech (duplicates compare copies on it), the caption's chunks beside it.
    store = run(settings, [captioned_video(tmp_path, sound=True)])
    data = shown(store, "caption_sound.mp4")
    assert data["transcript"]["text"] and [line["text"] for line in data["ocr"]["lines"]] == [CAPTION_WORDS]
    with store.db.session() as session:
        item = load_pool(session, "fair").items[data["submission_id"]]
    assert item.text is None and item.transcript is not None
    assert CAPTION_WORDS in [c.text for c in item.transcript.chunks]
    hit = search(store, runtime.encoders(settings), "kettle sings", limit=1)["items"][0]
    assert hit["external_id"] == data["external_id"] and hit["snippet"] == CAPTION_WORDS


def test_ocr_turned_off_leaves_pictures_without_words(settings: Settings, tmp_path: Path) -> None:
    store = run(settings.model_copy(update={"ocr": False}), [poster(tmp_path)])
    assert shown(store, "poster.png")["ocr"] is None


@pytest.fixture
def tesseract_missing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ocr, "tessdata_dir", lambda: None)
    ocr._load.cache_clear()
    yield
    ocr._load.cache_clear()


@pytest.mark.usefixtures("tesseract_missing")
def test_without_tesseract_ingest_goes_on_and_reprocessing_adds_the_words_later(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = run(settings, [poster(tmp_path)])
    data = shown(store, "poster.png")
    assert data["status"] == "ready" and data["ocr"] is None
    monkeypatch.undo()  # Tesseract installed: `triage reprocess --only ocr` reads the stored pictures
    ocr._load.cache_clear()
    assert with_dependents(("ocr",)) == ("text", "ocr")
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    assert reprocess_one(store, data["sha256"], with_dependents(("ocr",)), analyse).error is None
    assert [line["text"] for line in shown(store, "poster.png")["ocr"]["lines"]][0] == POSTER_WORDS
    with store.db.session() as session:
        assert "ocr" in art.artifacts(session, data["sha256"])
