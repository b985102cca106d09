"""Lineage for many pieces at once: the cards' counts and the sheet's credits agree with `lineage()` on a small
archive of texts quoting each other, platform assets and erased sources included."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.service.test_lineage import _ingest, _pieces, _words
from triage import runtime
from triage.config import Settings
from triage.service.lineage import lineage, mark_asset
from triage.service.lineage_counts import Counts, credits_text, lineage_counts, sheet_lineage
from triage.service.lineage_update import forget_archive
from triage.store.callouts import upsert_callout
from triage.store.store import Store

NAMES = ("poem", "story", "sequel", "plain")


def _store(settings: Settings) -> Store:
    store = runtime.open_store(settings)
    with store.db.session() as session:
        upsert_callout(session, "lawn", title="Lawn", brief="anything")
    forget_archive(store)
    return store


@pytest.fixture
def archive(settings: Settings, tmp_path: Path) -> Store:
    """A poem, a story quoting it, a sequel quoting the story (and so the poem), and a piece that borrows nothing."""
    store = _store(settings)
    _ingest(store, settings, _pieces(tmp_path / "in"), list(NAMES))
    return store


def _expected(store: Store, name: str) -> Counts:
    """The counts as `lineage()` reads them: distinct pieces on each side."""
    found = lineage(store, name)
    return Counts(*(len({e["external_id"] for e in found[side]}) for side in ("builds_on", "used_by")))


def _ids(store: Store, names: tuple[str, ...]) -> dict[str, str]:
    return {name: lineage(store, name)["submission"]["submission_id"] for name in names}


def _agree(store: Store, names: tuple[str, ...]) -> dict[str, Counts]:
    ids = _ids(store, names)
    counts = lineage_counts(store, list(ids.values()))
    got = {name: counts.get(sid, Counts()) for name, sid in ids.items()}
    assert got == {name: _expected(store, name) for name in names}
    return got


def test_counts_agree_with_lineage_for_every_piece(archive: Store) -> None:
    got = _agree(archive, NAMES)
    assert got["story"].builds_on == 1 and got["poem"].used_by >= 1 and got["plain"] == Counts()
    ids = _ids(archive, ("plain",))
    assert lineage_counts(archive, [ids["plain"]]) == {}  # a piece with no lineage has no entry
    assert lineage_counts(archive, []) == {}


def test_an_erased_source_is_not_counted(archive: Store, settings: Settings) -> None:
    from triage.service.erase import erase

    erase(archive, submissions=["poem"], index_dir=settings.resolved_index_dir)
    got = _agree(archive, ("story", "sequel", "plain"))
    assert got["story"].builds_on == 0


def test_a_platform_asset_is_not_counted_marked_or_matched_through(settings: Settings, tmp_path: Path) -> None:
    store = _store(settings)
    rng = random.Random(11)
    theme = _words(rng, 40)
    folder = tmp_path / "assets"
    folder.mkdir()
    pieces = {}
    for name, text in (("theme", theme), ("one", f"First. {_words(rng, 60)} {theme}"),
                       ("two", f"Second. {_words(rng, 60)} {theme}")):
        (folder / f"{name}.txt").write_text(text)
        pieces[name] = (folder / f"{name}.txt", name)
    _ingest(store, settings, pieces, ["theme", "one", "two"])
    names = ("theme", "one", "two")
    assert _agree(store, names)["two"].builds_on >= 1
    mark_asset(store, "theme", "cora")
    assert _agree(store, names) == dict.fromkeys(names, Counts())  # two does not build on one through the theme
    mark_asset(store, "theme", "cora", marked=False)
    assert _agree(store, names)["theme"].used_by == 2


def test_the_sheet_lineage_is_lineage_for_every_piece_at_once(archive: Store) -> None:
    with archive.db.session() as session:
        from triage.store.submissions import lookup

        shas = {name: str(lookup(session, name).sha256) for name in NAMES}
    found = sheet_lineage(archive, shas.values())
    for name, sha in shas.items():
        one = lineage(archive, name)
        assert list(found[sha].builds_on) == list(dict.fromkeys(e["external_id"] for e in one["builds_on"]))
        assert [(n, round(s, 4)) for n, s in found[sha].credits] == [(c["contributor"], c["share"])
                                                                      for c in one["credits"]]
    assert found[shas["story"]].builds_on == ("poem",)
    assert credits_text(found[shas["plain"]].credits) == "dee 100%"
    assert credits_text([("bob", 0.584), ("ann", 0.416)]) == "bob 58%; ann 42%"
