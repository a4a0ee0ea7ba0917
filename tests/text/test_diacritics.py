"""Comments typed without ä/ö/å are read with the letters put back."""

import pytest

from kokemus.text import analyse, diacritics_build
from kokemus.text.diacritics import restore

STRIP = str.maketrans("äöåÄÖÅ", "aoaAOA")


@pytest.mark.parametrize(
    ("typed", "language", "read"),
    [
        ("ystavallinen ja nopea palvelu, laakari oli hyva", "fi",
         "ystävällinen ja nopea palvelu, lääkäri oli hyvä"),
        ("Myohassa 40 min ja toykea myyja", "fi", "Myöhässä 40 min ja töykeä myyjä"),
        ("TOYKEA PALVELU", "fi", "TÖYKEÄ PALVELU"),
        ("Vardcentralen svarade aldrig", "sv", "Vårdcentralen svarade aldrig"),
    ],
)
def test_letters_are_restored(typed: str, language: str, read: str) -> None:
    assert restore(typed, language) == read


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Lääkäri oli hyva", "fi"),  # typed with the letters: left as typed
        ("vaara tama", "fi"),  # words of their own (danger; a Finnish surname)
        ("Personalen var trevlig men kon var lang", "sv"),  # kon: the cow; ambiguous
        ("The staff were lovely", "en"),
        ("hyva", "other"),
    ],
)
def test_known_words_and_other_languages_are_left_alone(text: str, language: str) -> None:
    assert restore(text, language) == text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Lääkäri oli tosi töykeä ja jonotin myöhässä olevaa aikaa tunnin.", "fi"),
        ("Ystävällinen hoitaja ja selkeät ohjeet, kiitos!", "fi"),
        ("Vårdcentralen svarade aldrig och väntetiden var förfärlig.", "sv"),
    ],
)
def test_a_comment_typed_without_the_letters_reads_as_with_them(text: str,
                                                                language: str) -> None:
    typed = text.translate(STRIP)
    written, stripped = analyse(text, language), analyse(typed, language)
    assert stripped.sentiment == written.sentiment != "neutral"
    assert stripped.theme_keys == written.theme_keys
    assert stripped.text == typed and stripped.redacted == typed  # shown as typed


def test_the_shipped_table_is_what_the_builder_gives() -> None:
    assert diacritics_build.main(["--check"]) == 0
