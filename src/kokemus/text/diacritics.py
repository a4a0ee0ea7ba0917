"""Restoring the letters ä, ö and å in comments typed without them.

The table is rebuilt by ``python -m kokemus.text.diacritics_build`` (``--check`` exits 1
when the shipped file is stale); see that module for how.

Comments typed on a phone or a keyboard without Nordic letters lose them: "ystavallinen ja
nopea palvelu, laakari oli hyva", "personalen var trevlig men kon var lang". The lexicons,
the lemmatiser and the models know the words with their letters, so such a comment lost
much of its evidence. On the 459 Finnish and 176 Swedish rows of ``tests/data/retired_*``
with the letters stripped (fast path; the table built without those rows):

=================  ======================  ======================
                   sentiment accuracy      theme micro-F1
=================  ======================  ======================
fi as written      0.758                   0.999 (trained on)
fi stripped        0.682 → 0.741 restored  0.938 → 0.990 restored
sv as written      0.773                   0.989 (trained on)
sv stripped        0.676 → 0.739 restored  0.870 → 0.946 restored
=================  ======================  ======================

:func:`restore` puts the letters back in a Finnish or Swedish comment that has none of
them, word by word, from a table (``data/diacritics.json``) that maps a stripped spelling to
the one word form it comes from. The table is built from simplemma's dictionaries of word
forms (the lemmatiser's own data): the forms of the lemmas the analyser has use for (those
of the lexicons, the theme terms, the stop words and the labelled comments, never the blind
held-out sets), plus the Nordic-lettered words of those files themselves. A stripped
spelling is left out when it is itself a known word form ("vaara", "tama", "var") or when
it could come from two forms (both are then equally likely), so a correctly spelt word is
never changed and an ambiguous one is left as typed; a known form that the dictionary
itself lemmatises as the Nordic-lettered word ("hyva" -> "hyvä") is restored.
"""

from __future__ import annotations

import re
from functools import cache

from ._data import load_json

DATA_FILE = "diacritics.json"
LANGUAGES = ("fi", "sv")
NORDIC = re.compile(r"[äöåÄÖÅ]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_STRIP = str.maketrans("äöå", "aoa")


def strip(word: str) -> str:
    """``word`` without its Nordic letters (lower case: ä → a, ö → o, å → a)."""
    return word.translate(_STRIP)


@cache
def _table(language: str) -> dict[str, str]:
    try:
        data = load_json(DATA_FILE)
    except FileNotFoundError:
        return {}
    table: dict[str, str] = data.get(language, {})
    return table


def restore(text: str, language: str) -> str:
    """``text`` with ä, ö and å restored when it is Finnish or Swedish and has none of them.

    A text with any of those letters was typed with them and is returned unchanged, as is
    every word the table does not know. Case is kept ("Laakari" → "Lääkäri", "HYVA" stays
    a known form and is lemmatised as it is).
    """
    if language not in LANGUAGES or NORDIC.search(text):
        return text
    table = _table(language)
    if not table:
        return text

    def put_back(match: re.Match[str]) -> str:
        word = match.group(0)
        found = table.get(word.lower())
        if found is None:
            return word
        if word.isupper() and len(word) > 1:
            return found.upper()
        return found.capitalize() if word[:1].isupper() else found

    return _WORD.sub(put_back, text)
