"""The book's HTML: the pages of a piece, a section and the credits (the EPUB's chapters are made of these), and the
print edition, one self-contained file sized A5 that a browser prints to PDF."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from triage.programmes.plan import CreditLine

# Characters XML 1.0 forbids (and C1 controls, which only ever come from mis-decoded text): lxml refuses them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

BOOK_CSS = """body { font-family: Georgia, "DejaVu Serif", serif; line-height: 1.5; margin: 0 5%; }
h1, h2 { font-family: "DejaVu Sans", Helvetica, sans-serif; line-height: 1.2; }
h1.section { margin-top: 30%; text-align: center; }
p { margin: 0 0 0.8em 0; text-indent: 0; }
p.by { font-style: italic; margin-bottom: 1.5em; }
p.note { color: #555; font-style: italic; }
figure { margin: 1em 0; text-align: center; }
figure img { max-width: 100%; max-height: 80vh; width: auto; height: auto; }
ul.credits { list-style: none; padding: 0; }
ul.credits li { margin-bottom: 0.8em; }
span.share { color: #555; }
"""

# The print edition: A5 pages, each section and piece starting a page of its own.
PRINT_CSS = BOOK_CSS + """@page { size: A5; margin: 18mm 15mm 20mm 15mm; }
body { margin: 0; font-size: 11pt; }
.page { break-before: page; page-break-before: always; }
.title-page { text-align: center; padding-top: 15%; }
.title-page img { max-height: 110mm; }
nav ol { padding-left: 1.2em; }
nav a { color: inherit; text-decoration: none; }
figure img { max-height: 125mm; break-inside: avoid; }
"""


@dataclass(frozen=True)
class Picture:
    """An image ready for the book: re-encoded bytes and their place in the EPUB."""

    name: str  # path inside the EPUB, relative to the chapters: images/piece-003.jpg
    media_type: str  # image/jpeg or image/png
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Chapter:
    """One piece as the book shows it, with the section (if any) that opens before it."""

    number: int  # 1-based place in the running order
    submission_id: str
    title: str
    contributor: str
    heading: str | None
    paragraphs: tuple[str, ...] = ()
    picture: Picture | None = None
    note: str = ""  # said instead of, or under, the piece (a sound piece with no transcript)

    @property
    def file_name(self) -> str:
        return f"piece-{self.number:03d}.xhtml"

    @property
    def section_file(self) -> str:
        return f"section-{self.number:03d}.xhtml"

    @property
    def anchor(self) -> str:
        return f"piece-{self.number:03d}"


def clean(text: str) -> str:
    """Text without the control characters XML cannot hold."""
    return _CONTROL.sub("", text)


def esc(text: str) -> str:
    """Escaped for HTML text and attributes, control characters removed."""
    return html.escape(clean(text), quote=True)


def share_text(share: float) -> str:
    """A credit's share as a percentage: 42%, or <1% for a sliver that would otherwise read as nothing."""
    percent = share * 100
    if 0 < percent < 0.5:
        return "<1%"
    return f"{percent:.0f}%"


def piece_body(chapter: Chapter, image_src: str | None) -> str:
    """The piece: its title, who made it, then the picture and the words."""
    parts = [f'<section class="piece" id="{chapter.anchor}">', f"<h2>{esc(chapter.title)}</h2>",
             f'<p class="by">by {esc(chapter.contributor)}</p>']
    if chapter.picture is not None and image_src is not None:
        parts.append(f'<figure><img src="{esc(image_src)}" alt="{esc(chapter.title)}"'
                     f' width="{chapter.picture.width}" height="{chapter.picture.height}"/></figure>')
    parts += [f"<p>{esc(p)}</p>" for p in chapter.paragraphs]
    if chapter.note:
        parts.append(f'<p class="note">{esc(chapter.note)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def section_body(heading: str) -> str:
    return f'<h1 class="section">{esc(heading)}</h1>'


def credits_body(credits: Sequence[CreditLine]) -> str:
    """Everyone in the credits: name, role where it is not plain contribution, share, and their pieces."""
    items = []
    for line in credits:
        role = "" if line.role == "contributor" else f" ({esc(line.role)})"
        pieces = f"<br/>{esc(', '.join(line.pieces))}" if line.pieces else ""
        items.append(f'<li><strong>{esc(line.name)}</strong>{role} <span class="share">{esc(share_text(line.share))}'
                     f"</span>{pieces}</li>")
    return '<h2 id="credits">Credits</h2>\n<ul class="credits">\n' + "\n".join(items) + "\n</ul>"


def _data_uri(picture: Picture) -> str:
    return f"data:{picture.media_type};base64,{base64.b64encode(picture.data).decode('ascii')}"


def _contents(chapters: Sequence[Chapter]) -> str:
    """The contents list, sections holding the pieces that follow them."""
    lines = ['<nav class="page" id="contents"><h2>Contents</h2>', "<ol>"]
    open_section = False
    for chapter in chapters:
        if chapter.heading is not None:
            if open_section:
                lines.append("</ol></li>")
            lines.append(f'<li><a href="#section-{chapter.number:03d}">{esc(chapter.heading)}</a><ol>')
            open_section = True
        lines.append(f'<li><a href="#{chapter.anchor}">{esc(chapter.title)}</a> — {esc(chapter.contributor)}</li>')
    if open_section:
        lines.append("</ol></li>")
    lines += ['<li><a href="#credits">Credits</a></li>', "</ol></nav>"]
    return "\n".join(lines)


def print_html(title: str, chapters: Sequence[Chapter], credits: Sequence[CreditLine],
               cover: Picture | None) -> str:
    """The whole book as one HTML file: images inlined, each section and piece on a new A5 page."""
    body = ['<div class="title-page">']
    if cover is not None:
        body.append(f'<figure><img src="{_data_uri(cover)}" alt="Cover" width="{cover.width}"'
                    f' height="{cover.height}"/></figure>')
    body += [f"<h1>{esc(title)}</h1>", "</div>", _contents(chapters)]
    for chapter in chapters:
        if chapter.heading is not None:
            body.append(f'<div class="page" id="section-{chapter.number:03d}">{section_body(chapter.heading)}</div>')
        src = _data_uri(chapter.picture) if chapter.picture is not None else None
        body.append(f'<div class="page">{piece_body(chapter, src)}</div>')
    body.append(f'<div class="page">{credits_body(credits)}</div>')
    return ("<!DOCTYPE html>\n"
            f'<html lang="en">\n<head>\n<meta charset="utf-8"/>\n<title>{esc(title)}</title>\n'
            f"<style>\n{PRINT_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")
