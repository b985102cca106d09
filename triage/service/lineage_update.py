"""Finding remix lineage: each new piece matched against the whole archive, and a rebuild of it all.

Platform assets are ordinary sources here: what matches them is stored like any reuse, and the reading side
(service/lineage.py) masks it. So marking or unmarking an asset takes effect at once, with no re-matching.

The matchers' own fingerprints come from lineage_prints.py. The archive's inverted indexes live in memory, one per
database, and take new pieces one at a time. The sound and picture indexes, whose making costs minutes at archive
scale, keep their postings on disk once big and are saved for the next process once a process has indexed many
recordings or videos (lineage_saved.py); a process starts from them and catches up with the database.

A words match has a written text as its source, and the search goes both ways: a piece's spoken and printed words
are matched against the texts already indexed, and a text against the spoken and printed words already indexed (the
heard index), so a reading that arrived before its text is found when the text arrives, stored as the reading's own
match (added to what the reading contains) exactly as if it had come second.

A rebuild matches each piece against those before it (both ways, so the order of arrival changes nothing). Given a
`Spread` (Ray tasks, chosen by the caller), the matching is shared out: every share builds the same archive piece by
piece and matches every n-th piece, and this process writes what they found as the local rebuild does.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.lineage import pictures, sound, words
from triage.lineage.heard import HeardIndex
from triage.lineage.picture_index import PictureIndex
from triage.lineage.sound_index import SoundIndex
from triage.lineage.types import Reuse, ReuseKind
from triage.service import lineage_saved as saved
from triage.service.lineage_prints import Prints, prints_of
from triage.store import lineage as rows
from triage.store.schema import Content
from triage.store.store import Store

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
# A catch-up or rebuild that indexed this many recordings' sound (or videos' pictures) saves the index for the next
# process (a few seconds of landmarks or less are not worth a snapshot's manifest; a picture index is saved only once
# its postings are on disk, past some 4,000 videos).
_SAVE_AFTER = 1_000


@dataclass
class Archive:
    """Every ready content's fingerprints, indexed for partial matches."""

    sound: SoundIndex = field(default_factory=SoundIndex)
    heard: HeardIndex = field(default_factory=HeardIndex)  # spoken and printed words, for later texts
    words: words.WordIndex = field(default_factory=words.WordIndex)  # written texts, the sources of words matches
    pictures: PictureIndex = field(default_factory=PictureIndex)
    known: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The sound index's main part when it was last saved or loaded: once a merge makes a new one, it is saved again,
    # so that the snapshot does not keep the old part's files (gigabytes at archive scale) on disk beside it.
    saved_main: Path | None = None
    saved_pictures: Path | None = None  # the same for the picture index's merged part


_ARCHIVES: dict[str, Archive] = {}
_ARCHIVES_LOCK = threading.Lock()


# A rebuild's share of the matching: work(prints of every ready content, oldest first, share, shares) -> what the
# share's pieces contain, by their number in that list.
ShareWork = Callable[[list[Prints], int, int], dict[int, list[Reuse]]]
# Runs a ShareWork for every share somewhere (ingest/ray_engine.spread: Ray tasks) and returns the shares' results.
Spread = Callable[[ShareWork, list[Prints]], list[dict[int, list[Reuse]]]]


def _ready(session: Session) -> list[str]:
    return list(session.scalars(select(Content.sha256).where(Content.status == "ready")
                                .order_by(Content.created_at, Content.sha256)))


def _archive(store: Store) -> Archive:
    with _ARCHIVES_LOCK:
        key = str(store.db.engine.url)
        if key not in _ARCHIVES:
            sound, pictures = saved.load_sound(store), saved.load_pictures(store)
            _ARCHIVES[key] = Archive(
                sound=saved.new_sound_index(store) if sound is None else sound,
                pictures=saved.new_picture_index(store) if pictures is None else pictures,
                saved_main=None if sound is None else sound.main_folder,
                saved_pictures=None if pictures is None else pictures.main_folder)
        return _ARCHIVES[key]


