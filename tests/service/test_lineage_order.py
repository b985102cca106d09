"""Words lineage does not depend on the order of arrival (issue 19): a reading (a sound piece whose transcript reads
a poem) ingested before the poem is found when the poem arrives, and stored as the reading's own match, the same edge
as when the poem came first; at ingest (update_lineage), in a rebuild, and in a rebuild shared out."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.conftest import MEDIA
from tests.lineage.test_words import timed
from tests.service.test_lineage import _words
from tests.service.test_lineage_counts import _store
from triage import runtime
from triage.config import Settings
from triage.ingest.runner import ingest
from triage.ingest.sources import Source
from triage.lineage import words
from triage.lineage.types import Reuse, ReuseKind
from triage.service.erase import erase
from triage.service.lineage import lineage, mark_asset
from triage.service.lineage_prints import Prints
from triage.service.lineage_update import (
    _archive,
    match_share,
    rebuild_lineage,
    update_lineage,
)
from triage.store.artifacts import put_artifact
from triage.store.lineage import all_matches
from triage.store.store import Store

RNG = random.Random(29)
POEM = _words(RNG, 70)
OLDER = _words(RNG, 60)  # a text the reading also reads, there before it
READ = " ".join(POEM.split()[10:50])


def _arrive(store: Store, settings: Settings, folder: Path, name: str, *, match: bool = True) -> str:
    """Ingest one piece: a text (`poem`, `older`) or the reading (speech.wav, its transcript replaced by one that
    reads the older text and then 40 words of the poem); match it against the archive unless told not to."""
    if name == "reading":
        path = MEDIA / "good" / "speech.wav"
    else:
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.txt"
        path.write_text({"poem": f"A poem\n{POEM}\n", "older": f"{OLDER}\n"}[name])
    analyse = runtime.analyser(settings, runtime.encoders(settings))
    done = ingest(store, "lawn", [Source(str(path), path, external_id=name, contributor=name)], analyse,
                  max_file_bytes=10**8)
    sha = str(done[0].sha256)
    if name == "reading":
        own = random.Random(31)  # the same reading in every store
        said = timed(f"{_words(own, 20)} {OLDER} {_words(own, 15)} {READ} {_words(own, 10)}", start=2.0, per_word=0.3)
        with store.db.session() as session:
            put_artifact(session, sha, "transcript", model="test", data=said.to_dict())
    if match:
        update_lineage(store, [sha])
    return sha


def _stored(store: Store) -> list[Reuse]:
    with store.db.session() as session:
        return all_matches(session)


def _edge(store: Store, source: str, user: str) -> Reuse:
    found = [r for r in _stored(store) if (r.source, r.user) == (source, user)]
    assert len(found) == 1, found  # stored once, whatever saw it
    return found[0]


def _same(a: Reuse, b: Reuse) -> None:
    assert (a.source, a.user, a.kind, a.user_span.unit, a.source_span.unit) == (b.source, b.user, b.kind, "s", "chars")
    assert (b.user_span.unit, b.source_span.unit) == ("s", "chars")
    assert abs(a.user_span.start - b.user_span.start) <= 1.0 and abs(a.user_span.end - b.user_span.end) <= 1.0
    assert a.source_span == b.source_span


def _names(store: Store) -> dict[str, str]:
    return {name: lineage(store, name)["submission"]["submission_id"] for name in ("poem", "reading")}


def test_update_lineage_finds_a_reading_whichever_came_first(settings: Settings, tmp_path: Path) -> None:
    first = _store(settings)
    poem = _arrive(first, settings, tmp_path / "t1", "poem")
    reading = _arrive(first, settings, tmp_path / "t1", "reading")
    usual = _edge(first, poem, reading)
    assert usual.kind == ReuseKind.TEXT and usual.user_span.start > 2.0 + 30 * 0.3  # read after the older text
    first.close()

    later = _store(Settings(data_dir=tmp_path / "later", whisper_model="fake", text_model="fake", clip_model="fake"))
    older = _arrive(later, settings, tmp_path / "t2", "older")
    assert _arrive(later, settings, tmp_path / "t2", "reading") == reading
    assert [r.source for r in _stored(later)] == [older]
    assert _arrive(later, settings, tmp_path / "t2", "poem") == poem  # the text comes after its reading
    _same(_edge(later, poem, reading), usual)
    assert {r.source for r in _stored(later) if r.user == reading} == {older, poem}  # the reading's others stay
    update_lineage(later, [poem, reading])  # both again, in one batch: each pair once
    update_lineage(later, [reading, poem])
    _same(_edge(later, poem, reading), usual)
    assert len(_edge(later, older, reading).evidence) and len(_stored(later)) == 2
    # and the graph reads it the same way round: the reading builds on the poem uploaded after it
    assert sorted(b["external_id"] for b in lineage(later, "reading")["builds_on"]) == ["older", "poem"]
    assert [u["external_id"] for u in lineage(later, "poem")["used_by"]] == ["reading"]


def test_a_rebuild_finds_a_reading_whichever_came_first(settings: Settings, tmp_path: Path) -> None:
    edges = []
    for number, order in enumerate((["poem", "reading"], ["reading", "poem"])):
        store = _store(Settings(data_dir=tmp_path / f"d{number}", whisper_model="fake", text_model="fake",
                                clip_model="fake"))
        shas = {name: _arrive(store, settings, tmp_path / f"t{number}", name, match=False) for name in order}
        assert rebuild_lineage(store)["reuses"] == 1
        edges.append(_edge(store, shas["poem"], shas["reading"]))
        assert len(_stored(store)) == 1
        store.close()
    _same(edges[1], edges[0])


def test_an_erased_reading_leaves_the_heard_index(settings: Settings, tmp_path: Path) -> None:
    store = _store(settings)
    reading = _arrive(store, settings, tmp_path / "t", "reading")
    assert reading in _archive(store).heard
    erase(store, submissions=["reading"], index_dir=settings.resolved_index_dir)
    _arrive(store, settings, tmp_path / "t", "poem")  # catches the archive up: the reading leaves it first
    assert reading not in _archive(store).heard and _stored(store) == []


def test_a_platform_asset_arriving_after_a_reading_makes_no_edge(settings: Settings, tmp_path: Path) -> None:
    store = _store(settings)
    _arrive(store, settings, tmp_path / "t", "reading")
    _arrive(store, settings, tmp_path / "t", "poem")
    assert [b["external_id"] for b in lineage(store, "reading")["builds_on"]
            + lineage(store, "reading")["used_by"]] == ["poem"]
    mark_asset(store, "poem", "cora")
    assert lineage(store, "reading")["builds_on"] == lineage(store, "reading")["used_by"] == []
    rebuild_lineage(store)
    assert lineage(store, "poem")["used_by"] == lineage(store, "poem")["builds_on"] == []


def _reading_prints(sha: str, text: str) -> Prints:
    return Prints(sha, None, None, None, [words.speech_words(timed(text, start=1.0))])


@pytest.mark.parametrize("shares", [2, 3])
def test_shares_find_what_one_rebuild_finds_with_readings_before_their_texts(shares: int) -> None:
    rng = random.Random(5)
    texts = [_words(rng, 60) for _ in range(4)]
    prints: list[Prints] = []
    for i, text in enumerate(texts):  # each text's readings come before it, one also reads the text before
        prints.append(_reading_prints(f"reading{i}", f"{_words(rng, 10)} {text} {texts[i - 1] if i else ''}"))
        prints.append(_reading_prints(f"other{i}", _words(rng, 50)))
        prints.append(Prints(f"text{i}", None, None, text, [words.text_words(text)]))
    alone = match_share(prints, 0, 1)
    found = [(r.source, r.user) for reuses in alone.values() for r in reuses]
    assert sorted(found) == sorted([(f"text{i}", f"reading{i}") for i in range(4)]
                                   + [(f"text{i}", f"reading{i + 1}") for i in range(3)])
    split = {n: r for share in range(shares) for n, r in match_share(prints, share, shares).items()}
    assert split == alone
