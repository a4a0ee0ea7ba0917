from datetime import date, timedelta

import pytest

from kokemus.text import emerging_topics, rising_terms
from kokemus.text.emerging import benjamini_hochberg, g_squared


def test_g_squared_zero_when_rates_equal_and_positive_when_different() -> None:
    assert g_squared(10, 100, 100, 1000) == pytest.approx(0.0, abs=1e-9)
    assert g_squared(30, 100, 10, 1000) > 30


def test_benjamini_hochberg_matches_hand_computation() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.20])
    # sorted p: .01 .03 .04 .20 -> p*m/rank: .04 .06 .0533 .20 -> running minimum from the top
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])


def test_rising_terms_reports_only_significant_increases() -> None:
    window = {"robotti": 25, "jono": 20, "hinta": 3, "ystävällinen": 30}
    baseline = {"robotti": 2, "jono": 200, "hinta": 1, "ystävällinen": 300}
    result = rising_terms(window, 100, baseline, 1000)
    assert [r.term for r in result] == ["robotti"]
    top = result[0]
    assert top.window_count == 25 and top.baseline_count == 2
    assert top.q_value <= 0.05 and top.ratio > 10


def test_min_count_filters_rare_terms() -> None:
    assert rising_terms({"uusi": 4}, 50, {}, 5000, min_count=5) == []
    assert [r.term for r in rising_terms({"uusi": 6}, 50, {}, 5000, min_count=5)] == ["uusi"]


def test_decreasing_terms_are_not_reported() -> None:
    assert rising_terms({"jono": 5}, 100, {"jono": 500}, 1000, min_count=1) == []


def test_emerging_topics_from_dated_texts() -> None:
    today = date(2025, 3, 31)
    items: list[tuple[date, str]] = []
    for i in range(300):
        day = today - timedelta(days=40 + i % 300)
        items.append((day, "Palvelu oli ystävällistä ja nopeaa"))
    for i in range(40):
        day = today - timedelta(days=i % 30)
        text = "Uusi kassajärjestelmä on sekava" if i % 2 else "Palvelu oli ystävällistä"
        items.append((day, text))
    result = emerging_topics(items, as_of=today, language="fi")
    terms = [r.term for r in result]
    assert "kassajärjestelmä" in terms
    assert "ystävällinen" not in terms and "palvelu" not in terms


def test_emerging_topics_accepts_lemma_lists_and_empty_input() -> None:
    assert emerging_topics([]) == []
    today = date(2025, 1, 31)
    items = [(today - timedelta(days=100 + i), ["hinta"]) for i in range(50)]
    items += [(today - timedelta(days=i), ["robotti", "hinta"]) for i in range(10)]
    assert [r.term for r in emerging_topics(items, as_of=today)] == ["robotti"]


def test_comment_terms_skip_function_words_and_redaction_placeholders() -> None:
    from kokemus.text import comment_terms

    terms = comment_terms("[NAME] sanoi, että parkkihalli on taas täynnä [PHONE]", "fi")
    assert "parkkihalli" in terms
    assert not terms & {"name", "phone", "että", "on"}


@pytest.mark.parametrize(("text", "language", "topic", "generic"), [
    ("Uusi noutoautomaatti oli taas rikki", "fi", "noutoautomaatti", {"uusi", "taas"}),
    ("Det nya paketskåpet var trasigt igen", "sv", "paketskåp", {"ny", "igen"}),
    ("The new parcel locker was broken again", "en", "locker", {"new", "again"}),
])
def test_generic_words_are_not_topics(text: str, language: str, topic: str,
                                      generic: set[str]) -> None:
    """"Again" and "new" rise with any new complaint (the demo's broken parcel locker
    brought "taas" and "uusi" up next to "noutoautomaatti"); the thing itself is the topic."""
    from kokemus.text import comment_terms

    terms = comment_terms(text, language)
    assert any(topic in t for t in terms)
    assert not terms & generic
