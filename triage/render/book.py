"""A programme as a book: an EPUB 3 (checked by epubcheck in the tests) and a print-ready A5 HTML file.

Text pieces give their in/out words, spoken pieces their transcript, images themselves, and a video without a
transcript a still from its in point. Everything is written into a staged folder and probed before it is moved in.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ebooklib import epub  # type: ignore[import-untyped]
from PIL import Image, ImageOps, UnidentifiedImageError

from triage.errors import BadRequest, ProcessingFailed
from triage.programmes.plan import Placed, Rendered, RenderPlan
from triage.render import ffmpeg, staging
from triage.render.book_html import (
    BOOK_CSS,
    Chapter,
    Picture,
    clean,
    credits_body,
    piece_body,
    print_html,
    section_body,
)

MAX_IMAGE_SIDE = 1600  # enough for a tablet's screen and an A5 page at ~200 dpi, small enough for a reader
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")

Progress = Callable[[float, str], None]


def slug(name: str, fallback: str) -> str:
    """A file name stem from the programme's name: lower-case letters, digits and dashes."""
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")
    return stem or re.sub(r"[^A-Za-z0-9]+", "-", fallback).strip("-") or "book"


def excerpt(piece: Placed) -> tuple[str, ...]:
    """A text piece's words from its in to its out point (`words.split()[start:end]`), in their paragraphs."""
    paragraphs = [p.split() for p in _PARAGRAPH_BREAK.split(clean(piece.words))]
    total = sum(len(p) for p in paragraphs)
    start, end = int(piece.start), min(int(piece.end), total)
    if start < 0 or start >= total:
        raise BadRequest(f"'{piece.title}': its in point (word {start}) is past the end of its {total} words")
    if end <= start:
        raise BadRequest(f"'{piece.title}': its out point (word {int(piece.end)}) is not after its in point")
    kept, seen = [], 0
    for words in paragraphs:
        # the paragraph's words are words.split()[seen:seen + len(words)]: keep the part inside [start, end)
        part = words[max(start - seen, 0):max(end - seen, 0)]
        if part:
            kept.append(" ".join(part))
        seen += len(words)
    return tuple(kept)


def transcript(text: str) -> tuple[str, ...]:
    """A spoken piece's transcript in its paragraphs, whitespace tidied."""
    return tuple(" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(clean(text)) if p.split())


def picture(path: Path | None, name: str, what: str, max_side: int = MAX_IMAGE_SIDE) -> Picture:
    """The image re-encoded for the book: upright, at most `max_side`, PNG where it has transparency, else JPEG."""
    try:
        if path is None:
            raise FileNotFoundError("no file")
        with Image.open(path) as img:
            img.load()
            shown = ImageOps.exif_transpose(img) or img
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as e:
        raise ProcessingFailed(f"{what}: the image cannot be read ({e})") from e
    shown.thumbnail((max_side, max_side))
    alpha = shown.mode in ("RGBA", "LA", "PA") or (shown.mode == "P" and "transparency" in shown.info)
    out = io.BytesIO()
    if alpha:
        shown.convert("RGBA").save(out, "PNG", optimize=True)
        return Picture(f"{name}.png", "image/png", out.getvalue(), shown.width, shown.height)
    shown.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return Picture(f"{name}.jpg", "image/jpeg", out.getvalue(), shown.width, shown.height)


def _still(piece: Placed, work: Path, name: str) -> Picture:
    """A video's frame at its in point, as a picture."""
    if piece.path is None:
        raise ProcessingFailed(f"'{piece.title}': the video has no file")
    frame = work / f"{Path(name).name}.png"
    ffmpeg.run(["-ss", f"{max(piece.start, 0.0):.3f}", "-i", str(piece.path), "-map", "0:v:0", "-frames:v", "1",
                str(frame)], f"a still of '{piece.title}'")
    if not frame.exists():  # FFmpeg succeeds without a frame when the in point is past the last one
        raise ProcessingFailed(f"a still of '{piece.title}': no frame at {piece.start:.2f} s")
    return picture(frame, name, f"a still of '{piece.title}'")


def chapter(piece: Placed, number: int, work: Path) -> tuple[Chapter, str | None]:
    """The piece as a chapter, and a warning where the book can show little of it."""
    name = f"images/piece-{number:03d}"
    heading = " ".join(clean(piece.heading or "").split()) or None  # a blank heading opens no section
    base = Chapter(number, piece.submission_id, clean(piece.title).strip() or f"Piece {number}",
                   clean(piece.contributor).strip() or "Anonymous", heading)
    if piece.media_type == "text":
        return replace(base, paragraphs=excerpt(piece)), None
    if piece.media_type == "image":
        return replace(base, picture=picture(piece.path, name, f"'{piece.title}'")), None
    if piece.media_type not in ("audio", "video"):
        raise BadRequest(f"'{piece.title}': a book cannot show a piece of type {piece.media_type!r}")
    words = transcript(piece.words)
    if words:
        return replace(base, paragraphs=words), None
    if piece.media_type == "video":
        return replace(base, picture=_still(piece, work, name)), None
    return (replace(base, note="A sound piece, without a transcript."),
            f"'{piece.title}' is a sound piece without a transcript: the book shows only its title")


def _html(title: str, file_name: str, body: str, css: epub.EpubItem) -> epub.EpubHtml:
    page = epub.EpubHtml(title=title, file_name=file_name, lang="en")
    page.content = body
    page.add_item(css)
    return page


def build_epub(plan: RenderPlan, chapters: list[Chapter], cover: Picture | None) -> epub.EpubBook:
    """The EPUB: metadata, cover, a nav listing sections and pieces, a chapter per piece, the credits."""
    book = epub.EpubBook()
    # a stable identifier: the same programme renders to the same book, so readers update rather than duplicate it
    book.set_identifier(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'triage:programme:{plan.programme_id}')}")
    book.set_title(clean(plan.name) or "Untitled")
    book.set_language("en")
    contributors = [line.name for line in plan.credits if line.role == "contributor"]
    for i, name in enumerate(contributors):
        book.add_author(clean(name), uid=f"creator-{i}")  # each creator needs an id of its own
    if cover is not None:
        book.set_cover(f"images/cover{Path(cover.name).suffix}", cover.data)
    css = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css", content=BOOK_CSS.encode())
    book.add_item(css)
    spine: list[object] = ["cover"] if cover is not None else []
    spine.append("nav")
    toc: list[object] = []
    section: list[object] | None = None
    for ch in chapters:
        if ch.heading is not None:
            opener = _html(ch.heading or "Section", ch.section_file, section_body(ch.heading), css)
            book.add_item(opener)
            spine.append(opener)
            section = []
            toc.append((epub.Section(ch.heading, href=ch.section_file), section))
        if ch.picture is not None:
            book.add_item(epub.EpubImage(uid=f"img-{ch.number:03d}", file_name=ch.picture.name,
                                         media_type=ch.picture.media_type, content=ch.picture.data))
        page = _html(ch.title, ch.file_name, piece_body(ch, ch.picture.name if ch.picture else None), css)
        book.add_item(page)
        spine.append(page)
        (section if section is not None else toc).append(epub.Link(ch.file_name, ch.title, ch.anchor))
    credits = _html("Credits", "credits.xhtml", credits_body(plan.credits), css)
    book.add_item(credits)
    spine.append(credits)
    toc.append(epub.Link("credits.xhtml", "Credits", "credits"))
    book.toc = toc
    book.spine = spine
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    return book


