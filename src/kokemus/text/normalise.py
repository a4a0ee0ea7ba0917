"""Tokenisation and lemmatisation for Finnish, Swedish and English comments."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache

import simplemma
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import (
    DefaultDictionaryFactory,
    DictionaryFactory,
)

#: Languages that have a lemmatiser and lexicons; anything else is analysed as raw tokens.
SUPPORTED = ("fi", "sv", "en")

# Letters only (hyphens split compounds such as "e-resepti" so the head word is a token of its
# own); an apostrophe inside a word is kept so English "wasn't" stays one negation token.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)?|[!?]", re.UNICODE)


class _Dictionary(Mapping[str, str]):
    """simplemma's dictionary of one language (bytes to bytes) seen as str to str.

    simplemma's own view inherits ``Mapping.get``, which looks a missing word up through
    ``__getitem__`` and a caught ``KeyError``; the lemmatiser looks up every split of a long
    compound word, mostly missing, so that exception is its main cost on words it has not
    seen. ``get`` and ``in`` here look the word up directly: the same answers, and about
    a third less time per word.
    """

    __slots__ = ("_words",)

    def __init__(self, words: dict[bytes, bytes]) -> None:
        self._words = words

    def __getitem__(self, word: str) -> str:
        return self._words[word.encode()].decode()

    def get(self, word: str, default: str | None = None) -> str | None:  # type: ignore[override]
        found = self._words.get(word.encode())
        return default if found is None else found.decode()

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.encode() in self._words

    def __iter__(self) -> Iterator[str]:
        return (word.decode() for word in self._words)

    def __len__(self) -> int:
        return len(self._words)


class _Dictionaries(DictionaryFactory):
    """simplemma's dictionaries, loaded once per language, as :class:`_Dictionary`."""

    def __init__(self) -> None:
        self._loaded = DefaultDictionaryFactory()
        self._views: dict[str, _Dictionary] = {}

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        view = self._views.get(lang)
        if view is None:
            # The default factory wraps the loaded bytes dict; keep the dict, not the wrapper.
            view = self._views[lang] = _Dictionary(self._loaded.get_dictionary(lang)._dict)
        return view


_DICTIONARIES = _Dictionaries()
#: simplemma's default strategy on the faster dictionary view (no cache of its own:
#: :func:`lemmatize` has one).
_LEMMATIZER = simplemma.Lemmatizer(
    cache_max_size=0, lemmatization_strategy=DefaultStrategy(dictionary_factory=_DICTIONARIES))
#: Finnish enclitic particles ("ruokakin", "hoitajakaan", "sehän", "onko"), longest first.
_FI_CLITICS = ("kaan", "kään", "kin", "han", "hän", "pa", "pä", "ko", "kö")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-cased word tokens (numbers and ``!``/``?`` kept as tokens)."""
    return [t.replace("’", "'") for t in _TOKEN_RE.findall(text.lower())]


@lru_cache(maxsize=262_144)
def lemmatize(token: str, language: str) -> str:
    """Return the lemma of a lower-cased ``token`` in ``language`` (cached).

    simplemma's dictionaries give base forms for inflected Finnish and Swedish words
    ("farmaseuteilta" -> "farmaseutti"); unknown words come back unchanged. The cache matters
    because comments repeat a small vocabulary and dictionary look-ups dominate run time.
    """
    if language not in SUPPORTED or not token[:1].isalpha():
        return token
    lemma = _LEMMATIZER.lemmatize(token, lang=language)
    # simplemma occasionally keeps trailing punctuation or changes case; normalise it away.
    lemma = lemma.strip(".,;:!?").lower()
    return lemma or token


@lru_cache(maxsize=65_536)
def dictionary_lemma(token: str, language: str) -> str:
    """The lemma of a lower-cased ``token`` by simplemma's dictionary alone, else ``token``.

    For the head of a compound (:mod:`kokemus.text.taxonomy` looks up every tail of a long
    word): the full lemmatiser decomposes a word its dictionary lacks into known parts,
    which the caller does itself tail by tail, and on heads it produced false theme hits
    ("itsehoitotuote" -> "hoito...", "sähköpostiini" -> "posti"). A Finnish clitic
    ("ruokakin") is taken off a word the dictionary does not know.
    """
    if language not in SUPPORTED or not token[:1].isalpha():
        return token
    words = _DICTIONARIES.get_dictionary(language)
    found = words.get(token) or words.get(token.capitalize())
    if found is None and language == "fi":
        for clitic in _FI_CLITICS:
            if token.endswith(clitic) and len(token) - len(clitic) >= 4:
                base = token[: -len(clitic)]
                found = words.get(base) or base
                break
    return (found or token).lower()


def lemmas(text: str, language: str) -> list[str]:
    """Tokenise ``text`` and return the lemma of every word token."""
    return [lemmatize(t, language) for t in tokenize(text) if t[:1].isalpha()]


def warm_up(languages: tuple[str, ...] = SUPPORTED) -> None:
    """Load simplemma's dictionaries (seconds per language) and the spelling tables now
    rather than on the first comment."""
    from .spelling import warm_up as spelling_warm_up

    for lang in languages:
        _LEMMATIZER.lemmatize("test", lang=lang)
    spelling_warm_up(tuple(lang for lang in languages if lang in SUPPORTED))
