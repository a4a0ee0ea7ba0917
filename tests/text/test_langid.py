import pytest

from kokemus.text import analyse, detect_language
from kokemus.text.langid import resolve_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Palvelu oli tosi hyvää", "fi"),
        ("ihan ok kiitti", "fi"),
        ("Jono oli pitkä", "fi"),
        ("Farmaseutti neuvoi hyvin", "fi"),
        ("Trevlig personal men lång kö", "sv"),
        ("Bra service, tack", "sv"),
        ("Maten var kall igen", "sv"),
        ("Personalen var inte trevlig", "sv"),
        ("Friendly staff, quick service", "en"),
        ("The queue was long", "en"),
        ("Nurses were very kind", "en"),
        ("Das Personal war sehr freundlich und hilfsbereit", "other"),
        ("Le personnel était très aimable et serviable", "other"),
    ],
)
def test_short_comments(text: str, expected: str) -> None:
    assert detect_language(text)[0] == expected


def test_empty_and_non_text_is_other() -> None:
    assert detect_language("")[0] == "other"
    assert detect_language("123 456 !!!")[0] == "other"


def test_confidence_is_probability() -> None:
    lang, conf = detect_language("Hoitajat ovat ihania ja ruoka on hyvää")
    assert lang == "fi"
    assert 0.0 < conf <= 1.0


@pytest.mark.parametrize(
    ("text", "survey", "expected"),
    [
        # Written in another of the three languages than the form's: analysed in its own.
        ("Personalen var mycket vänlig och kön var kort", "fi", "sv"),
        ("The pharmacist explained everything clearly", "fi", "en"),
        ("Hoitajat ovat ihania ja ruoka on hyvää", "en", "fi"),
        # Too short or unsure to overrule the form's language.
        ("ok", "fi", "fi"),
        ("Bra", "fi", "fi"),
        ("Medicinen var slut igen.", "sv", "sv"),  # identified as "other" on its own
        ("Kiitos!", "sv", "sv"),
        # No (or an unknown) survey language: plain identification.
        ("Hyvä palvelu", None, "fi"),
        ("Bra service, tack", "", "sv"),
    ],
)
def test_the_survey_language_is_expected_unless_the_comment_is_clearly_another(
        text: str, survey: str | None, expected: str) -> None:
    assert resolve_language(text, survey)[0] == expected


def test_analyse_with_an_expected_language() -> None:
    swedish = analyse("Personalen var otrevlig och kön var lång", expected_language="fi")
    assert swedish.language == "sv" and swedish.sentiment == "negative"
    assert "waiting" in swedish.theme_keys  # read with the Swedish lexicon
    short = analyse("ok", expected_language="fi")
    assert short.language == "fi"
    # ``language`` still forces the language.
    assert analyse("Personalen var otrevlig", language="fi").language == "fi"
