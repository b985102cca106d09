import numpy as np
import pytest

from triage.chunking import chunk_text, chunk_transcript, max_words_for, pool
from triage.domain import Segment, Transcript

TEXT = ("The first sentence is short. The second one asks a question? The third exclaims!\n\n"
        "A new paragraph starts here and runs on for a while with quite a few words in it.")


def test_chunks_keep_offsets_into_the_source() -> None:
    chunks = chunk_text(TEXT, max_words=12)
    assert len(chunks) > 1
    for c in chunks:
        assert TEXT[c.char_start:c.char_end] == c.text
        assert len(c.text.split()) <= 12
    # nothing lost: every word of the source is in exactly one chunk, in order
    assert " ".join(c.text for c in chunks).split() == TEXT.split()


def test_sentences_are_packed_not_cut_when_they_fit() -> None:
    chunks = chunk_text(TEXT, max_words=100)
    assert len(chunks) == 1 and chunks[0].text == TEXT.strip()
    short = chunk_text("One two. Three four. Five six.", max_words=4)
    assert [c.text for c in short] == ["One two. Three four.", "Five six."]


def test_a_sentence_longer_than_the_limit_is_cut_between_words() -> None:
    words = " ".join(f"w{i}" for i in range(25))
    chunks = chunk_text(words, max_words=10)
    assert [len(c.text.split()) for c in chunks] == [10, 10, 5]


def test_blank_text_gives_no_chunks() -> None:
    assert chunk_text("") == [] and chunk_text(" \n\t ") == []
    with pytest.raises(ValueError):
        chunk_text("x", max_words=0)


def test_word_budget_leaves_room_for_subword_tokens() -> None:
    assert 0 < max_words_for(256) < 256
    assert max_words_for(1) == 1


def _transcript(n: int, seconds: float = 4.0) -> Transcript:
    segs = tuple(Segment(start=i * seconds, end=(i + 1) * seconds, text=f" segment {i} says a few words",
                         avg_logprob=-0.2, no_speech_prob=0.01) for i in range(n))
    return Transcript(text=" ".join(s.text.strip() for s in segs), segments=segs, language="en",
                      duration=n * seconds, model="test")


def test_transcript_windows_respect_seconds_and_words() -> None:
    tr = _transcript(20)
    chunks = chunk_transcript(tr, max_words=100, max_seconds=12.0)
    assert len(chunks) == 7  # 3 segments of 4 s per 12 s window
    for c in chunks:
        assert c.start is not None and c.end is not None and c.end - c.start <= 12.0
        assert tr.text[c.char_start:c.char_end] == c.text
    assert chunks[0].start == 0.0 and chunks[-1].end == tr.duration
    by_words = chunk_transcript(tr, max_words=12, max_seconds=1000)
    assert all(len(c.text.split()) <= 12 for c in by_words)


def test_empty_transcript_gives_no_chunks() -> None:
    assert chunk_transcript(Transcript("", (), "en", 3.0, "test")) == []


def test_pool_is_a_weighted_unit_mean() -> None:
    v = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    even = pool(v)
    assert np.allclose(even, [2**-0.5, 2**-0.5]) and even.dtype == np.float32
    heavy = pool(v, [3.0, 1.0])
    assert heavy[0] > heavy[1] and np.isclose(np.linalg.norm(heavy), 1.0)
    with pytest.raises(ValueError):
        pool(np.zeros((0, 2)))
    with pytest.raises(ValueError):
        pool(v, [0.0, 0.0])