def _new_archive(store: Store) -> Archive:
    """An empty archive whose sound and picture indexes move their sorted postings to the data dir's tmp/ once they
    grow past memory's share: an archive of 100,000 recordings or videos holds gigabytes of them."""
    return Archive(sound=saved.new_sound_index(store), pictures=saved.new_picture_index(store))


def _save_sound(store: Store, archive: Archive, since: str) -> None:
    if saved.save_sound(store, archive.sound, since):
        archive.saved_main = archive.sound.main_folder


def _save_pictures(store: Store, archive: Archive, since: str) -> None:
    if saved.save_pictures(store, archive.pictures, since):
        archive.saved_pictures = archive.pictures.main_folder


def forget_archive(store: Store) -> None:
    """Drop this database's in-memory indexes (tests, a restore): the next match builds them again."""
    with _ARCHIVES_LOCK:  # a match still holding it finishes with it; its sound index's files go when it does
        _ARCHIVES.pop(str(store.db.engine.url), None)


def _add(archive: Archive, prints: Prints) -> None:
    _add_media(archive, prints)
    if prints.written:
        said = next((h.words for h in prints.heard if h.form == "text"), None)  # text_words(written), by _prints
        archive.words.add(prints.sha, prints.written, said)
    archive.heard.add(prints.sha, prints.heard)  # indexed only where the piece's words are spoken or printed
    archive.known.add(prints.sha)


def _add_media(archive: Archive, prints: Prints) -> None:
    """Index the content's sound and pictures (what `_media_matches` searches)."""
    if prints.peaks is not None and len(prints.peaks.times):
        sound.index_peaks(archive.sound, prints.sha, prints.peaks)
    if prints.track is not None and len(prints.track.times):
        archive.pictures.add(prints.sha, prints.track)


def _remove(archive: Archive, sha: str) -> None:
    archive.sound.remove(sha)
    archive.words.remove(sha)
    archive.heard.remove(sha)
    archive.pictures.remove(sha)
    archive.known.discard(sha)


def _caught_up(store: Store, archive: Archive) -> None:
    """Bring the archive in line with the database: ready contents in, erased ones out. One that indexed many
    recordings' sound (videos' pictures), or whose sound (picture) index merged its main part since it was saved,
    saves that index for the next process, which then reads no peaks (frame tracks) of the pieces it holds."""
    since = saved.sound_generation(store)  # before the database: see snapshot_files.py
    since_pictures = saved.pictures_generation(store)
    with store.db.session() as session:
        ready = _ready(session)
    for sha in archive.known - set(ready):
        _remove(archive, sha)
    for sha in archive.sound.indexed() - archive.known - set(ready):  # a loaded snapshot's, erased (or failed) since
        archive.sound.remove(sha)
    for sha in archive.pictures.indexed() - archive.known - set(ready):
        archive.pictures.remove(sha)
    missing = [sha for sha in ready if sha not in archive.known]
    indexed = videos = 0
    # a new process adds the whole archive here: a few merges, not dozens
    with archive.sound.merges_deferred(), archive.pictures.adds_deferred():
        for batch in _batches(missing, 200):
            for prints in prints_of(store, batch, peaks_known=archive.sound, tracks_known=archive.pictures).values():
                indexed += prints.peaks is not None
                videos += prints.track is not None
                _add(archive, prints)
    if indexed >= _SAVE_AFTER or archive.saved_main not in (None, archive.sound.main_folder):
        _save_sound(store, archive, since)
    if videos >= _SAVE_AFTER:  # all merged first: the next process then reads no track and sorts no pending part
        archive.pictures.compact()  # (a new process catching up with 100,000 videos left some 5,000 pending)
    if videos >= _SAVE_AFTER or archive.saved_pictures not in (None, archive.pictures.main_folder):
        _save_pictures(store, archive, since_pictures)


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def match(archive: Archive, prints: Prints) -> list[Reuse]:
    """Everything of the archive's pieces that this content contains (its own bytes aside), then, for a written
    text, every passage of it that the archive's pieces speak or print: reuses whose user is another piece, found
    as that piece's own search would find them (see store_found)."""
    found = _media_matches(archive, prints)
    for heard in prints.heard:
        found += [r for r in archive.words.match(prints.sha, heard) if r.source != prints.sha]
    if prints.written:
        found += [r for r in archive.heard.match(prints.sha, prints.written) if r.user != prints.sha]
    return found


