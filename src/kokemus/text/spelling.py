"""Correcting single-letter typos in the words the analyser has use for.

The table is rebuilt by ``python -m kokemus.text.spelling_build`` (``--check`` exits 1 when
the shipped file is stale); see that module for how.

Comments typed on a phone carry typos: "ystävälinen farmasetti", "proffesional", "recieved",
"personalen var trevlg". The lexicons and the theme terms know the words as spelt, so a
mistyped evaluative word was simply not seen. :func:`correct` reads such a word as the one
it was meant to be when that is clear:

* the word is at least :data:`MIN_LENGTH` letters long (short words have too many
  neighbours) and is not itself one of the target words;
* exactly one letter is missing, extra, wrong, or two neighbours are swapped (Damerau
  distance 1) against a *target*: a word form of the lemmas of the sentiment lexicon and the
  theme terms (simplemma's forms of those lemmas);
* the word as typed is not a word of the language: by the frequencies of the ``wordfreq``
  project (web, subtitles, news, Wikipedia) it is rarer than :data:`MAX_TYPED` on the Zipf
  scale (log10 of the occurrences per billion words; 1.5 is about one in 30 million), and
  the target is at least 100 times (:data:`MARGIN`, 2.0 Zipf) more frequent. So a real
  word, even a rare one, is never turned into a neighbouring lexicon word ("mostly",
  "särkeä", "värdigt", "mince" stay; they are not "costly", "tärkeä", "väldigt", "since"),
  while a misspelling is. Common misspellings that the corpora know ("recieved",
  "definately", Zipf 2.8) are left as typed, as are colloquial forms ("lopuks");
* of two or more targets, the most frequent is taken only when it is at least 10 times
  (1.0 Zipf) more frequent than the next; otherwise the word is left as typed.

The comment itself, and its redacted form, stay as typed; only the analysis reads the
corrected words. With 15 % of the words of six letters or more mistyped in the 5,282
labelled comments (fast path, lexicon sentiment; ``bench/text_typos.py``), sentiment accuracy
fell from 0.741 to 0.708 (fi), 0.701 to 0.658 (sv) and 0.671 to 0.642 (en); with the
correction it is 0.735, 0.699 and 0.667. As written, no score changed and 18 words of those
comments were changed (fi 16, sv 2, en 0), the writers' own slips and colloquial forms
("ystävälinen", "farmasetti", "ilmoittanu") or a neighbouring form of the same word.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from ._data import load_json

DATA_FILE = "spelling.json"
LANGUAGES = ("fi", "sv", "en")
#: Words shorter than this are left as typed.
MIN_LENGTH = 5
#: A word as typed at least this frequent (Zipf) is a word of the language, left as typed.
MAX_TYPED = 1.5
#: How much more frequent (Zipf units: log10 of the frequency per billion words) the target
#: must be than the word as typed, and than the next candidate.
MARGIN = 2.0
TIE_MARGIN = 1.0
# Words as the tokeniser sees them: "couldn't" is one word (left as typed), not "couldn".
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


class _Table:
    """Targets with their frequencies, the typed words' own frequencies, and an index of
    the targets by their one-letter deletions (symmetric-delete look-up)."""

    def __init__(self, data: dict[str, dict[str, int]]) -> None:
        self.targets: dict[str, float] = {w: z / 10 for w, z in data["targets"].items()}
        self.known: dict[str, float] = {w: z / 10 for w, z in data["known"].items()}
        index: dict[str, list[str]] = {}
        for word in self.targets:
            if len(word) >= MIN_LENGTH - 1:
                for variant in {word, *_deletions(word)}:
                    index.setdefault(variant, []).append(word)
        self.index = index


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def within_one(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one insertion, deletion, substitution or swap of
    two neighbouring letters (optimal string alignment distance 1)."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :] or (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :])
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


@cache
def _table(language: str) -> _Table | None:
    try:
        data = load_json(DATA_FILE)
    except FileNotFoundError:
        return None
    spec = data.get(language)
    return _Table(spec) if spec else None


def warm_up(languages: tuple[str, ...] = LANGUAGES) -> None:
    """Load the tables now rather than on the first comment (about 0.5 s in all)."""
    for language in languages:
        _table(language)


@lru_cache(maxsize=131_072)
def correction(word: str, language: str) -> str | None:
    """The target a lower-case ``word`` was meant to be, or ``None`` (see the module)."""
    if len(word) < MIN_LENGTH:
        return None
    table = _table(language)
    if table is None or word in table.targets or not word.isalpha():
        return None
    typed = table.known.get(word, 0.0)
    if typed >= MAX_TYPED:
        return None
    found: set[str] = set()
    for variant in (word, *_deletions(word)):
        found.update(table.index.get(variant, ()))
    ranked = sorted(((table.targets[t], t) for t in found if within_one(word, t)),
                    reverse=True)
    if not ranked:
        return None
    best, target = ranked[0]
    if best < typed + MARGIN:
        return None
    if len(ranked) > 1 and best < ranked[1][0] + TIE_MARGIN:
        return None
    return target


def correct(text: str, language: str) -> str:
    """``text`` with its clearly mistyped words replaced (case kept); other text unchanged."""
    if language not in LANGUAGES or _table(language) is None:
        return text

    def put_right(match: re.Match[str]) -> str:
        word = match.group(0)
        found = correction(word.lower(), language)
        if found is None:
            return word
        if word.isupper():
            return found.upper()
        return found.capitalize() if word[:1].isupper() else found

    return _WORD.sub(put_right, text)
