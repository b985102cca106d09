"""The pictures matcher's inverted index: every indexed video's frame hashes by 16-bit band (pictures.py matches).

Four 16-bit bands per hash, for each of a source's views, sorted by band key. Like sound_index.SoundIndex, adds go to
a pending part merged into the sorted arrays when it grows, and removals are tombstones until then. Given a folder,
an index whose merged part grows past `DISK_ABOVE` postings keeps it in files there, read through memory maps: the
operating system pages in what lookups touch and can drop it again (100,000 videos hold 3.4 GB of postings). Given
a way to read a video's stored track (`track_of`), it keeps only the pending videos' tracks and reads a merged one
when a match checks it (100,000 videos' tracks are another 1.3 GB).
"""

from __future__ import annotations

import shutil
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from triage.lineage.frame_track import FrameTrack

BANDS = 4
_BAND_BITS = 64 // BANDS
# Views of the source in the index: its whole picture, its centre (what a zoomed or cropped copy shows), its upper
# part (what a copy with a caption burned in at the bottom still shows unchanged) and its centre's upper part (what a
# cropped copy with a caption still shows). A query's whole picture is looked up in the first two, its upper part in
# the last two.
VIEWS = ("whole", "centre", "upper", "centre upper")


def informative(track: FrameTrack) -> np.ndarray:
    """Frames that can be evidence: not blank, and not a flat picture's hash (nearly all bits on one side)."""
    ones = np.bitwise_count(track.plain)
    return ~track.blank & (ones >= 2) & (ones <= 62)


def band_keys(values: np.ndarray) -> np.ndarray:
    """(n, BANDS) uint32 keys: band number in the high bits, the band's bits below."""
    v = values.astype(np.uint64)
    keys = [((v >> np.uint64(b * _BAND_BITS)) & np.uint64((1 << _BAND_BITS) - 1)).astype(np.uint32)
            | np.uint32(b << _BAND_BITS) for b in range(BANDS)]
    return np.stack(keys, axis=1)


TrackOf = Callable[[str], FrameTrack | None]  # a video's stored frame track by key (None when there is none)

# Every band key there is: the band number in the high bits, its 16 bits below.
KEYS = BANDS << _BAND_BITS


@dataclass(frozen=True)
class _Postings:
    """Postings grouped by band key: key k's are rows starts[k]:starts[k + 1] of the other arrays, in the order of
    the videos' numbers. An offset per key (2 MB) rather than a key per posting: 4 bytes less for each of the
    hundreds of millions that 100,000 videos hold."""

    starts: np.ndarray  # int64, KEYS + 1
    ids: np.ndarray  # int32 piece number
    times: np.ndarray  # float32 time of the frame in its piece
    views: np.ndarray  # int8 index into VIEWS

    def keys(self) -> np.ndarray:
        """Each posting's band key."""
        return np.repeat(np.arange(KEYS, dtype=np.uint32), np.diff(self.starts))


_FIELDS = ("ids", "times", "views")
_DTYPES: dict[str, np.dtype] = {"ids": np.dtype(np.int32), "times": np.dtype(np.float32), "views": np.dtype(np.int8)}
STARTS_FILE = "starts.bin"  # beside one file a field: the merged part on disk is a folder of its own
# What makes the postings from the tracks (views, bands, which frames are informative): a saved index made by another
# is not loaded (service/picture_snapshot.py). Change it with any of those.
RECIPE = "postings-1"
# Past this many merged postings (180 MB; about 4,000 videos of a minute) an index given a folder keeps them on disk.
DISK_ABOVE = 20_000_000
_CHUNK = 1 << 24  # postings counted at a time when a merge drops removed videos
# Pending videos are merged once their frames pass a _PENDING_SHARE-th of the merged ones (or _PENDING_FLOOR).
_PENDING_SHARE = 40
_PENDING_FLOOR = 20_000
# ...and always past this many frames (32 million postings): sorting them when merged peaks at about 1.5 GB.
_PENDING_MAX = 2_000_000


@dataclass(frozen=True)
class SavedPictures:
    """What a snapshot keeps of an index on disk (service/picture_snapshot.py): the folder of its merged part (a
    file of offsets by band key and one a field), how many postings it holds, and by video number each merged video's
    key and frames (None for a number given up, or a video not merged yet)."""

    folder: Path
    count: int
    keys: list[str | None]
    frames: list[int | None]


