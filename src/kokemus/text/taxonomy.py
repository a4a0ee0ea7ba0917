"""Theme taxonomy: default themes shipped as data, plus organisation overrides.

An organisation can add, rename, merge and remove themes without code changes::

    tax = Taxonomy.default().with_overrides(
        {"parking": {"label": {"fi": "Pysäköinti"}, "terms": {"fi": ["parkki*"]}}}
    )
    tax = tax.merge("greeting", "friendliness", into="welcome")
    tax = tax.rename("waiting", "queue")

Term syntax (per language): ``word`` matches a lemma or surface form exactly, and for Finnish
and Swedish also as the head of a compound when it has at least five letters
("apteekkifarmaseutti" ends with "farmaseutti"); ``stem*`` matches any word starting with the
stem; ``*word`` matches compound heads of any length; ``two words`` matches consecutive lemmas.
A theme's ``exclude`` words (lemma or surface form) never trigger it, nor do the words of an
excluded phrase of several words ("waiting room" is not about waiting).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ._data import load_json
from .normalise import dictionary_lemma, lemmatize

# Shortest theme word that may be recognised as the last part of a compound; shorter words
# ("kö", "hinta" excluded) would produce too many accidental matches unless marked "*word".
_MIN_COMPOUND_HEAD = 5
_MIN_COMPOUND_MODIFIER = 2
_COMPOUNDING = frozenset({"fi", "sv"})
# Definite and plural endings of Swedish nouns, longest first (see ``_Index._swedish_base``).
_SWEDISH_ENDINGS = ("arna", "erna", "orna", "na", "en", "et", "n", "t")
_VOWELS = frozenset("aeiouyåäö")


@dataclass(frozen=True)
class Theme:
    """One theme: a stable key, per-language labels and per-language terms."""

    key: str
    label: Mapping[str, str]
    terms: Mapping[str, tuple[str, ...]]
    weak_terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    yield_to: tuple[str, ...] = ()
    description: str = ""
    #: Keys of the statistical model's themes that feed this theme (see ``kokemus.text.model``);
    #: ``None`` means the theme's own key. Renaming keeps the old key here, merging unites
    #: both, and an organisation that replaces a theme's terms gets ``()`` (lexicon only).
    model_keys: tuple[str, ...] | None = None

    @property
    def model_sources(self) -> tuple[str, ...]:
        """Model theme keys whose predictions count for this theme."""
        return (self.key,) if self.model_keys is None else self.model_keys

    def label_for(self, language: str) -> str:
        """Label in ``language``, falling back to English, Finnish, then the key."""
        return self.label.get(language) or self.label.get("en") or self.label.get("fi") or self.key

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, the same shape accepted by :meth:`Taxonomy.from_dict`."""
        out: dict[str, Any] = {
            "label": dict(self.label),
            "terms": {k: list(v) for k, v in self.terms.items()},
        }
        if self.weak_terms:
            out["weak_terms"] = {k: list(v) for k, v in self.weak_terms.items()}
        if self.exclude:
            out["exclude"] = {k: list(v) for k, v in self.exclude.items()}
        if self.yield_to:
            out["yield_to"] = list(self.yield_to)
        if self.description:
            out["description"] = self.description
        if self.model_keys is not None:
            out["model_keys"] = list(self.model_keys)
        return out


def _theme_from_dict(key: str, spec: Mapping[str, Any]) -> Theme:
    def per_lang(name: str) -> dict[str, tuple[str, ...]]:
        raw = spec.get(name) or {}
        return {lang: tuple(str(t).lower() for t in words) for lang, words in raw.items()}

    return Theme(
        key=key,
        label=dict(spec.get("label") or {}),
        terms=per_lang("terms"),
        weak_terms=per_lang("weak_terms"),
        exclude=per_lang("exclude"),
        yield_to=tuple(spec.get("yield_to") or ()),
        description=str(spec.get("description") or ""),
        model_keys=(tuple(str(k) for k in spec["model_keys"])
                    if spec.get("model_keys") is not None else None),
    )


