"""How the pages write times and mark the words of a match."""

from triage.api.format import clock, content_stems, highlight


def test_clock() -> None:
    assert clock(None) == "" and clock(0) == "0:00" and clock(42.9) == "0:42" and clock(3723) == "1:02:03"


def test_highlight_marks_words_sharing_a_stem_and_escapes_the_rest() -> None:
    stems = content_stems("a dog that steals food")
    out = str(highlight("Dogs <b>steal</b> the food & run", stems))
    assert out == "<mark>Dogs</mark> &lt;b&gt;<mark>steal</mark>&lt;/b&gt; the <mark>food</mark> &amp; run"
    assert str(highlight("the and of", content_stems("the and of"))) == "the and of"  # stop words are never marked
    assert str(highlight(None, stems)) == ""
