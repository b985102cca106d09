"""The book render: a valid EPUB 3 (checked by the real epubcheck) and a self-contained print HTML, holding each piece
in order with exactly its words, and all or nothing on bad input."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ebooklib import epub  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from triage.errors import BadRequest, ProcessingFailed
from triage.programmes.plan import CreditLine, Placed, RenderPlan
from triage.render.book import excerpt, render_book

MEDIA = Path(__file__).resolve().parents[2] / "samples" / "media"
TEXT = "One two three four.\n\nFive six seven\neight nine.\n   \nTen eleven twelve thirteen fourteen.\n\n\nFifteen."


def epubcheck_command() -> list[str]:
    """epubcheck's command line. Debian installs it as a bare jar, which runs through java where binfmt is absent."""
    found = shutil.which("epubcheck")
    if found is None:
        pytest.skip("epubcheck is not installed (Debian: apt-get install epubcheck)")
    with open(found, "rb") as f:
        is_jar = f.read(2) == b"PK"
    if not is_jar:
        return [found]
    if shutil.which("java") is None:
        pytest.skip("epubcheck is installed as a jar but java is not")
    return ["java", "-jar", found]


def plan_of(tmp: Path, pieces: tuple[Placed, ...], cover: Path | None = None) -> RenderPlan:
    names = sorted({p.contributor for p in pieces})
    credits = tuple(CreditLine(n, 1 / (len(names) + 1), tuple(p.title for p in pieces if p.contributor == n))
                    for n in names) + (CreditLine("Old Master", 1 / (len(names) + 1), ("The Source",), "builds on"),)
    return RenderPlan("prog-42", "Voices <of> the Town & Sea", "book", pieces, credits, cover=cover)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderPlan, Path, object]:
    tmp = tmp_path_factory.mktemp("book")
    Image.new("RGBA", (900, 600), (0, 120, 255, 140)).save(tmp / "sky.png")
    Image.new("RGB", (1200, 1600), (200, 90, 20)).save(tmp / "cover.jpg")
    pieces = (
        Placed("sub-text", "Morning <b>bites</b>", "Ann & Co", "text", None, 0, 2, 12, words=TEXT, heading="Words"),
        Placed("sub-file", "A sample story", "Bea", "text", None, 0, 0, 5,
               words=(MEDIA / "demo-7c55dde1.txt").read_text(encoding="utf-8")),
        Placed("sub-image", "The sky", "Cy", "image", tmp / "sky.png", 0, 0, 0, heading="Pictures and sound"),
        Placed("sub-video", "Harbour film", "Dee", "video", MEDIA / "demo-5c7fe058.mp4", 6.96, 1.5, 4.0),
        Placed("sub-talk", "A talk", "Ann & Co", "audio", MEDIA / "demo-6037983b.mp3", 4.8, 0, 4,
               words="Hello from the harbour.\n\nAnd goodbye."),
        Placed("sub-song", "A song", "Eve", "audio", MEDIA / "demo-5dbe4409.flac", 7.2, 0, 3),
    )
    plan = plan_of(tmp, pieces, cover=tmp / "cover.jpg")
    steps: list[float] = []
    rendered = render_book(plan, tmp / "out", lambda fraction, _message: steps.append(fraction))
    assert steps and steps == sorted(steps) and steps[-1] == 1.0
    return plan, tmp / "out", rendered


def chapters(path: Path) -> dict[str, str]:
    read = epub.read_epub(str(path), {"ignore_ncx": True})
    return {item.get_name(): item.get_content().decode("utf-8") for item in read.get_items()
            if item.get_name().endswith(".xhtml")}


def paragraphs(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", page, re.S)]


def test_the_epub_passes_epubcheck(book) -> None:
    _plan, out, rendered = book
    assert sorted(p.name for p in out.iterdir()) == sorted(rendered.files)
    epub_file = out / rendered.files[0]
    done = subprocess.run([*epubcheck_command(), str(epub_file)], capture_output=True, text=True, timeout=120)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert re.search(r"0 fatals / 0 errors / 0 warnings", report), report


def test_contents_list_sections_and_pieces_in_order(book) -> None:
    plan, out, rendered = book
    nav = chapters(out / rendered.files[0])["nav.xhtml"]
    links = [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]
    assert links == ["Words", "Morning &lt;b&gt;bites&lt;/b&gt;", "A sample story", "Pictures and sound", "The sky",
                     "Harbour film", "A talk", "A song", "Credits"]
    printed = (out / rendered.files[1]).read_text(encoding="utf-8")
    titles = [p.title.replace("<", "&lt;").replace(">", "&gt;") for p in plan.pieces]
    assert [printed.index(f"<h2>{t}</h2>") for t in titles] == sorted(printed.index(f"<h2>{t}</h2>") for t in titles)


def test_a_text_shows_exactly_its_in_to_out_words_in_their_paragraphs(book) -> None:
    _plan, out, rendered = book
    page = chapters(out / rendered.files[0])["piece-001.xhtml"]
    assert paragraphs(page) == ["three four.", "Five six seven eight nine.", "Ten eleven twelve"]
    assert " ".join(paragraphs(page)).split() == TEXT.split()[2:12]
    assert "&lt;b&gt;bites&lt;/b&gt;" in page and "<b>" not in page  # the title escaped, not markup
    story = chapters(out / rendered.files[0])["piece-002.xhtml"]
    assert " ".join(paragraphs(story)).split() == (MEDIA / "demo-7c55dde1.txt").read_text().split()[0:5]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "bb", "c.", "d,"]), max_size=5), min_size=1, max_size=6),
       st.integers(0, 30), st.integers(0, 30))