class PictureIndex:
    """Frame tracks of many videos by hash band. Like sound_index.SoundIndex: pending adds, tombstoned removals.
    Pending videos are merged into the sorted arrays once their frames are a fortieth of the merged ones (a lookup
    sorts the pending part again after each add, so it stays small), or, while adds are deferred (a process catching
    up with the archive), a quarter of them: a merge moves every posting, and 100,000 videos hold hundreds of
    millions."""

    def __init__(self, assets: Iterable[str] = (), *, folder: Path | None = None,
                 disk_above: int | None = None, track_of: TrackOf | None = None) -> None:
        self.assets: set[str] = set(assets)
        self._track_of = track_of
        self._folder = folder / uuid.uuid4().hex if folder is not None else None  # its own: others may share `folder`
        self._disk_above = DISK_ABOVE if disk_above is None else disk_above  # read now: tests lower the bar
        if self._folder is not None:  # an index dropped without close() takes its files with it
            weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        self._main_files: Path | None = None  # the folder of the merged part's files, when it is on disk
        self._keys: list[str | None] = []
        self._ids: dict[str, int] = {}
        self._tracks: dict[int, FrameTrack] = {}  # every video's, or (given track_of) the pending ones'
        self._frames: dict[int, int] = {}  # frames of each live video
        self._main = _postings([])
        self._main_frames = 0
        self._pending: list[int] = []
        self._pending_frames = 0
        self._pending_postings: _Postings | None = None
        self._dead = np.zeros(0, dtype=bool)
        self._dead_merged = False  # whether a removed video's postings are still in the merged arrays
        self._share = _PENDING_SHARE

    def __len__(self) -> int:
        return len(self._ids)

    def indexed(self) -> set[str]:
        """The keys of every video indexed."""
        return set(self._ids)

    @property
    def folder(self) -> Path | None:
        """This index's own folder (under the one it was given), where its merged part goes once big."""
        return self._folder

    @property
    def main_folder(self) -> Path | None:
        """The folder of the merged part's files (None while it is in memory): a merge makes a new one."""
        return self._main_files

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def add(self, key: str, track: FrameTrack) -> None:
        """Index a video's frame track under `key` (replacing what it had)."""
        if key in self._ids:
            self.remove(key)
        number = len(self._keys)
        self._keys.append(key)
        self._ids[key] = number
        self._tracks[number] = track
        self._frames[number] = len(track.times)
        if number >= len(self._dead):
            self._dead = np.concatenate([self._dead, np.zeros(max(1024, len(self._dead)), dtype=bool)])
        self._pending.append(number)
        self._pending_frames += len(track.times)
        self._pending_postings = None
        if self._pending_frames > max(_PENDING_FLOOR, min(self._main_frames // self._share, _PENDING_MAX)):
            self.compact()

    def remove(self, key: str) -> None:
        """Forget a video (no error when absent)."""
        number = self._ids.pop(key, None)
        if number is None:
            return
        self._keys[number] = None
        self._tracks.pop(number, None)
        frames = self._frames.pop(number)
        self._dead[number] = True
        if number in self._pending:
            self._pending.remove(number)
            self._pending_frames -= frames
            self._pending_postings = None
        else:
            self._main_frames -= frames
            self._dead_merged = True

    def compact(self) -> None:
        """Merge the pending videos and drop the removed ones from the sorted arrays: the arrays that sorting every
        live track by number again would give, without deriving the merged tracks' postings again."""
        new, old = self._pending_part(), {name: getattr(self._main, name) for name in ("starts", *_FIELDS)}
        self._main = self._pending_postings = _postings([])  # the merge alone holds the old arrays: it frees each
        old_files, self._main_files = self._main_files, self._new_files(len(old["ids"]) + len(new.ids))
        dead = self._dead if self._dead_merged else None
        self._main = _merged(old, new, dead) if self._main_files is None else _merged_into_files(
            _Postings(**old), new, dead, self._main_files)
        if old_files is not None:  # mapped arrays stay readable where a lookup still holds them (POSIX)
            shutil.rmtree(old_files, ignore_errors=True)
        self._main_frames += self._pending_frames
        self._pending, self._pending_frames, self._pending_postings, self._dead_merged = [], 0, None, False
        if self._track_of is not None:  # every video is merged now: their tracks are read again when checked
            self._tracks = {}

    def _new_files(self, postings: int) -> Path | None:
        """A new folder for the merged part's files, or None to keep it in memory (no folder, or a small index)."""
        if self._folder is None or postings <= self._disk_above:
            return None
        folder = self._folder / uuid.uuid4().hex
        folder.mkdir(parents=True)
        return folder

    def close(self) -> None:
        """Remove the index's files (an index in memory has none); its merged part is empty afterwards."""
        self._main, self._main_files = _postings([]), None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def on_disk(self) -> bool:
        """Whether the merged part is read from files."""
        return self._main_files is not None

    def saved(self) -> SavedPictures | None:
        """The merged part as it stands, for a snapshot; None while adds are deferred, for an index in memory or
        without `track_of` (a loaded index holds no track), and while the merged part still holds a removed video's
        postings (an erased video must not outlive its erasure in a snapshot). Pending videos are left out: a
        snapshot is caught up from the database when it is loaded."""
        if self._main_files is None or self._dead_merged or self._share != _PENDING_SHARE or self._track_of is None:
            return None
        pending = set(self._pending)
        keys = [None if number in pending else key for number, key in enumerate(self._keys)]
        frames = [None if key is None else self._frames[number] for number, key in enumerate(keys)]
        return SavedPictures(self._main_files, len(self._main.ids), keys, frames)

    def restore(self, saved: SavedPictures) -> None:
        """Take a snapshot's merged part as this empty index's own: its files must be in a folder of this index's
        folder, which the index then owns (a merge or close() removes it). ValueError when they do not add up."""
        assert not self._keys and self._folder is not None and self._track_of is not None, "an empty index to fill"
        assert saved.folder.parent == self._folder, "the snapshot's files linked into this index's folder"
        starts = np.fromfile(saved.folder / STARTS_FILE, dtype=np.int64)
        if len(starts) != KEYS + 1 or starts[0] != 0 or starts[-1] != saved.count or np.any(np.diff(starts) < 0):
            raise ValueError(f"{saved.folder.name}/{STARTS_FILE} does not index {saved.count:,} postings")
        self._main = _Postings(starts, **{name: _mapped(saved.folder / f"{name}.bin", _DTYPES[name], saved.count)
                                          for name in _FIELDS})
        self._main_files = saved.folder
        self._keys = list(saved.keys)
        self._ids = {key: number for number, key in enumerate(self._keys) if key is not None}
        self._frames = {number: count for number, count in enumerate(saved.frames) if count is not None}
        self._main_frames = sum(self._frames.values())
        self._dead = np.zeros(max(1024, 2 * len(self._keys)), dtype=bool)
        self._dead[:len(self._keys)] = [key is None for key in self._keys]

    @contextmanager
    def adds_deferred(self) -> Iterator[None]:
        """Within, pending videos are merged when they are a quarter of the merged ones, not a fortieth (see the
        class)."""
        self._share = 4
        try:
            yield
        finally:
            self._share = _PENDING_SHARE

    def _pending_part(self) -> _Postings:
        if self._pending_postings is None:
            self._pending_postings = _postings([(i, self._tracks[i]) for i in self._pending])
        return self._pending_postings

    def number(self, key: str) -> int | None:
        return self._ids.get(key)

    def key(self, number: int) -> str | None:
        return self._keys[number]

    def track(self, number: int) -> FrameTrack | None:
        """A video's frame track: held, or read through `track_of` (None if it is gone since, an erasure)."""
        track = self._tracks.get(number)
        key = self._keys[number]
        if track is None and key is not None and self._track_of is not None:
            track = self._track_of(key)
        return track

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every posting of every band key: (index into keys, piece number, frame time, view)."""
        found = [_lookup(p, keys) for p in (self._main, self._pending_part())]
        parts = [np.concatenate([f[k] for f in found]) for k in range(4)]
        alive = ~self._dead[parts[1]]
        return parts[0][alive], parts[1][alive], parts[2][alive], parts[3][alive]


def _postings(tracks: list[tuple[int, FrameTrack]]) -> _Postings:
    keys, ids, times, views = [], [], [], []
    for number, track in tracks:
        rows = np.nonzero(informative(track))[0]
        hashes = view_values(track)
        for v, values in enumerate(hashes):
            if any(np.array_equal(values, other) for other in hashes[:v]):
                continue  # a track stored before this view stands in with another: it would only repeat its hits
            k = band_keys(values[rows])
            keys.append(k.reshape(-1))
            times.append(np.repeat(track.times[rows], BANDS).astype(np.float32))
            ids.append(np.full(k.size, number, np.int32))
            views.append(np.full(k.size, v, np.int8))
    if not keys:
        return _Postings(np.zeros(KEYS + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32),
                         np.zeros(0, np.int8))
    all_keys = np.concatenate(keys)
    order = np.argsort(all_keys, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(all_keys, minlength=KEYS))]).astype(np.int64)
    return _Postings(starts, np.concatenate(ids)[order], np.concatenate(times)[order], np.concatenate(views)[order])


def _merged(old: dict[str, np.ndarray], new: _Postings, dead: np.ndarray | None) -> _Postings:
    """The merged arrays `old` (by field; emptied as they are used) without the videos flagged in `dead`, and `new`,
    as one sorted array. New videos have the highest numbers, so their postings go after the old ones of an equal key,
    where one stable sort of all tracks by number puts them. Field by field, each old field dropped once its new one is
    made: at 100,000 videos the arrays hold 3.4 GB, and holding the old and the new at once peaked at 13 GB."""
    alive = ~dead[old["ids"]] if dead is not None and len(old["ids"]) else None
    starts = old.pop("starts")
    if alive is not None:
        starts = _alive_before(starts, alive)
    at = np.repeat(starts[1:], np.diff(new.starts))  # each new posting after the old ones of its key
    fields = {}
    for name in _FIELDS:
        values = old.pop(name)
        values = values[alive] if alive is not None else values
        fields[name] = np.insert(values, at, getattr(new, name))
        del values
    return _Postings(starts + new.starts, **fields)


def _merged_into_files(old: _Postings, new: _Postings, dead: np.ndarray | None, folder: Path) -> _Postings:
    """What `_merged` makes, written to one file a field in `folder` and read back through memory maps. The band keys
    are walked in ranges of about _CHUNK old postings: a range's surviving old postings, with the new ones inserted
    after those of their key, are appended to each file. So memory holds one range's worth (a merge of 100,000 videos
    in memory peaked at 3.4 GB on top of the index), and `old` may itself be memory maps of the files before."""
    counts = np.zeros(KEYS, np.int64)  # merged postings of each key
    files = {name: (folder / f"{name}.bin").open("wb") for name in _FIELDS}
    try:
        k0 = 0
        while k0 < KEYS:
            lo = int(old.starts[k0])
            k1 = min(KEYS, max(k0 + 1, int(np.searchsorted(old.starts, lo + _CHUNK, "right")) - 1))
            hi = int(old.starts[k1])
            alive = ~dead[old.ids[lo:hi]] if dead is not None else None
            before = old.starts[k0:k1 + 1] - lo  # each key's first old posting within the range
            if alive is not None:
                before = np.concatenate([[0], np.cumsum(alive, dtype=np.int64)])[before]
            added = np.diff(new.starts[k0:k1 + 1])
            counts[k0:k1] = np.diff(before) + added
            at = np.repeat(before[1:], added)  # each new posting after the old ones of its key
            for name, out in files.items():
                values = getattr(old, name)[lo:hi]
                np.insert(values if alive is None else values[alive], at,
                          getattr(new, name)[new.starts[k0]:new.starts[k1]]).tofile(out)
            k0 = k1
    finally:
        for out in files.values():
            out.close()
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts.tofile(folder / STARTS_FILE)  # so that the folder alone is the merged part (a snapshot links it)
    return _Postings(starts, **{name: _mapped(folder / f"{name}.bin", _DTYPES[name], int(starts[-1]))
                                for name in _FIELDS})


def file_sizes(count: int) -> dict[str, int]:
    """The bytes of each file of a merged part on disk holding `count` postings, by file name."""
    return {STARTS_FILE: (KEYS + 1) * 8, **{f"{name}.bin": count * _DTYPES[name].itemsize for name in _FIELDS}}


def _mapped(path: Path, dtype: np.dtype, count: int) -> np.ndarray:
    """A field's file as a read-only memory map (a file of nothing cannot be mapped)."""
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,)) if count else np.zeros(0, dtype)


def _alive_before(starts: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """For each (sorted) position in `starts`, how many of `alive` before it are set: counted a chunk at a time,
    since one running count of hundreds of millions of postings would hold gigabytes."""
    out = np.empty_like(starts)
    lo, total = 0, 0
    for a in range(0, len(alive), _CHUNK):
        b = min(a + _CHUNK, len(alive))
        hi = int(np.searchsorted(starts, b, "right"))
        running = np.concatenate([[0], np.cumsum(alive[a:b], dtype=np.int64)])
        out[lo:hi] = total + running[starts[lo:hi] - a]
        total, lo = total + int(running[-1]), hi
    out[lo:] = total
    return out


def _lookup(post: _Postings, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    known = keys < KEYS
    k = np.where(known, keys, 0).astype(np.int64)
    lo = post.starts[k]
    hi = np.where(known, post.starts[k + 1], lo)
    counts = hi - lo
    rows = np.repeat(np.arange(len(keys)), counts)
    at = np.repeat(lo, counts) + np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, post.ids[at], post.times[at], post.views[at]


def view_values(track: FrameTrack) -> tuple[np.ndarray, ...]:
    """A source's hashes in each of VIEWS, in that order."""
    return track.plain, track.centre, track.upper, track.centre_upper
