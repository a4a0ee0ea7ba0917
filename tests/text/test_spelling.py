"""One-letter typos in the lexicons' words are read as the word (kokemus.text.spelling)."""

from __future__ import annotations

import pytest

from kokemus.text import analyse, spelling, spelling_build


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ystävällinen", "ystävälinen", True),  # a letter missing
        ("farmaseutti", "farmaseuttti", True),  # a letter extra
        ("kiva", "kova", True),  # a letter wrong
        ("friendly", "freindly", True),  # two neighbours swapped
        ("friendly", "friendly", False),
        ("friendly", "fiendlyy", False),  # two edits
        ("abc", "acbd", False),
        ("abcd", "badc", False),
    ],
)
def test_within_one(a: str, b: str, expected: bool) -> None:
    assert spelling.within_one(a, b) is expected
    assert spelling.within_one(b, a) is expected


@pytest.mark.parametrize(
    ("typed", "language", "meant"),
    [
        ("Ystävälinen farmasetti", "fi", "Ystävällinen farmaseutti"),
        ("ERITTÄIN YSTÄVÄLINEN", "fi", "ERITTÄIN YSTÄVÄLLINEN"),
        ("Personalen var trevlgi", "sv", "Personalen var trevlig"),
        ("The nurse was very freindly and proffessional", "en",
         "The nurse was very friendly and professional"),
    ],
)
def test_a_clear_typo_is_corrected_and_case_kept(typed: str, language: str,
                                                  meant: str) -> None:
    assert spelling.correct(typed, language) == meant


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Real words one letter from a lexicon word stay what they are, however rare.
        ("Päätä alkoi särkeä illalla", "fi"),  # not "tärkeä"
        ("Lapussa luki ohjeet", "fi"),  # not "lopussa"
        ("Mamma blev bemött värdigt", "sv"),  # not "väldigt"
        ("It was mostly fine and surely better", "en"),  # not "costly", "surly"
        ("The mince pie was moist", "en"),  # not "since", "most"
        # Apostrophes are part of the word: "couldn't" is not "couldn" + "t".
        ("They couldn't have been kinder", "en"),
        # Short words have too many neighbours.
        ("hyva kiva", "fi"),
        # Other languages are not touched.
        ("Ystävälinen farmasetti", "de"),
    ],
)
def test_real_words_and_short_words_are_left_as_typed(text: str, language: str) -> None:
    assert spelling.correct(text, language) == text


def test_a_mistyped_comment_is_analysed_as_the_words_meant_but_shown_as_typed() -> None:
    typed = "Todella ystävälinen ja asiantunteva farmasetti"
    result = analyse(typed, "fi", use_embeddings=False)
    written = analyse("Todella ystävällinen ja asiantunteva farmaseutti", "fi",
                      use_embeddings=False)
    assert result.sentiment == written.sentiment == "positive"
    assert result.theme_keys == written.theme_keys
    assert "friendliness" in result.theme_keys
    assert result.text == typed and result.redacted == typed


def test_the_shipped_table_is_what_the_builder_gives() -> None:
    pytest.importorskip("wordfreq")  # a build-time tool of the dev extra
    assert spelling_build.main(["--check"]) == 0
