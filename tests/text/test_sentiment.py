"""The lexicon's sentiment rules. Tests of a rule read the comment with ``use_model=False``
(the lexicon alone: no statistical model decides); the others go through the full analyser."""

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
        ("En saanut apua", "fi"),
        # The praise before the negator and "get" was not received.
        ("Apua ei saatu", "fi"),
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
        # No queue, whichever side of the negator the queue is on.
        ("ei jonoa", "fi", "positive"),
        ("Jonoa ei ollut yhtään", "fi", "positive"),
        ("jonottaa ei tarvinnu ollenkaan", "fi", "positive"),
        ("Ingen kö alls", "sv", "positive"),
        ("Jono oli pitkä", "fi", "negative"),
        # "kallista" is not "kallistaa" (to tilt).
        ("ei todellakaan kallista", "fi", "positive"),
        ("Tosi kallista", "fi", "negative"),
        # Colloquial -ee forms and negators with -pä; litotes.
        ("aivan surkeeta palvelua", "fi", "negative"),
        ("selkeetä ja nopeeta", "fi", "positive"),
        ("eipä jääny epäselväksi mikään", "fi", "positive"),
        ("ei hassumpi kokemus", "fi", "positive"),
        ("ei oo mitään valittamista", "fi", "positive"),
        # A negated weak complaint word that is not about a queue stays weak.
        ("Nobody apologised.", "en", "neutral"),
    ],
)
def test_finnish_forms_and_queue_negation(text: str, language: str, expected: str) -> None:
    assert analyse(text, language, use_model=False).sentiment == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # Swedish puts the negator after the finite verb.
        ("Läkaren lyssnade inte.", "sv", "negative"),
        ("Appen fungerar inte.", "sv", "negative"),
        ("De hjälpte mig inte.", "sv", "negative"),
        ("Sköterskan stressade inte.", "sv", "positive"),
        ("Jag väntade inte länge.", "sv", "positive"),
        ("Personalen var inte trevlig.", "sv", "negative"),
        ("Trevlig personal, inte så lång kö.", "sv", "positive"),
        # A negated counterfactual comparison is a superlative; an unnegated one a
        # reservation.
        ("Couldn't be easier.", "en", "positive"),
        ("It could not have been better.", "en", "positive"),
        ("It couldn't be worse.", "en", "negative"),
        ("Could have been better.", "en", "negative"),
        ("It could have been worse.", "en", "neutral"),
        ("The new app is better than the old one.", "en", "positive"),
        ("Helpompaa ei voisi olla.", "fi", "positive"),
        ("Ei olisi voinut mennä paremmin.", "fi", "positive"),
        ("Ei voisi olla huonompaa palvelua.", "fi", "negative"),
        ("Olisi voinut olla parempi.", "fi", "negative"),
        ("Lääkäri ei ollut parempi kuin viimeksi.", "fi", "negative"),
        ("Det kunde inte ha varit enklare.", "sv", "positive"),
        ("Det kunde ha varit bättre.", "sv", "negative"),
        ("På boendet svarar de aldrig i telefon.", "sv", "negative"),
        # Care left undone, cancellations, lost referrals, hurry.
        ("Äidin lääkkeet jäivät antamatta.", "fi", "negative"),
        ("Suihku jäi väliin koko viikoksi.", "fi", "negative"),
        ("Pääsin jonottamatta.", "fi", "positive"),
        ("Leikkaus peruttiin kahdesti.", "fi", "negative"),
        ("Operationen ställdes in två gånger.", "sv", "negative"),
        ("Remissen hade kommit bort.", "sv", "negative"),
        ("They cancelled my operation twice.", "en", "negative"),
        ("The doctor was in a hurry.", "en", "negative"),
        ("The doctor listened and didn't rush me.", "en", "positive"),
        ("Den som svarade kunde inte bry sig mindre.", "sv", "negative"),
        ("Mitään ei jäänyt tekemättä.", "fi", "positive"),
        # Neither praise nor complaint.
        ("Ei kehuttavaa eikä valitettavaa.", "fi", "neutral"),
        ("Nothing to praise or complain about.", "en", "neutral"),
        # A phrase with a conjunction inside is not cut at the conjunction.
        ("The staff went above and beyond.", "en", "positive"),
        ("Palvelu ylitti kaikki odotukseni.", "fi", "positive"),
    ],
)
def test_postposed_negation_and_counterfactuals(text: str, language: str, expected: str
                                                ) -> None:
    assert analyse(text, language, use_model=False).sentiment == expected


def test_expectations_are_not_waiting() -> None:
    """Finnish "odotukset" (expectations) is not "odotus" (a wait)."""
    assert "waiting" not in {t.key for t in analyse("Palvelu ylitti odotukset.", "fi").themes}
    assert "waiting" in {t.key for t in analyse("Odotus oli pitkä.", "fi").themes}


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


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # Praise, then a reservation the lexicon cannot score: mixed, so neutral (G4).
        ("Tosi mukava myyjä, mutta jonoa oli ihan hirveesti ja vaan yks kassa auki.", "fi",
         "neutral"),
        ("Skinande ren avdelning, underbara sköterskor, men maten var oätlig.", "sv", "neutral"),
        # Several complaints against one courtesy: negative, still mixed.
        ("Henkilökunta oli ihanaa, mutta ruoka oli kamalaa ja huone likainen.", "fi",
         "negative"),
        ("Staff were lovely but the food was dreadful and the room was dirty.", "en",
         "negative"),
        # A conceded circumstance is not a complaint.
        ("Hoitajat ovat ystävällisiä, vaikka kiirettä on paljon.", "fi", "positive"),
        ("The staff were busy but kind.", "en", "positive"),
    ],
)
def test_mixed_comments(text: str, language: str, expected: str) -> None:
    assert analyse(text, language).sentiment == expected


def test_combine_mixed_is_never_positive_after_a_reservation() -> None:
    # Praise followed by a "but" clause with no opinion word found: neutral.
    assert label_for(combine([0.9, 0.0], (1, 0), [False, True])) == "neutral"
    # Problem first, then clearly stronger praise: a solved problem, positive.
    assert label_for(combine([-0.3, 0.8, 0.7], (2, 1), [False, True, False])) == "positive"
    # One complaint against one praise of similar strength: neutral.
    assert label_for(combine([0.6, -0.6], (1, 1), [False, True])) == "neutral"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # The negator's scope ends at the subordinate clause: the fall is not negated.
        ("Omaisille ei ilmoitettu kun äiti kaatui, kuulin asiasta vasta viikon päästä.", "fi"),
        ("De ringde inte när provsvaren var dåliga.", "sv"),
    ],
)
def test_negation_does_not_reach_into_a_subordinate_clause(text: str, language: str) -> None:
    assert analyse(text, language, use_model=False).sentiment == "negative"
