"""What an album's tracks are called: their file names, their tags (written with mutagen, so every player reads the
same fields), and the tracklist, `tracklist.txt` for people and `tracklist.csv` for tools."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen.flac import FLAC  # type: ignore[import-untyped]
from mutagen.flac import Picture as FlacPicture
from mutagen.id3 import APIC, COMM, ID3, TALB, TIT2, TPE1, TPE2, TRCK, TXXX  # type: ignore[import-untyped]

from triage.render.book_html import Picture
from triage.timefmt import clock

MAX_TITLE_CHARS = 80  # leaves room for "NN - " and ".flac" well inside every filesystem's 255-byte limit
# Characters Windows, macOS or a shell treat specially in a file name (the album may be copied anywhere): path
# separators become dashes, the rest go.
_SEPARATOR = re.compile(r"[/\\:|]")
_UNSAFE = re.compile(r'[*?"<>]')


@dataclass(frozen=True)
class TrackRow:
    """One written track as the tracklist shows it."""

    number: int
    title: str
    contributor: str
    submission_id: str
    start_s: float
    length_s: float  # of the piece used, without the gap after it
    file_s: float  # of the written FLAC, gap included
    stem: str  # "NN - Title": the FLAC and MP3 share it


@dataclass(frozen=True)
class Tags:
    """What a track's tags say."""

    title: str
    artist: str
    album: str
    album_artist: str
    number: int
    total: int
    submission_id: str  # so a track found on its own traces back to the piece
    programme_id: str

    @property
    def trace(self) -> str:
        return f"triage submission {self.submission_id} in programme {self.programme_id}"


def tag_flac(path: Path, tags: Tags, cover: Picture | None) -> None:
    """Vorbis comments, and the cover as a front-cover (type 3) PICTURE block."""
    audio = FLAC(path)
    audio.delete()
    audio.clear_pictures()
    audio.update({"title": tags.title, "artist": tags.artist, "album": tags.album, "albumartist": tags.album_artist,
                  "tracknumber": f"{tags.number}/{tags.total}", "tracktotal": str(tags.total),
                  "comment": tags.trace, "triage_submission": tags.submission_id})
    if cover is not None:
        block = FlacPicture()
        block.type, block.mime, block.desc = 3, cover.media_type, "Cover"
        block.width, block.height = cover.width, cover.height
        block.depth = 32 if cover.media_type == "image/png" else 24
        block.data = cover.data
        audio.add_picture(block)
    audio.save()


def tag_mp3(path: Path, tags: Tags, cover: Picture | None) -> None:
    """ID3v2.4 frames, the cover as a front-cover APIC, the submission in a TXXX frame and a comment."""
    frames = ID3()
    for frame in (TIT2(encoding=3, text=tags.title), TPE1(encoding=3, text=tags.artist),
                  TALB(encoding=3, text=tags.album), TPE2(encoding=3, text=tags.album_artist),
                  TRCK(encoding=3, text=f"{tags.number}/{tags.total}"),
                  TXXX(encoding=3, desc="triage_submission", text=tags.submission_id),
                  COMM(encoding=3, lang="eng", desc="", text=tags.trace)):
        frames.add(frame)
    if cover is not None:
        frames.add(APIC(encoding=3, mime=cover.media_type, type=3, desc="Cover", data=cover.data))
    frames.save(path)


def plain(text: str) -> str:
    """Text for a tag or a list: control and format characters gone, whitespace collapsed to single spaces."""
    return " ".join("".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text).split())


def safe_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """The title as part of a file name: no path separators or control characters, no leading dots, not too long."""
    text = " ".join(_SEPARATOR.sub("-", _UNSAFE.sub("", plain(title))).split()).lstrip(".-").strip()
    if len(text.encode("utf-8")) > limit:
        text = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore").rstrip(" .-")
    return text or "Untitled"


def stem(number: int, total: int, title: str) -> str:
    """`NN - Title`, numbered wide enough that the files sort in album order."""
    return f"{number:0{max(2, len(str(total)))}d} - {safe_title(title)}"


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (titles come from the public)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write(folder: Path, album: str, rows: Sequence[TrackRow]) -> tuple[str, str]:
    """Write tracklist.txt ("n. title — contributor (m:ss)" and the total) and tracklist.csv; return their names."""
    total = sum(row.file_s for row in rows)
    lines = [album, ""]
    lines += [f"{row.number}. {row.title} — {row.contributor} ({clock(row.length_s)})" for row in rows]
    lines += ["", f"Total: {clock(total)} ({len(rows)} tracks, gaps included)", ""]
    (folder / "tracklist.txt").write_text("\n".join(lines), encoding="utf-8")
    with (folder / "tracklist.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["track", "title", "contributor", "submission_id", "in_s", "length_s", "file_s", "flac", "mp3"])
        for row in rows:
            out.writerow([row.number, _cell(row.title), _cell(row.contributor), row.submission_id, f"{row.start_s:.3f}",
                          f"{row.length_s:.3f}", f"{row.file_s:.3f}", f"{row.stem}.flac", f"{row.stem}.mp3"])
    return "tracklist.txt", "tracklist.csv"