def test_an_excerpt_is_the_slice_of_the_words(paras: list[list[str]], start: int, end: int) -> None:
    words = "\n\n".join(" ".join(p) for p in paras)
    piece = Placed("s", "t", "c", "text", None, 0, start, end, words=words)
    total = len(words.split())
    if start >= total or end <= start:
        with pytest.raises(BadRequest):
            excerpt(piece)
        return
    kept = excerpt(piece)
    assert " ".join(kept).split() == words.split()[start:end]
    assert all(k.strip() for k in kept)


def test_images_spoken_pieces_and_a_still_are_in_the_book(book) -> None:
    _plan, out, rendered = book
    read = epub.read_epub(str(out / rendered.files[0]), {"ignore_ncx": True})
    images = {item.get_name(): item.get_content() for item in read.get_items() if item.get_name().startswith("images/")}
    assert {"images/piece-003.png", "images/piece-004.jpg"} <= set(images)  # the sky keeps its transparency
    assert Image.open(io.BytesIO(images["images/piece-004.jpg"])).size == (854, 480)
    pages = chapters(out / rendered.files[0])
    assert 'alt="The sky"' in pages["piece-003.xhtml"] and 'alt="Harbour film"' in pages["piece-004.xhtml"]
    assert paragraphs(pages["piece-005.xhtml"]) == ["Hello from the harbour.", "And goodbye."]
    assert read.get_metadata("DC", "title")[0][0] == "Voices <of> the Town & Sea"
    assert read.get_metadata("DC", "language")[0][0] == "en"
    assert rendered.warnings == ("'A song' is a sound piece without a transcript: the book shows only its title",)


def test_the_credits_name_everyone_with_role_and_share(book) -> None:
    plan, out, rendered = book
    for page in (chapters(out / rendered.files[0])["credits.xhtml"], (out / rendered.files[1]).read_text()):
        credits = page[page.index('id="credits"'):]
        for line in plan.credits:
            assert f"<strong>{line.name.replace('&', '&amp;')}</strong>" in credits
        assert "(builds on)" in credits and "17%" in credits and "The Source" in credits


def test_the_print_edition_is_one_self_contained_a5_file(book) -> None:
    plan, out, rendered = book
    printed = (out / rendered.files[1]).read_text(encoding="utf-8")
    assert "@page { size: A5;" in printed
    sources = re.findall(r'src="([^"]*)"', printed)
    assert len(sources) == 3 and all(s.startswith("data:image/") for s in sources)  # cover, sky, still
    assert printed.count('<div class="page">') == len(plan.pieces) + 1  # a page for each piece and the credits
    assert printed.count('<div class="page" id="section-') == 2
    assert '<nav class="page" id="contents">' in printed


def test_no_pieces_is_a_bad_request(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="no pieces"):
        render_book(plan_of(tmp_path, ()), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_in_point_past_the_text_names_the_piece_and_writes_nothing(tmp_path: Path) -> None:
    pieces = (Placed("a", "Fine", "Ann", "text", None, 0, 0, 2, words="one two three"),
              Placed("b", "Too far", "Bea", "text", None, 0, 3, 5, words="one two three"))
    with pytest.raises(BadRequest, match="'Too far'.*past the end"):
        render_book(plan_of(tmp_path, pieces), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_image_fails_naming_it_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    broken = tmp_path / "in" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    pieces = (Placed("a", "Fine", "Ann", "text", None, 0, 0, 2, words="one two three"),
              Placed("b", "Broken picture", "Bea", "image", broken, 0, 0, 0))
    with pytest.raises(ProcessingFailed, match="'Broken picture'"):
        render_book(plan_of(tmp_path, pieces), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
