"""Numbers compare the same whether written with digits or words."""

from __future__ import annotations

from triage.numbers import spell, spell_numbers
from triage.textnorm import word_error_rate


def test_spell() -> None:
    assert spell(0) == "zero"
    assert spell(21) == "twenty one"
    assert spell(2500) == "two thousand five hundred"
    assert spell(1_000_001) == "one million one"


def test_digits_and_words_are_the_same_words() -> None:
    assert spell_numbers("after 10,000 explanations, only 2,500 left in 1999") == (
        "after ten thousand explanations, only two thousand five hundred left in one thousand nine hundred ninety nine")
    assert spell_numbers("version 3.5 and x86") == "version 3.5 and x86"
    assert word_error_rate("after hearing ten thousand explanations", "After hearing 10,000 explanations.") == 0.0