def _media_matches(archive: Archive, prints: Prints) -> list[Reuse]:
    """The sound and the pictures of the archive's pieces that this content contains."""
    found: list[Reuse] = []
    if prints.peaks is not None and len(prints.peaks.times):
        found += sound.match(archive.sound, prints.sha, prints.peaks)
    if prints.track is not None and len(prints.track.times):
        found += pictures.match(archive.pictures, prints.sha, prints.track)
    return found


def as_rebuilt(prints: Prints, found: list[Reuse], order: dict[str, int],
               load: Callable[[list[str]], dict[str, Prints]]) -> list[Reuse]:
    """`found` with what this content's sound and pictures matched in pieces newer than it searched again the way a
    rebuild finds it: the newer piece searched for this one. Both matchers look one way (an excerpt of the source
    inside the user, the source's centre inside the user's picture), so the other way round gives chance a second
    try: on an unseen lineage corpus both false edges came so, and a rebuild found neither. What the newer piece
    contains is stored as its own (see store_found). `order`: every ready content's place, oldest first; `load`:
    the fingerprints of contents (prints_of)."""
    mine = order.get(prints.sha, len(order))
    media = (ReuseKind.AUDIO, ReuseKind.VIDEO)
    later = sorted({r.source for r in found if r.kind in media and r.user == prints.sha
                    and order.get(r.source, -1) > mine})
    if not later:
        return found
    alone = Archive()
    _add_media(alone, prints)  # its words are not searched again here
    again = [r for newer in load(later).values() for r in _media_matches(alone, newer)]
    return [r for r in found if not (r.kind in media and r.source in later)] + again


def store_found(session: Session, sha: str, found: list[Reuse]) -> int:
    """Store what matching `sha` found: what it contains in place of what was stored for it; what other pieces
    contain of it (a text found in earlier readings) added to theirs, in place of the same pair's earlier rows."""
    stored = rows.replace_matches(session, sha, [r for r in found if r.user == sha])
    theirs: dict[tuple[str, ReuseKind], list[Reuse]] = {}
    for reuse in found:
        if reuse.user != sha:
            theirs.setdefault((reuse.user, reuse.kind), []).append(reuse)
    for (user, kind), reuses in theirs.items():
        stored += rows.replace_pair(session, user, sha, kind, reuses)
    return stored


def update_lineage(store: Store, shas: Iterable[str], progress: Progress | None = None) -> dict[str, Any]:
    """Match each of these (ready) contents against the whole archive and store what each contains, in place of
    what an earlier run found for it, and what the archive's readings contain of each text among them (added to the
    readings' own). A pair found from both sides in one batch is kept once."""
    wanted = list(dict.fromkeys(shas))
    archive = _archive(store)
    with archive.lock:
        with store.db.session() as session:
            order = {sha: i for i, sha in enumerate(_ready(session))}  # oldest first, as a rebuild goes
        try:
            _caught_up(store, archive)
        except BaseException:
            forget_archive(store)  # caught up halfway (a merge cut short): the next match starts again
            raise
        prints = prints_of(store, [sha for sha in wanted if sha in order])
        pairs: set[tuple[str, str, str]] = set()
        stored = 0
        for done, sha in enumerate(wanted, 1):
            if sha in prints:
                found = as_rebuilt(prints[sha], match(archive, prints[sha]), order,
                                   lambda shas: prints_of(store, shas))
                found = [r for r in found if (r.user, r.source, r.kind.value) not in pairs]
                pairs |= {(r.source, r.user, r.kind.value) for r in found}
                with store.db.session() as session:
                    stored += store_found(session, sha, found)
            if progress:
                progress(done, len(wanted))
    return {"matched": len(prints), "reuses": stored}