class _Index:
    """Look-up structures for one language, built once per taxonomy."""

    def __init__(self, themes: Iterable[Theme], language: str) -> None:
        self.language = language
        self.exact: dict[str, set[tuple[str, bool]]] = {}
        self.prefix: dict[str, set[tuple[str, bool]]] = {}
        self.suffix: dict[str, set[tuple[str, bool]]] = {}
        self.bigram: dict[str, set[tuple[str, bool]]] = {}
        # Terms of three or more words, keyed by their first two words; the rest must follow.
        self.longer: dict[str, list[tuple[tuple[str, ...], tuple[str, bool]]]] = {}
        self.exclude: dict[str, set[str]] = {}
        # Multi-word exclusions ("waiting room"), keyed by their first word: the rest of the
        # words and the themes that none of the phrase's words may trigger.
        self.exclude_phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for theme in themes:
            for weak, terms in ((False, theme.terms), (True, theme.weak_terms)):
                for term in terms.get(language, ()):
                    self._add(term, (theme.key, weak))
            for word in theme.exclude.get(language, ()):
                words = word.split()
                if len(words) > 1:
                    self.exclude_phrases.setdefault(words[0], []).append(
                        (tuple(words[1:]), theme.key))
                else:
                    self.exclude.setdefault(word, set()).add(theme.key)
        self.prefix_lengths = sorted({len(p) for p in self.prefix})
        self.suffix_lengths = sorted({len(s) for s in self.suffix})
        self._cache: dict[str, frozenset[tuple[str, bool]]] = {}

    def _add(self, term: str, value: tuple[str, bool]) -> None:
        term = term.strip()
        if " " in term:
            words = term.split()
            # Multi-word terms are matched on lemmas or surface forms, so store both.
            lemma_words = [lemmatize(w, self.language) for w in words]
            for seq in (lemma_words, words):
                head = " ".join(seq[:2])
                if len(seq) == 2:
                    self.bigram.setdefault(head, set()).add(value)
                else:
                    entry = (tuple(seq[2:]), value)
                    if entry not in self.longer.setdefault(head, []):
                        self.longer[head].append(entry)
        elif term.endswith("*"):
            self.prefix.setdefault(term[:-1], set()).add(value)
        elif term.startswith("*"):
            self.suffix.setdefault(term[1:], set()).add(value)
        else:
            # Not lemmatised: terms are written as lemmas or surface forms already, and
            # lemmatising them can go wrong ("palveluasenne" -> "palvelu").
            self.exact.setdefault(term, set()).add(value)

    def word(self, word: str) -> frozenset[tuple[str, bool]]:
        """Themes hit by a single word (lemma or surface form); memoised per index."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        n = len(word)
        found = self._direct(word)
        if not found and self.language == "sv":
            found = self._swedish_base(word)
        excluded = self.exclude.get(word)
        if excluded:
            found = {v for v in found if v[0] not in excluded}
        if found and self.language in _COMPOUNDING and self.exclude:
            # An excluded word is excluded as the head of a compound too: "eftermiddag" is not
            # a meal, nor is "lördagseftermiddagen" or "sångeftermiddag".
            for start in range(_MIN_COMPOUND_MODIFIER, n - _MIN_COMPOUND_HEAD + 1):
                tail = self.exclude.get(word[start:])
                if tail:
                    found = {v for v in found if v[0] not in tail}
        result = frozenset(found)
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def longer_hits(
        self, lem_pair: str, tok_pair: str, tokens: Sequence[str], lemmas: Sequence[str]
    ) -> set[tuple[str, bool]]:
        """Themes of 3+-word terms starting here ("took the time", "at the door")."""
        found: set[tuple[str, bool]] = set()
        for head in (lem_pair, tok_pair) if lem_pair != tok_pair else (lem_pair,):
            for rest, value in self.longer.get(head, ()):
                if len(rest) <= len(tokens) and all(
                    w in (tokens[j], lemmas[j]) for j, w in enumerate(rest)
                ):
                    found.add(value)
        return found

    def phrase_exclusions(
        self, tokens: Sequence[str], lemmas: Sequence[str]
    ) -> list[set[str]] | None:
        """Themes excluded at each position by a multi-word exclusion, or ``None`` if none."""
        if not self.exclude_phrases:
            return None
        out: list[set[str]] | None = None
        n = len(tokens)
        for i in range(n):
            for first in (tokens[i], lemmas[i]) if tokens[i] != lemmas[i] else (tokens[i],):
                for rest, key in self.exclude_phrases.get(first, ()):
                    end = i + 1 + len(rest)
                    if end <= n and all(w in (tokens[j], lemmas[j])
                                        for j, w in zip(range(i + 1, end), rest, strict=True)):
                        if out is None:
                            out = [set() for _ in range(n)]
                        for j in range(i, end):
                            out[j].add(key)
        return out

    def _direct(self, word: str) -> set[tuple[str, bool]]:
        """Themes of ``word`` as it is: exact, prefix and suffix terms, else compound heads."""
        found: set[tuple[str, bool]] = set(self.exact.get(word, ()))
        n = len(word)
        for length in self.prefix_lengths:
            if length > n:
                break
            found |= self.prefix.get(word[:length], set())
        for length in self.suffix_lengths:
            if length >= n:
                break
            found |= self.suffix.get(word[n - length :], set())
        if not found and self.language in _COMPOUNDING and n >= _MIN_COMPOUND_HEAD + 2:
            found |= self._compound_head(word)
        return found

    def _swedish_base(self, word: str) -> set[tuple[str, bool]]:
        # The lemmatiser leaves compounds it does not know in their definite or plural form
        # ("webbutiken", "nätapoteket", "hörslingan", "sommarfesten", "kundtjänstchatten"):
        # the base form without the ending is looked up instead ("-t" only after a vowel:
        # "kaffet").
        for ending in _SWEDISH_ENDINGS:
            base = word[: -len(ending)]
            if not word.endswith(ending) or len(base) < 4 or (
                    ending == "t" and base[-1] not in _VOWELS):
                continue
            found = self._direct(base)
            excluded = self.exclude.get(base)
            if excluded:
                found = {v for v in found if v[0] not in excluded}
            if found:
                return found
        return set()

    def _compound_head(self, word: str) -> set[tuple[str, bool]]:
        # Try the longest possible head first: "apteekkifarmaseutin" -> "farmaseutin" ->
        # lemma "farmaseutti". Lemmatising the head handles inflected compounds that the
        # dictionary does not know as a whole; by the dictionary alone, since this loop
        # already tries every tail (see normalise.dictionary_lemma).
        n = len(word)
        for start in range(_MIN_COMPOUND_MODIFIER, n - _MIN_COMPOUND_HEAD + 1):
            head = word[start:]
            hit = self.exact.get(head)
            if hit is None:
                head_lemma = dictionary_lemma(head, self.language)
                if len(head_lemma) >= _MIN_COMPOUND_HEAD:
                    hit = self.exact.get(head_lemma)
            if hit:
                return set(hit)
        # Then stems ("hinta*" in "ylihintaisia", "siivo*" in "kotisiivous"); only stems of
        # compound-head length, so short stems do not fire inside unrelated words.
        for start in range(_MIN_COMPOUND_MODIFIER, n - _MIN_COMPOUND_HEAD + 1):
            head = word[start:]
            found: set[tuple[str, bool]] = set()
            for length in self.prefix_lengths:
                if length < _MIN_COMPOUND_HEAD:
                    continue
                if length > len(head):
                    break
                found |= self.prefix.get(head[:length], set())
            if found:
                return found
        return set()


class Taxonomy:
    """An immutable, ordered collection of :class:`Theme` objects with fast term matching."""

    def __init__(self, themes: Iterable[Theme]) -> None:
        self._themes: dict[str, Theme] = {}
        for theme in themes:
            self._themes[theme.key] = theme
        self._indexes: dict[str, _Index] = {}

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> Taxonomy:
        """Build from ``{key: {"label": {...}, "terms": {"fi": [...], ...}}}``.

        Keys starting with an underscore are treated as comments and ignored.
        """
        return cls(_theme_from_dict(k, v) for k, v in data.items() if not k.startswith("_"))

    @classmethod
    def default(cls) -> Taxonomy:
        """The taxonomy shipped in ``data/themes.json`` (shared, cached instance)."""
        return _default_taxonomy()

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain-dict form of every theme (round-trips through :meth:`from_dict`)."""
        return {k: t.to_dict() for k, t in self._themes.items()}

    # -- editing (each returns a new taxonomy) -----------------------------------------
    def with_overrides(
        self, overrides: Mapping[str, Mapping[str, Any] | None], replace_terms: bool = False
    ) -> Taxonomy:
        """Apply organisation overrides and return a new taxonomy.

        For an existing key, labels are updated and terms added (or replaced when
        ``replace_terms``); a new key adds a theme; ``None`` as the value removes the theme.
        """
        data = copy.deepcopy(self.to_dict())
        for key, spec in overrides.items():
            if spec is None:
                data.pop(key, None)
                continue
            target = data.setdefault(key, {"label": {}, "terms": {}})
            target.setdefault("label", {}).update(spec.get("label") or {})
            if replace_terms and spec.get("terms"):
                # The organisation defines this theme by its own words only.
                target["model_keys"] = []
            for part in ("terms", "weak_terms", "exclude"):
                for lang, words in (spec.get(part) or {}).items():
                    current = [] if replace_terms else target.setdefault(part, {}).get(lang, [])
                    merged = list(dict.fromkeys([*current, *(w.lower() for w in words)]))
                    target.setdefault(part, {})[lang] = merged
            for scalar in ("yield_to", "description", "model_keys"):
                if scalar in spec:
                    target[scalar] = spec[scalar]
        return Taxonomy.from_dict(data)

    def rename(
        self, old: str, new: str, label: Mapping[str, str] | None = None
    ) -> Taxonomy:
        """Return a copy where theme ``old`` is called ``new`` (optionally with new labels)."""
        if old not in self._themes:
            raise KeyError(old)
        if new in self._themes and new != old:
            raise ValueError(f"theme {new!r} already exists; use merge()")
        themes = []
        for theme in self._themes.values():
            yields = tuple(new if y == old else y for y in theme.yield_to)
            if theme.key == old:
                labels = {**theme.label, **(label or {})}
                theme = Theme(new, labels, theme.terms, theme.weak_terms, theme.exclude,
                              yields, theme.description, theme.model_sources)
            elif yields != theme.yield_to:
                theme = Theme(theme.key, theme.label, theme.terms, theme.weak_terms,
                              theme.exclude, yields, theme.description, theme.model_keys)
            themes.append(theme)
        return Taxonomy(themes)

    def merge(
        self,
        a: str,
        b: str,
        into: str | None = None,
        label: Mapping[str, str] | None = None,
    ) -> Taxonomy:
        """Return a copy where themes ``a`` and ``b`` become one theme ``into`` (default ``a``)."""
        ta, tb = self._themes[a], self._themes[b]
        key = into or a

        def union(x: Mapping[str, tuple[str, ...]], y: Mapping[str, tuple[str, ...]]
                  ) -> dict[str, tuple[str, ...]]:
            return {lang: tuple(dict.fromkeys([*x.get(lang, ()), *y.get(lang, ())]))
                    for lang in {*x, *y}}

        merged = Theme(
            key=key,
            label={**tb.label, **ta.label, **(label or {})},
            terms=union(ta.terms, tb.terms),
            weak_terms=union(ta.weak_terms, tb.weak_terms),
            exclude={},  # an exclusion for one half must not suppress the other half's terms
            yield_to=tuple(y for y in dict.fromkeys([*ta.yield_to, *tb.yield_to])
                           if y not in (a, b, key)),
            description=" / ".join(d for d in (ta.description, tb.description) if d),
            model_keys=tuple(dict.fromkeys([*ta.model_sources, *tb.model_sources])),
        )
        themes: list[Theme] = []
        for theme in self._themes.values():
            if theme.key == a:
                themes.append(merged)
            elif theme.key in (b, key):
                continue
            else:
                yields = tuple(dict.fromkeys(key if y in (a, b) else y for y in theme.yield_to))
                themes.append(Theme(theme.key, theme.label, theme.terms, theme.weak_terms,
                                    theme.exclude, yields, theme.description, theme.model_keys))
        return Taxonomy(themes)

    def remove(self, key: str) -> Taxonomy:
        """Return a copy without theme ``key``."""
        return Taxonomy(t for k, t in self._themes.items() if k != key)

    # -- access --------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Theme:
        return self._themes[key]

    def __contains__(self, key: object) -> bool:
        return key in self._themes

    def __iter__(self) -> Iterator[Theme]:
        return iter(self._themes.values())

    def __len__(self) -> int:
        return len(self._themes)

    def keys(self) -> list[str]:
        """Theme keys in taxonomy order."""
        return list(self._themes)

    def label(self, key: str, language: str) -> str:
        """Label of theme ``key`` in ``language``."""
        return self._themes[key].label_for(language)

    # -- matching ------------------------------------------------------------------------
    def _index(self, language: str) -> _Index:
        index = self._indexes.get(language)
        if index is None:
            index = _Index(self._themes.values(), language)
            self._indexes[language] = index
        return index

    def match(
        self, tokens: Sequence[str], lemmas: Sequence[str], language: str
    ) -> list[str]:
        """Themes mentioned in one clause, given its surface tokens and their lemmas.

        Weak terms (staff roles such as "farmaseutti", "hoitaja") count only when no other
        theme is mentioned in the clause, so "farmaseutti oli ystävällinen" is about
        friendliness while "kiitos farmaseutille" still says something about expertise.
        """
        return self.match_clause([(tokens, lemmas)], language)[0]

    def match_clause(
        self, parts: Sequence[tuple[Sequence[str], Sequence[str]]], language: str
    ) -> list[list[str]]:
        """Themes per part of one clause; weak-term and ``yield_to`` rules use the whole clause.

        Parts are the comma/conjunction-separated pieces whose own sentiment a theme gets,
        but "tilaaminen oli helppoa ja nopeaa" is still one statement about online ordering.
        """
        index = self._index(language)
        raw: list[list[tuple[str, bool]]] = []
        for tokens, lemmas in parts:
            found: dict[tuple[str, bool], None] = {}
            phrase_excluded = index.phrase_exclusions(tokens, lemmas)
            for i, (tok, lem) in enumerate(zip(tokens, lemmas, strict=True)):
                hits = index.word(lem)
                if tok != lem:
                    hits = hits | index.word(tok)
                if i + 1 < len(lemmas) and index.bigram:
                    lem_pair = f"{lem} {lemmas[i + 1]}"
                    tok_pair = f"{tok} {tokens[i + 1]}"
                    hits = hits | index.bigram.get(lem_pair, frozenset())
                    hits = hits | index.bigram.get(tok_pair, frozenset())
                    if index.longer:
                        hits = hits | index.longer_hits(
                            lem_pair, tok_pair, tokens[i + 2 :], lemmas[i + 2 :]
                        )
                excluded = index.exclude.get(lem) or index.exclude.get(tok)
                if phrase_excluded is not None and phrase_excluded[i]:
                    excluded = phrase_excluded[i] | (excluded or set())
                for hit in hits:
                    if not (excluded and hit[0] in excluded):
                        found[hit] = None
            raw.append(list(found))
        strong = {k for part in raw for k, weak in part if not weak}
        present = strong or {k for part in raw for k, _ in part}
        keep = {k for k in present
                if not any(y in present and y != k for y in self._themes[k].yield_to)}
        out: list[list[str]] = []
        for part in raw:
            keys = dict.fromkeys(k for k, weak in part if k in keep and (not weak or not strong
                                                                          or k in strong))
            out.append(list(keys))
        return out


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    return Taxonomy.from_dict(load_json("themes.json"))
