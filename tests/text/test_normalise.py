from kokemus.text import lemmatize, tokenize
from kokemus.text.normalise import lemmas


def test_tokenize_lowercases_and_splits_hyphens_and_keeps_contractions() -> None:
    assert tokenize("E-resepti ei TOIMINUT, wasn't ok!") == [
        "e", "resepti", "ei", "toiminut", "wasn't", "ok", "!"
    ]


def test_finnish_inflection_reaches_base_form() -> None:
    assert lemmatize("farmaseutin", "fi") == "farmaseutti"
    assert lemmatize("farmaseuteilta", "fi") == "farmaseutti"
    assert lemmatize("jonossa", "fi") == "jono"


def test_swedish_and_english_lemmas() -> None:
    assert lemmatize("sjuksköterskorna", "sv") == "sjuksköterska"
    assert lemmatize("nurses", "en") == "nurse"


def test_unknown_language_keeps_tokens() -> None:
    assert lemmas("Hallo Welt", "other") == ["hallo", "welt"]
