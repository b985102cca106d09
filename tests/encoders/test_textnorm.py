from triage.textnorm import normalize_words, word_error_rate


def test_punctuation_and_case_do_not_count_as_errors() -> None:
    assert word_error_rate("Hello, World!", "hello world") == 0.0
    assert normalize_words("Don\u2019t stop.") == ["don't", "stop"]


def test_each_substitution_insertion_deletion_counts_once() -> None:
    ref = "the cat sat on the mat"
    assert word_error_rate(ref, "the cat sat on a mat") == 1 / 6
    assert word_error_rate(ref, "the cat sat on the mat today") == 1 / 6
    assert word_error_rate(ref, "cat sat on the mat") == 1 / 6
    assert word_error_rate(ref, "") == 1.0


def test_empty_reference() -> None:
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "something") == 1.0


def test_abbreviated_titles_match_their_spoken_form() -> None:
    assert word_error_rate("and mister john dashwood", "And Mr. John Dashwood") == 0.0
