"""Build the table of :mod:`kokemus.text.diacritics` (``data/diacritics.json``).

    python -m kokemus.text.diacritics_build            # rebuild the file
    python -m kokemus.text.diacritics_build --check    # exit 1 if the shipped file is stale

Run it before ``spelling_build`` and the trainers (``train_sentiment``, then ``train``) when
the lexicons or the labelled comments change: they read comments as the analyser does,
letters restored.
Deterministic; needs only simplemma (the lemmatiser's dictionaries).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ._data import load_json
from .diacritics import DATA_FILE, LANGUAGES, NORDIC, strip

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "data" / DATA_FILE
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
#: Labelled comment files read for vocabulary (``<prefix>_<lang>.csv``); the blind held-out
#: sets (``tests/data/heldout*``) are not among them.
PREFIXES = ("comments", "train", "retired", "mixed")


def _strings(value: Any) -> Iterable[str]:
    """Every string (keys included) in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def vocabulary(language: str, data_dir: Path = DEFAULT_DATA) -> set[str]:
    """Lower-case words of the lexicons, theme terms, stop words, language cues and
    labelled comments of ``language``."""
    from .normalise import tokenize

    texts: list[str] = []
    for name in ("sentiment.json", "stopwords.json", "language_cues.json"):
        texts.extend(_strings(load_json(name).get(language, {})))
    for theme in load_json("themes.json").values():
        if isinstance(theme, dict):
            for field in ("terms", "weak_terms", "exclude", "label"):
                texts.extend(_strings((theme.get(field) or {}).get(language, [])))
    for prefix in PREFIXES:
        path = data_dir / f"{prefix}_{language}.csv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                texts.extend(row["text"] for row in csv.DictReader(fh))
    return {t for text in texts for t in tokenize(text) if t[:1].isalpha()}


def build(data_dir: Path = DEFAULT_DATA) -> dict[str, dict[str, str]]:
    """The restoration tables of :data:`LANGUAGES` (deterministic)."""
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    from .normalise import lemmatize

    factory = DefaultDictionaryFactory()
    out: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        words = vocabulary(language, data_dir)
        wanted = words | {lemmatize(w, language) for w in words}
        forms = factory.get_dictionary(language)
        candidates: dict[str, set[str]] = {}

        def consider(form: str, candidates: dict[str, set[str]] = candidates) -> None:
            if NORDIC.search(form) and form.isalpha() and form == form.lower():
                candidates.setdefault(strip(form), set()).add(form)

        for form, lemma in forms.items():
            if lemma in wanted:
                consider(form)
        for word in words:
            consider(word)
        table = {}
        for key, found in sorted(candidates.items()):
            choice = _choose(found, words)
            if choice is None:
                continue
            if key in forms:
                # A known form: a word of its own ("vaara", "tama", "kon"), kept, unless the
                # dictionary lemmatises it as the misspelling of the same word ("hyva" ->
                # "hyvä", "myyja" -> "myyjä").
                lemma = forms[key]
                if not NORDIC.search(lemma) or lemma != forms.get(choice, choice):
                    continue
            table[key] = choice
        out[language] = table
    return out


def _choose(found: set[str], words: set[str]) -> str | None:
    """The form a stripped spelling comes from, or ``None`` when that is not clear.

    simplemma's dictionaries also hold half-lettered misspellings ("töykea", "päiva") next
    to the word ("töykeä", "päivä"); of such forms the one the lexicons or labelled comments
    use is taken, else the one with the most Nordic letters (Finnish vowel harmony keeps ä
    and ö throughout a word), unless two have as many.
    """
    if len(found) == 1:
        return next(iter(found))
    known = found & words
    if len(known) == 1:
        return next(iter(known))
    ranked = sorted(found, key=lambda form: (-len(NORDIC.findall(form)), form))
    if len(NORDIC.findall(ranked[0])) > len(NORDIC.findall(ranked[1])):
        return ranked[0]
    return None


def dumps(tables: dict[str, dict[str, str]]) -> str:
    document = {"_comment": "Generated by `python -m kokemus.text.diacritics`; do not edit. "
                "Stripped spelling -> word form, for comments typed without ä/ö/å.",
                **tables}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=0) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kokemus.text.diacritics_build",
        description="Build the table that restores ä/ö/å in Finnish and Swedish comments "
                    "typed without them (data/diacritics.json).")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="directory of the labelled CSV files")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true",
                        help="compare with the existing file instead of writing it")
    args = parser.parse_args(argv)
    text = dumps(build(args.data))
    if args.check:
        current = args.output.read_text("utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python -m kokemus.text.diacritics_build",
                  file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, "utf-8")
    print(json.dumps({"written": str(args.output),
                      **{lang: len(t) for lang, t in json.loads(text).items()
                         if lang in LANGUAGES}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
