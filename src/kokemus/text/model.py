"""Statistical theme classifier that complements the lexicon (pure Python + numpy).

One-vs-rest logistic regression per theme over sparse binary features of a comment:

* ``w lemma`` — lemmas (simplemma) of the words;
* ``b lemma lemma`` — consecutive lemma pairs;
* character 3- to 5-grams of every surface word wrapped in ``<`` and ``>`` — these carry
  Finnish inflection and compounds that the lemmatiser does not know
  ("jonotusnumerolla", "pakettiautomaatista" share n-grams with "jono", "paketti");
* ``x theme`` — the themes the lexicon found, so the model learns how far to trust each one.

The weights are trained by ``python -m kokemus.text.train`` from the labelled comments in
``tests/data`` (the development set and the training set) and shipped as
``data/theme_model.json`` (sparse, quantised); nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import numpy as np

MODEL_FILE = "theme_model.json"
#: Prefix of the lexicon-hit features; they have value 1 while the text features share a
#: unit norm, so a lexicon hit weighs the same in a long comment as in a short one.
LEXICON_PREFIX = "x "
CHAR_NGRAMS = (3, 4, 5)
# Words this short carry no theme on their own and only add noise as n-grams.
_MIN_NGRAM_WORD = 3
_WORD_CACHE_SIZE = 200_000


def features(
    tokens: Sequence[str], lemmas: Sequence[str], lexicon_themes: Iterable[str] = ()
) -> set[str]:
    """Sparse binary features of one stretch of text (see the module docstring)."""
    out: set[str] = set()
    prev = ""
    for tok, lem in zip(tokens, lemmas, strict=True):
        out.add("w " + lem)
        if prev:
            out.add(f"b {prev} {lem}")
        prev = lem
        if len(tok) >= _MIN_NGRAM_WORD:
            out.update(_char_ngrams(tok))
    for key in lexicon_themes:
        out.add(LEXICON_PREFIX + key)
    return out


@lru_cache(maxsize=65536)
def _char_ngrams(token: str) -> tuple[str, ...]:
    """Character 3- to 5-grams of ``<token>`` (cached: words recur across a comment's parts
    and across comments)."""
    word = f"<{token}>"
    n = len(word)
    return tuple(word[i : i + k] for k in CHAR_NGRAMS for i in range(n - k + 1))


class LinearModel:
    """A linear model over the sparse features of :func:`features`, loaded from its JSON
    form (``classes``: the output columns; ``weights``: per class, sparse quantised pairs of
    feature index and level, times the class's ``scale``)."""

    def __init__(self, data: dict[str, Any], classes: Sequence[str]) -> None:
        self.themes: tuple[str, ...] = tuple(classes)
        self.vocabulary: dict[str, int] = {f: i for i, f in enumerate(data["features"])}
        self.bias = np.asarray(data["bias"], dtype=np.float64)
        scale = np.asarray(data["scale"], dtype=np.float64)
        weights = np.zeros((len(self.vocabulary), len(self.themes)), dtype=np.float64)
        for j, key in enumerate(self.themes):
            pairs = data["weights"].get(key) or []
            if pairs:
                idx, q = zip(*pairs, strict=True)
                weights[list(idx), j] = np.asarray(q, dtype=np.float64) * scale[j]
        self.weights = weights
        self.index = {key: j for j, key in enumerate(self.themes)}
        #: Per feature index: whether it is a lexicon-hit feature.
        self._lexical = np.array([f.startswith(LEXICON_PREFIX) for f in data["features"]],
                                 dtype=bool)
        #: (word, lemma) -> indices of its unigram and character n-gram features.
        self._word_indices: dict[tuple[str, str], tuple[int, ...]] = {}

    def logits(self, feats: Iterable[str]) -> np.ndarray:
        """Decision values (log-odds) per theme for one feature set."""
        return self.logits_of(self.indices_of(feats))

    def indices(self, tokens: Sequence[str], lemmas: Sequence[str],
                lexicon_themes: Iterable[str] = ()) -> set[int]:
        """The vocabulary indices of ``features(tokens, lemmas, lexicon_themes)``, computed
        without building the feature strings of every word again (a word's own features
        are looked up once and cached)."""
        vocab = self.vocabulary
        cache = self._word_indices
        out: set[int] = set()
        prev = ""
        for tok, lem in zip(tokens, lemmas, strict=True):
            found = cache.get((tok, lem))
            if found is None:
                own = ["w " + lem, *(_char_ngrams(tok) if len(tok) >= _MIN_NGRAM_WORD else ())]
                found = tuple({i for f in own if (i := vocab.get(f)) is not None})
                if len(cache) < _WORD_CACHE_SIZE:
                    cache[(tok, lem)] = found
            out.update(found)
            if prev:
                i = vocab.get(f"b {prev} {lem}")
                if i is not None:
                    out.add(i)
            prev = lem
        for key in lexicon_themes:
            i = vocab.get(LEXICON_PREFIX + key)
            if i is not None:
                out.add(i)
        return out

    def logits_of(self, indices: Iterable[int]) -> np.ndarray:
        """Decision values (log-odds) per theme for a set of feature indices."""
        idx = np.fromiter(indices, dtype=np.intp)
        z = self.bias.copy()
        if idx.size:
            lexical = self._lexical[idx]
            text_idx, lex_idx = idx[~lexical], idx[lexical]
            if text_idx.size:
                # Text features form an L2-normalised binary vector, as in training.
                z += self.weights[text_idx].sum(axis=0) / math.sqrt(text_idx.size)
            if lex_idx.size:
                z += self.weights[lex_idx].sum(axis=0)
        return z

    def indices_of(self, feats: Iterable[str]) -> set[int]:
        """The vocabulary indices of a feature set (features outside it are ignored)."""
        vocab = self.vocabulary
        return {vocab[f] for f in feats if f in vocab}


class ThemeModel(LinearModel):
    """Linear one-vs-rest theme classifier loaded from its JSON form."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data, data["themes"])
        self.add_threshold = float(data["add_threshold"])
        self.veto_threshold = float(data["veto_threshold"])
        self.config: dict[str, Any] = dict(data.get("config") or {})

    def probabilities(self, feats: Iterable[str]) -> dict[str, float]:
        """Probability per theme key for one feature set."""
        return self.probabilities_of(self.indices_of(feats))

    def probabilities_of(self, indices: Iterable[int]) -> dict[str, float]:
        """Probability per theme key for a set of feature indices (see :meth:`indices`)."""
        z = self.logits_of(indices)
        p = 1.0 / (1.0 + np.exp(-z))
        return {key: float(p[j]) for j, key in enumerate(self.themes)}


@cache
def default_model() -> ThemeModel | None:
    """The shipped model, or ``None`` when the package carries none (lexicon only)."""
    ref = resources.files("kokemus.text").joinpath("data", MODEL_FILE)
    try:
        with ref.open("r", encoding="utf-8") as fh:
            return ThemeModel(json.load(fh))
    except FileNotFoundError:
        return None
