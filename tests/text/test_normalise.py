from kokemus.text import lemmatize, tokenize
from kokemus.text.normalise import dictionary_lemma, lemmas


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


def test_lemmas_are_simplemmas_own() -> None:
    # The faster dictionary view changes how words are looked up, not what is found: the
    # same lemmas as simplemma's default lemmatiser, inflected compounds and unknowns too.
    import simplemma

    words = {"fi": ["farmaseuteilta", "apteekkifarmaseutin", "jonotusnumeroautomaatilla",
                    "hoitajakaan", "xyzzyäö", "lääkkeitä", "Helsingissä"],
             "sv": ["apoteket", "farmaceuterna", "webbutiken", "sjuksköterskorna"],
             "en": ["pharmacists", "waited", "queues", "unhelpful"]}
    for lang, tokens in words.items():
        for token in tokens:
            lemmatize.cache_clear()
            assert lemmatize(token.lower(), lang) == \
                simplemma.lemmatize(token.lower(), lang=lang).strip(".,;:!?").lower()


def test_dictionary_lemma_does_not_decompose() -> None:
    assert dictionary_lemma("farmaseuteilta", "fi") == "farmaseutti"
    assert dictionary_lemma("ruokakin", "fi") == "ruoka"  # a clitic off an unknown form
    # The full lemmatiser splits an unknown word into known parts; the dictionary does not.
    assert dictionary_lemma("hoitotuote", "fi") == "hoitotuote"
    assert dictionary_lemma("queues", "en") == "queue"
    assert dictionary_lemma("queues", "xx") == "queues"