def check_epub(path: Path, chapters: list[Chapter]) -> None:
    """Read the written EPUB back: every piece's chapter (and its image) must be in it, else ProcessingFailed."""
    try:
        book = epub.read_epub(str(path), {"ignore_ncx": True})
    except Exception as e:  # ebooklib raises many kinds on a broken zip or OPF
        raise ProcessingFailed(f"the book {path.name} cannot be read back: {e}") from e
    for ch in chapters:
        item = book.get_item_with_href(ch.file_name)
        if item is None or f'id="{ch.anchor}"' not in item.get_content().decode("utf-8"):
            raise ProcessingFailed(f"the book {path.name} is missing '{ch.title}'")
        if ch.picture is not None and book.get_item_with_href(ch.picture.name) is None:
            raise ProcessingFailed(f"the book {path.name} is missing the image of '{ch.title}'")


def render_book(plan: RenderPlan, dest: Path, progress: Progress | None = None) -> Rendered:
    """Write `<dest>/<slug>.epub` and `<dest>/<slug>.html` for the plan; all or nothing."""
    if not plan.pieces:
        raise BadRequest(f"the programme '{plan.name}' has no pieces to make a book of")
    report = progress or (lambda _fraction, _message: None)
    stem = slug(plan.name, plan.programme_id)
    warnings: list[str] = []
    with staging.staged(Path(dest)) as folder:
        work = folder / ".work"
        work.mkdir()
        chapters = []
        for number, piece in enumerate(plan.pieces, start=1):
            report((number - 1) / (len(plan.pieces) + 2), f"preparing '{piece.title}'")
            made, warning = chapter(piece, number, work)
            chapters.append(made)
            warnings += [warning] if warning else []
        cover = picture(plan.cover, "images/cover", "the cover") if plan.cover is not None else None
        report(len(plan.pieces) / (len(plan.pieces) + 2), "writing the EPUB")
        epub_path = folder / f"{stem}.epub"
        try:
            epub.write_epub(str(epub_path), build_epub(plan, chapters, cover), {})
        except Exception as e:  # lxml or zip trouble inside ebooklib
            raise ProcessingFailed(f"writing the book {epub_path.name}: {e}") from e
        check_epub(epub_path, chapters)
        report((len(plan.pieces) + 1) / (len(plan.pieces) + 2), "writing the print edition")
        (folder / f"{stem}.html").write_text(print_html(plan.name, chapters, plan.credits, cover), encoding="utf-8")
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()
    report(1.0, "book written")
    return Rendered(folder=Path(dest), files=(f"{stem}.epub", f"{stem}.html"), warnings=tuple(warnings))
