import pytest

from kokemus.text import detect_language


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