def rebuild_lineage(store: Store, progress: Progress | None = None, spread: Spread | None = None) -> dict[str, Any]:
    """Forget every stored reuse and find them all again: each content, oldest first, against those before it (a
    text also against the readings before it, so the order of arrival changes nothing). Here, or shared out by
    `spread` with the same result."""
    if spread is not None:
        return _rebuild_spread(store, spread, progress)
    archive = _new_archive(store)
    since = saved.sound_generation(store)
    since_pictures = saved.pictures_generation(store)
    with store.db.session() as session:
        ready = _ready(session)
        rows.clear_matches(session)
    stored = 0
    for start in range(0, len(ready), 200):
        batch = ready[start:start + 200]
        prints = prints_of(store, batch)
        for sha in batch:
            found = match(archive, prints[sha])
            with store.db.session() as session:
                stored += store_found(session, sha, found)
            _add(archive, prints[sha])
            if progress:
                progress(start + batch.index(sha) + 1, len(ready))
    if len(archive.sound) >= _SAVE_AFTER:
        _save_sound(store, archive, since)
    if len(archive.pictures) >= _SAVE_AFTER:
        archive.pictures.compact()
        _save_pictures(store, archive, since_pictures)
    with _ARCHIVES_LOCK:
        _ARCHIVES[str(store.db.engine.url)] = archive
    return {"matched": len(ready), "reuses": stored}


def match_share(prints: list[Prints], share: int, shares: int) -> dict[int, list[Reuse]]:
    """What pieces number share, share + shares, ... of `prints` (oldest first) contain of the pieces before them:
    the local rebuild's answers, since this builds its archive the same way, adding every piece in turn. (The heard
    index counts stock phrases over all of itself, so when its tail merged changes nothing and needs no mirroring.)
    Its sound index keeps its sorted postings in the temp dir of the machine it runs on once it is big, as the
    service's does in the data dir's: a share of a 100,000-recording rebuild would otherwise hold some 6 GB."""
    archive = Archive(sound=SoundIndex(folder=Path(tempfile.gettempdir()) / "triage-lineage-sound"),
                      pictures=PictureIndex(folder=Path(tempfile.gettempdir()) / "triage-lineage-pictures"))
    found = {}
    try:
        for number, piece in enumerate(prints):
            if number % shares == share:
                found[number] = match(archive, piece)
            elif piece.heard:
                # Matching a piece's words lets the words index merge its grown tail, which changes which stock
                # phrases it skips: do it here too, so the next piece of this share meets the local rebuild's index.
                archive.words.settle()
            _add(archive, piece)
    finally:
        archive.sound.close()
        archive.pictures.close()
    return found


def _rebuild_spread(store: Store, spread: Spread, progress: Progress | None) -> dict[str, Any]:
    with store.db.session() as session:
        ready = _ready(session)
    prints: list[Prints] = []
    for batch in _batches(ready, 200):  # the missing fingerprints are made and stored here, as locally
        made = prints_of(store, batch)
        prints += [made[sha] for sha in batch]
    found = {number: reuses for share in spread(match_share, prints) for number, reuses in share.items()}
    with store.db.session() as session:
        rows.clear_matches(session)  # only now: a spread that fails leaves the stored reuses as they were
    stored = 0
    for number, sha in enumerate(ready):
        with store.db.session() as session:
            stored += store_found(session, sha, found[number])
        if progress:
            progress(number + 1, len(ready))
    forget_archive(store)  # this process built no archive: the next match here builds it from the database
    return {"matched": len(ready), "reuses": stored}
