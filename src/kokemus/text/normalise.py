"""Tokenisation and lemmatisation for Finnish, Swedish and English comments."""

from __future__ import annotations

import re
from functools import lru_cache

import simplemma

#: Languages that have a lemmatiser and lexicons; anything else is analysed as raw tokens.
SUPPORTED = ("fi", "sv", "en")

# Letters only (hyphens split compounds such as "e-resepti" so the head word is a token of its
# own); an apostrophe inside a word is kept so English "wasn't" stays one negation token.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)?|[!?]", re.UNICODE)


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
    lemma = simplemma.lemmatize(token, lang=language)
    # simplemma occasionally keeps trailing punctuation or changes case; normalise it away.
    lemma = lemma.strip(".,;:!?").lower()
    return lemma or token


def lemmas(text: str, language: str) -> list[str]:
    """Tokenise ``text`` and return the lemma of every word token."""
    return [lemmatize(t, language) for t in tokenize(text) if t[:1].isalpha()]


def warm_up(languages: tuple[str, ...] = SUPPORTED) -> None:
    """Load simplemma's dictionaries (seconds per language) and the spelling tables now
    rather than on the first comment."""
    from .spelling import warm_up as spelling_warm_up

    for lang in languages:
        simplemma.lemmatize("test", lang=lang)
    spelling_warm_up(tuple(lang for lang in languages if lang in SUPPORTED))
