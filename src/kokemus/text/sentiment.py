"""Lexicon-based sentiment for service comments, scored per clause.

The lexicon (``data/sentiment.json``) is lemma-based and domain-specific: besides general
opinion words it knows that a queue or having to wait is a complaint, that "long" is negative
next to a queue, and that "too X" is criticism. Negation flips the polarity of the following
words inside the clause; contrast words (mutta/men/but) start a new clause so that a mixed
comment keeps both halves ("friendly, but the queue was long").

This is the fast path and the fallback. With the optional embeddings (:mod:`kokemus.text.embed`)
a comment the lexicon is unsure of (a score near zero), or one embedded anyway for its themes,
gets its sentiment from a classifier over its sentence embedding and this lexicon's evidence
(:class:`kokemus.text.analyser.LexicalSentiment`); mixed comments keep the rules below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ._data import load_json

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"

#: |score| at or above this is positive/negative; below it neutral (neutral-or-mixed).
THRESHOLD = 0.2

# How many tokens after a negator are in its scope: "ei ollut kovin ystävällinen" needs 3.
_NEGATION_WINDOW = 4
# Negated praise is clearly negative; negated complaints ("ei jonoa", "no problems") are
# praise in service comments, only slightly weaker.
_NEGATED_POSITIVE = -0.9
_NEGATED_NEGATIVE = -0.8
# ... and about a queue at least this much: "ei jonoa", "ingen kö", "jonoa ei ollut" (the
# queue words are weak complaints, -0.3 to -0.5) are praise.
_NO_QUEUE = 0.5
# Squashing scale: a single ordinary opinion word (score 1.0) gives a clause score of ~0.6.
_SQUASH = 1.5
_TOO_DEFAULT = 0.8
_NEGATED_EVENT = -0.6
# "Could have been better", "olisi voinut olla parempi": a third of the comparative's weight.
_COUNTERFACTUAL = 1 / 3
# When praise and complaint are both clearly present the comment is mixed (labelled neutral).
_MIXED_MIN = 0.25
_MIXED_DAMPING = 0.5
# In a mixed comment the complaints dominate (negative) when their mass is at least this many
# times the praise's; the praise dominates (positive) a problem told first at this ratio.
_NEG_DOMINANCE = 3.0
_POS_DOMINANCE = 2.0
# A mixed comment's score stays inside the neutral band.
_NEUTRAL_CAP = 0.9 * THRESHOLD

_EMOTICON_POS = re.compile(r"(?::-?\)|:-?D\b|;-?\)|<3|[😊😀😃😄🙂👍❤️💚💙😍🥰🙏👌😁])")
_EMOTICON_NEG = re.compile(r"(?::-?\(|:'\(|[😞😠😡👎😢😩🙁☹🙄])")


@dataclass(frozen=True)
class Lexicon:
    """Compiled sentiment resources for one language."""

    words: dict[str, float]
    prefixes: dict[str, float]
    prefix_lengths: tuple[int, ...]
    negators: frozenset[str]
    intensifiers: dict[str, float]
    too: frozenset[str]
    contrast: frozenset[str]
    contextual: dict[str, tuple[frozenset[str], float]]
    too_needs_opinion: bool = False
    #: Multi-word entries ("hassle free", "tosi hyvä"), keyed by first word: (rest, score).
    phrases: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = field(default_factory=dict)
    #: Contrast words that announce a reservation after praise (mutta/men/but), unlike the
    #: concessive ones (vaikka/fast/although) that usually introduce a mere circumstance.
    reservation: frozenset[str] = frozenset()
    #: Finnish colloquial forms of -ea/-eä adjectives ("surkeeta", "selkeetä", "hirvee")
    #: are read as the standard word when only that is in the lexicon.
    colloquial_ee: bool = False
    #: Verbs after which a negator negates what came before it ("jonoa ei ollut", "jonottaa
    #: ei tarvinnut": the complaint word stands before "ei").
    absence_verbs: frozenset[str] = frozenset()
    #: Participles of "get" after which a negator negates the praise before it: "apua ei
    #: saatu", "tukea emme saaneet" (the help did not happen). Only these: with "olla" a
    #: praise word before the negator is often a superlative ("parempaa ei ole").
    not_received_verbs: frozenset[str] = frozenset()
    #: Swedish places the negator after the finite verb ("Läkaren lyssnade inte", "appen
    #: fungerar inte", "de hjälpte mig inte"): a scored word with one of these endings (and
    #: not its own lemma, i.e. inflected) right before the negator, or before an object
    #: pronoun of ``object_pronouns`` and the negator, is negated.
    postposed_endings: tuple[str, ...] = ()
    object_pronouns: frozenset[str] = frozenset()
    #: Negated counterfactual comparisons are superlatives, not negations: "couldn't be
    #: easier", "helpompaa ei voisi olla", "det kunde inte ha varit bättre" (praise), "it
    #: couldn't be worse" (complaint). A part with a negator, one of ``modals`` and one of
    #: ``comparatives`` (word: score) takes the comparative's score and no negation.
    modals: frozenset[str] = frozenset()
    comparatives: dict[str, float] = field(default_factory=dict)
    #: Finnish "jäädä" + the abessive infinitive: something left undone ("lääkkeet jäivät
    #: antamatta", "puhelu jäi vastaamatta") is a complaint of ``undone_score``.
    undone_verbs: frozenset[str] = frozenset()
    undone_suffixes: tuple[str, ...] = ()
    undone_score: float = 0.0
    #: (word, conjunction, word) inside the multi-word entries ("above and beyond"), where
    #: the clause splitter must not cut.
    bound_conjunctions: frozenset[tuple[str, str, str]] = frozenset()
    #: Subordinating conjunctions that end a negator's scope: "omaisille ei ilmoitettu, kun
    #: äiti kaatui" (the fall is not negated), "they didn't call when he fell".
    scope_breakers: frozenset[str] = frozenset()

    def phrase_at(
        self, tokens: Sequence[str], lemmas: Sequence[str], i: int
    ) -> tuple[int, float]:
        """Length and score of the longest multi-word entry starting at ``i`` (0 if none)."""
        best = (0, 0.0)
        for first in (tokens[i], lemmas[i]):
            for rest, score in self.phrases.get(first, ()):
                end = i + 1 + len(rest)
                if end <= len(tokens) and len(rest) + 1 > best[0] and all(
                    w in (tokens[i + 1 + j], lemmas[i + 1 + j]) for j, w in enumerate(rest)
                ):
                    best = (len(rest) + 1, score)
        return best

    def word_score(self, token: str, lemma: str) -> float:
        """Prior polarity of a word (surface form first, then lemma, then known stems)."""
        return _word_score(self, token, lemma)


#: Conjunctions the clause splitter cuts at (kokemus.text.analyser).
CONJUNCTIONS = frozenset({"ja", "sekä", "och", "samt", "and", "plus"})


@lru_cache(maxsize=8)
def lexicon(language: str) -> Lexicon | None:
    """The compiled lexicon for ``language`` or ``None`` if there is none."""
    data = load_json("sentiment.json").get(language)
    if data is None:
        return None
    words: dict[str, float] = {}
    prefixes: dict[str, float] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for key, value in data["words"].items():
        if " " in key:
            first, *rest = key.split()
            phrases.setdefault(first, []).append((tuple(rest), float(value)))
        elif key.endswith("*"):
            prefixes[key[:-1]] = float(value)
        else:
            words[key] = float(value)
    return Lexicon(
        words=words,
        prefixes=prefixes,
        prefix_lengths=tuple(sorted({len(p) for p in prefixes}, reverse=True)),
        negators=frozenset(data["negators"]),
        intensifiers={k: float(v) for k, v in data["intensifiers"].items()},
        too=frozenset(data["too"]),
        contrast=frozenset(data["contrast"]),
        contextual={k: (frozenset(v["themes"]), float(v["score"]))
                    for k, v in data["contextual"].items()},
        too_needs_opinion=bool(data.get("too_needs_opinion", False)),
        phrases={k: tuple(v) for k, v in phrases.items()},
        reservation=frozenset(data.get("reservation", ())),
        colloquial_ee=bool(data.get("colloquial_ee", False)),
        absence_verbs=frozenset(data.get("absence_verbs", ())),
        not_received_verbs=frozenset(data.get("not_received_verbs", ())),
        scope_breakers=frozenset(data.get("scope_breakers", ())),
        postposed_endings=tuple(data.get("postposed_negation", {}).get("endings", ())),
        object_pronouns=frozenset(data.get("postposed_negation", {}).get("pronouns", ())),
        modals=frozenset(data.get("counterfactual", {}).get("modals", ())),
        comparatives={k: float(v) for k, v in
                      data.get("counterfactual", {}).get("comparatives", {}).items()},
        undone_verbs=frozenset(data.get("left_undone", {}).get("verbs", ())),
        undone_suffixes=tuple(data.get("left_undone", {}).get("suffixes", ())),
        undone_score=float(data.get("left_undone", {}).get("score", 0.0)),
        bound_conjunctions=frozenset(
            (seq[k - 1], seq[k], seq[k + 1])
            for first, entries in phrases.items() for rest, _score in entries
            for seq in [(first, *rest)] for k in range(1, len(seq) - 1)
            if seq[k] in CONJUNCTIONS),
    )


_WORD_CACHE: dict[tuple[int, str, str], float] = {}


def _word_score(lex: Lexicon, token: str, lemma: str) -> float:
    key = (id(lex), token, lemma)
    cached = _WORD_CACHE.get(key)
    if cached is not None:
        return cached
    score = lex.words.get(token)
    if score is None:
        score = lex.words.get(lemma)
    if score is None:
        score = 0.0
        for cand in (token, lemma):
            n = len(cand)
            for length in lex.prefix_lengths:
                if length <= n and cand[:length] in lex.prefixes:
                    score = lex.prefixes[cand[:length]]
                    break
            if score:
                break
        if not score and token.startswith("epä") and len(token) > 6:
            # Finnish privative prefix: "epä" + praise word is criticism (epäselvä, epäsiisti).
            inner = _word_score(lex, token[3:], lemma[3:] if lemma.startswith("epä") else lemma)
            if inner > 0:
                score = -inner
    if len(_WORD_CACHE) < 500_000:
        _WORD_CACHE[key] = score
    return score


def squash(raw: float) -> float:
    """Map an unbounded clause total to −1…1."""
    return math.tanh(raw / _SQUASH)


def label_for(score: float, threshold: float = THRESHOLD) -> str:
    """Three-class label for a score: positive, neutral (neutral or mixed) or negative."""
    if score >= threshold:
        return POSITIVE
    if score <= -threshold:
        return NEGATIVE
    return NEUTRAL


def _is_negator(lex: Lexicon, token: str) -> bool:
    return token in lex.negators or token.endswith("n't")


_COLLOQUIAL_EE = re.compile(r"(\w{2,}?)ee(?:t|ta|tä|n|lla|llä|sti|ks)?")


def _standard(lex: Lexicon, token: str) -> str | None:
    """The standard word of a colloquial Finnish -ee form, when the lexicon knows only it
    ("surkeeta" -> "surkea", "selkeetä" -> "selkeä", "korkee" -> "korkea")."""
    m = _COLLOQUIAL_EE.fullmatch(token) if "ee" in token else None
    if m is None:
        return None
    for cand in (m.group(1) + "ea", m.group(1) + "eä"):
        if cand in lex.words or cand in lex.contextual:
            return cand
    return None


def _negated(score: float, waiting: bool) -> float:
    """A word's score inside a negator's scope (``waiting``: the part is about a queue)."""
    if score > 0:
        return score * _NEGATED_POSITIVE
    return max(score * _NEGATED_NEGATIVE, _NO_QUEUE) if waiting else score * _NEGATED_NEGATIVE


def _comparative(lex: Lexicon, tokens: Sequence[str], lemmas: Sequence[str]) -> int:
    """1 if a part is a negated counterfactual comparison ("couldn't be better"), -1 if it
    is a counterfactual one ("could have been better", "olisi voinut olla parempi"), else 0.
    """
    if not lex.comparatives:
        return 0
    modals = [i for i, t in enumerate(tokens) if t in lex.modals]
    compared = [i for i, (t, m) in enumerate(zip(tokens, lemmas, strict=True))
                if t in lex.comparatives or m in lex.comparatives]
    if not modals or not compared:
        return 0
    negators = [i for i, t in enumerate(tokens) if _is_negator(lex, t)]
    # The negator next to the modal (couldn't; could not; ei voisi; kunde inte), the
    # comparative within a few words of it, on either side (helpompaa ei voisi olla).
    if any(abs(i - j) <= 2 and any(abs(k - i) <= 5 for k in compared)
           for i in negators for j in modals):
        return 1
    if not negators and any(abs(k - j) <= 3 for k in compared for j in modals):
        return -1
    return 0


def _postposed(lex: Lexicon, tokens: Sequence[str], lemmas: Sequence[str], i: int) -> int:
    """Index of the inflected verb that the negator at ``i`` follows (-1 if none)."""
    if not lex.postposed_endings:
        return -1
    j = i - 2 if i >= 2 and tokens[i - 1] in lex.object_pronouns else i - 1
    if j < 0 or tokens[j] == lemmas[j] or not tokens[j].endswith(lex.postposed_endings):
        return -1
    return j


def score_tokens(
    tokens: Sequence[str], lemmas: Sequence[str], themes: Sequence[str], lex: Lexicon
) -> float:
    """Raw (unsquashed) polarity of one clause part.

    ``themes`` are the themes mentioned in the same part; they activate contextual words
    ("pitkä" is only negative when a queue or delivery is being talked about).
    """
    total = 0.0
    negated = False
    multiplier = 1.0
    negation_left = 0
    too_pending = False
    theme_set = set(themes)
    waiting = "waiting" in theme_set
    n = len(tokens)
    skip = 0
    #: (index, contribution) of the last complaint word not in a negator's scope.
    last_negative: tuple[int, float] | None = None
    #: (index, contribution) of the last scored word not in a negator's scope.
    last_scored: tuple[int, float] | None = None
    comparative = _comparative(lex, tokens, lemmas)
    for i in range(n):
        if skip:
            skip -= 1
            continue
        tok, lem = tokens[i], lemmas[i]
        if negation_left and tok in lex.scope_breakers:
            negation_left = 0
        length, score = lex.phrase_at(tokens, lemmas, i) if lex.phrases else (0, 0.0)
        if length:
            skip = length - 1
        elif (tok in lex.undone_verbs and i + 1 < n
              and tokens[i + 1].endswith(lex.undone_suffixes)):
            length, score, skip = 2, lex.undone_score, 1
        elif comparative > 0 and _is_negator(lex, tok):
            continue
        elif comparative and (tok in lex.comparatives or lem in lex.comparatives):
            value = lex.comparatives.get(tok, lex.comparatives.get(lem, 0.0))
            # Unnegated, a better state that did not happen is a mild complaint ("could
            # have been better"); a worse one is neither ("could have been worse").
            total += value if comparative > 0 else -max(value, 0.0) * _COUNTERFACTUAL
            continue
        elif _is_negator(lex, tok):
            if (last_scored is not None and not negation_left
                    and last_scored[0] == _postposed(lex, tokens, lemmas, i)):
                # "Läkaren lyssnade inte": the verb before the negator is negated.
                total += _negated(last_scored[1], waiting) - last_scored[1]
                if last_negative is not None and last_negative[0] == last_scored[0]:
                    last_negative = None
                last_scored = None
            if (last_negative is not None and i - last_negative[0] <= 2 and i + 1 < n
                    and tokens[i + 1] in lex.absence_verbs):
                # "jonoa ei ollut", "jonottaa ei tarvinnut": the complaint before the
                # negator did not happen.
                total += _negated(last_negative[1], waiting) - last_negative[1]
                last_negative = None
                skip = 1
                continue
            if (last_scored is not None and last_scored[1] > 0 and not negation_left
                    and i - last_scored[0] <= 2 and i + 1 < n
                    and tokens[i + 1] in lex.not_received_verbs):
                # "apua ei saatu": the help before the negator was not received.
                total += _negated(last_scored[1], waiting) - last_scored[1]
                last_scored = None
                skip = 1
                continue
            negation_left = _NEGATION_WINDOW
            negated = True
            continue
        else:
            if lex.colloquial_ee and tok not in lex.words and lem not in lex.words:
                standard = _standard(lex, tok)
                if standard is not None:
                    tok = lem = standard
            score = lex.word_score(tok, lem)
        context = lex.contextual.get(tok) or lex.contextual.get(lem)
        if not score and context and context[0] & theme_set:
            score = context[1]
        nxt_has_score = i + 1 < n and (
            lex.word_score(tokens[i + 1], lemmas[i + 1]) != 0.0
            or tokens[i + 1] in lex.contextual
            or tokens[i + 1] in lex.intensifiers
        )
        # Swedish "för" is usually "for"; only treat it as "too" before an opinion word.
        if not length and tok in lex.too and i + 1 < n and (nxt_has_score or not lex.too_needs_opinion):
            too_pending = True
            continue
        if not length and tok in lex.intensifiers and (nxt_has_score or not score):
            if nxt_has_score:
                multiplier *= lex.intensifiers[tok]
            if negation_left:
                negation_left -= 1
            continue
        if too_pending:
            # "liian kallis", "för lång kö", "too few staff": always a complaint.
            score = -(abs(score) or _TOO_DEFAULT)
            too_pending = False
            negation_left = 0
        if score:
            if negation_left:
                score = _negated(score, waiting)
            else:
                last_scored = (i, score * multiplier)
                if score < 0:
                    last_negative = (i, score * multiplier)
            total += score * multiplier
            multiplier = 1.0
        if negation_left:
            negation_left -= 1
    if negated and themes and _NEGATED_EVENT < total <= 0:
        # "Kukaan ei tervehtinyt", "the parcel hasn't arrived": a service step that did not
        # happen is a complaint even without an opinion word (or with only a weak one,
        # "kukaan ei vastaa puhelimeen").
        total = _NEGATED_EVENT
    return total


def emoticon_score(text: str) -> float:
    """Raw polarity contributed by emoticons and emoji."""
    return 0.8 * (len(_EMOTICON_POS.findall(text)) - len(_EMOTICON_NEG.findall(text)))


def combine(
    clause_scores: Sequence[float],
    evaluations: tuple[int, int] | None = None,
    contrast: Sequence[bool] | None = None,
) -> float:
    """Comment score from clause scores (labelling guide, rules G3 and G4).

    Positive and negative masses are compared. A comment with a clearly positive and a
    clearly negative clause is mixed, and a mixed comment is neutral unless one side clearly
    dominates: negative when the complaints outweigh the praise several times over in
    strength, or in number (``evaluations``: how many distinct positive and negative
    evaluations the comment makes); positive only when a problem told first is followed by
    praise that clearly outweighs it (a solved problem with a positive verdict). A
    non-positive clause introduced by a reservation word after praise (``contrast[i]``:
    clause ``i`` starts with mutta/men/but) makes the comment mixed even when the lexicon
    finds no opinion word in it ("Tosi mukava myyjä, mutta jonoa oli ihan hirveästi").
    """
    pos = sum(s for s in clause_scores if s > 0)
    neg = -sum(s for s in clause_scores if s < 0)
    if pos + neg == 0:
        return 0.0
    score = (pos - neg) / max(1.0, pos + neg)
    reservation = False
    if contrast:
        seen_praise = False
        for s, after in zip(clause_scores, contrast, strict=False):
            if after and seen_praise and s <= 0:
                reservation = True
            seen_praise = seen_praise or s >= THRESHOLD
    if min(pos, neg) < _MIXED_MIN and not reservation:
        return score
    if evaluations is None:
        evaluations = (sum(1 for s in clause_scores if s >= THRESHOLD),
                       sum(1 for s in clause_scores if s <= -THRESHOLD))
    n_pos, n_neg = evaluations
    if neg >= _MIXED_MIN and (neg >= _NEG_DOMINANCE * pos
                              or (n_neg >= 2 and n_neg >= 2 * n_pos and neg >= pos)):
        # "Henkilökunta oli ihanaa, mutta ruoka oli kamalaa ja huone jääkylmä".
        return min(score, -THRESHOLD)
    if not reservation:
        evaluated = [s for s in clause_scores if s]
        if evaluated[0] < 0 and evaluated[-1] > 0 and pos >= _POS_DOMINANCE * neg:
            # A problem solved, with a positive verdict: "Lääkettä ei ollut, mutta
            # farmaseutti soitti toiseen apteekkiin ja löysi sen. Mahtavaa!"
            return max(score * _MIXED_DAMPING, THRESHOLD)
    return max(-_NEUTRAL_CAP, min(_NEUTRAL_CAP, score * _MIXED_DAMPING))
