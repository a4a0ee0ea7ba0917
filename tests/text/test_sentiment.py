import pytest

from kokemus.text import analyse
from kokemus.text.sentiment import combine, label_for


def test_mutta_example_splits_clauses() -> None:
    result = analyse("Palvelu oli ystävällistä mutta jono oli pitkä", "fi")
    by_key = {t.key: t.sentiment for t in result.themes}
    assert by_key["friendliness"] == "positive"
    assert by_key["waiting"] == "negative"
    assert result.sentiment == "neutral"  # mixed comment
    assert len(result.clauses) == 2


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Farmaseutti ei ollut ystävällinen", "fi"),
        ("En ollut tyytyväinen palveluun", "fi"),
        ("Hoitajat eivät olleet kovin ystävällisiä", "fi"),
        ("Emme saaneet apua", "fi"),
        ("Personalen var inte trevlig", "sv"),
        ("Jag fick aldrig någon hjälp", "sv"),
        ("The pharmacist was not friendly", "en"),
        ("The nurse wasn't helpful at all", "en"),
        ("Never got any help from the staff", "en"),
    ],
)
def test_negated_praise_is_negative(text: str, language: str) -> None:
    assert analyse(text, language).sentiment == "negative"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ei tarvinnut jonottaa yhtään", "fi"),
        ("Ei ollut mitään ongelmia", "fi"),
        ("Inga problem alls, inget väntande", "sv"),
        ("No problems and no queue", "en"),
    ],
)
def test_negated_complaint_is_positive(text: str, language: str) -> None:
    assert analyse(text, language).sentiment == "positive"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Tosi hyvää palvelua, kiitos!", "fi", "positive"),
        ("Ihan ok", "fi", "neutral"),
        ("Hinnat ovat liian kalliit", "fi", "negative"),
        ("Trevlig personal men lång kö", "sv", "neutral"),
        ("Maten är alltid kall och smaklös", "sv", "negative"),
        ("Very helpful pharmacist, thank you", "en", "positive"),
        ("Delivery took far too long", "en", "negative"),
        ("I collected my prescription.", "en", "neutral"),
    ],
)
def test_comment_sentiment(text: str, language: str, expected: str) -> None:
    assert analyse(text, language).sentiment == expected


def test_intensifier_strengthens() -> None:
    plain = analyse("Palvelu oli hyvää", "fi").score
    strong = analyse("Palvelu oli todella hyvää", "fi").score
    assert strong > plain > 0


def test_score_bounds_and_labels() -> None:
    assert combine([]) == 0.0
    assert combine([0.9, -0.9]) == 0.0
    assert -1.0 <= combine([0.99, 0.99, 0.99]) <= 1.0
    assert label_for(0.5) == "positive"
    assert label_for(-0.5) == "negative"
    assert label_for(0.05) == "neutral"


def test_emoticons_count() -> None:
    assert analyse("Apteekissa käynti :)", "fi").sentiment == "positive"
    assert analyse("Apteekissa käynti :(", "fi").sentiment == "negative"
