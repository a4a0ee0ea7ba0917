"""The comment-analysis pipeline: language, lemmas, themes, sentiment and redaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import sentiment as _sent
from .langid import OTHER, detect_language
from .normalise import SUPPORTED, lemmatize, tokenize
from .redact import redact
from .taxonomy import Taxonomy

# Sentence boundaries and dashes end a clause; decimal points between digits do not.
_SENTENCE_RE = re.compile(r"(?<!\d)[.!?;:]+(?!\d)|\n+|\s[-–—]\s|\.\.\.")
# Commas split a clause into parts so that each part's themes get that part's sentiment.
_PART_RE = re.compile(r",")
# Plain co-ordinating conjunctions also separate parts ("ystävällinen ja nopea").
_CONJUNCTIONS = frozenset({"ja", "sekä", "och", "samt", "and", "plus"})


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


def _split_clauses(text: str, contrast: frozenset[str]) -> list[list[list[str]]]:
    """Split into clauses (sentences cut at contrast words), each a list of token parts."""
    clauses: list[list[list[str]]] = []
    for sentence in _SENTENCE_RE.split(text):
        current: list[list[str]] = []
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
                    current, part = [], []
                    i += 2 if pair in contrast else 1
                    continue
                if tok in _CONJUNCTIONS:
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
    return clauses


def analyse(
    text: str,
    language: str | None = None,
    staff_names: Sequence[str] | Iterable[str] = (),
    taxonomy: Taxonomy | None = None,
) -> Analysis:
    """Analyse one free-text comment.

    ``language`` skips identification when the survey language is already known (``fi``,
    ``sv``, ``en``; anything else is treated as "other": lemmas are lower-cased tokens and no
    themes or sentiment are assigned). ``staff_names`` are redacted wherever they appear.
    ``taxonomy`` defaults to the shipped themes; pass an organisation's customised one.
    """
    tax = taxonomy or Taxonomy.default()
    text = text or ""
    if language is None:
        lang, confidence = detect_language(text)
    else:
        lang, confidence = (language if language in SUPPORTED else OTHER), 1.0
    redacted = redact(text, staff_names)
    all_lemmas = tuple(lemmatize(t, lang) for t in tokenize(text) if t[:1].isalpha())

    lex = _sent.lexicon(lang) if lang in SUPPORTED else None
    if lex is None:
        return Analysis(text, lang, confidence, _sent.NEUTRAL, 0.0, (), redacted, all_lemmas, ())

    clauses: list[Clause] = []
    clause_scores: list[float] = []
    theme_scores: dict[str, list[float]] = {}
    for parts in _split_clauses(text, lex.contrast):
        part_lemmas = [[lemmatize(t, lang) for t in tokens] for tokens in parts]
        part_themes = tax.match_clause(list(zip(parts, part_lemmas, strict=True)), lang)
        part_results: list[tuple[list[str], float]] = []
        raw_total = 0.0
        for tokens, lemmas, themes in zip(parts, part_lemmas, part_themes, strict=True):
            raw = _sent.score_tokens(tokens, lemmas, themes, lex)
            raw_total += raw
            part_results.append((themes, raw))
        clause_score = _sent.squash(raw_total)
        clause_scores.append(clause_score)
        clause_themes: dict[str, None] = {}
        for themes, raw in part_results:
            # A theme inherits the clause's sentiment when its own part carries none
            # ("hinta ja palvelu olivat hyviä").
            own = _sent.squash(raw) if raw else clause_score
            for key in themes:
                clause_themes[key] = None
                theme_scores.setdefault(key, []).append(own)
        clauses.append(Clause(" ".join(" ".join(p) for p in parts), clause_score,
                              _sent.label_for(clause_score), tuple(clause_themes)))

    emo = _sent.emoticon_score(text)
    if emo:
        clause_scores.append(_sent.squash(emo))
    score = _sent.combine(clause_scores)
    # A single-theme comment's theme sentiment should agree with the comment as a whole.
    theme_list: list[ThemeSentiment] = []
    for key, scores in theme_scores.items():
        nonzero = [s for s in scores if s] or [0.0]
        tscore = sum(nonzero) / len(nonzero)
        if not tscore and len(theme_scores) == 1:
            tscore = score
        theme_list.append(ThemeSentiment(key, _sent.label_for(tscore), round(tscore, 3)))
    return Analysis(
        text=text,
        language=lang,
        language_confidence=round(float(confidence), 3),
        sentiment=_sent.label_for(score),
        score=round(score, 3),
        themes=tuple(theme_list),
        redacted=redacted,
        lemmas=all_lemmas,
        clauses=tuple(clauses),
    )


def analyse_many(
    texts: Iterable[str],
    language: str | None = None,
    staff_names: Sequence[str] | Iterable[str] = (),
    taxonomy: Taxonomy | None = None,
) -> list[Analysis]:
    """Analyse a batch of comments with the same options (see :func:`analyse`)."""
    names = tuple(staff_names)
    return [analyse(t, language=language, staff_names=names, taxonomy=taxonomy) for t in texts]
