"""Comment analytics for Finnish, Swedish and English customer feedback.

Pure Python and offline: language identification, lemmatisation, themes, clause-level
sentiment, PII redaction and emerging-topic detection. No Django imports here.
"""

from __future__ import annotations

from .analyser import Analysis, Clause, ThemeSentiment, analyse, analyse_many
from .emerging import RisingTerm, comment_terms, emerging_topics, rising_terms
from .langid import detect_language
from .normalise import lemmas, lemmatize, tokenize
from .redact import hetu_is_valid, redact
from .taxonomy import Taxonomy, Theme

__all__ = [
    "Analysis",
    "Clause",
    "RisingTerm",
    "Taxonomy",
    "Theme",
    "ThemeSentiment",
    "analyse",
    "analyse_many",
    "comment_terms",
    "detect_language",
    "emerging_topics",
    "hetu_is_valid",
    "lemmas",
    "lemmatize",
    "redact",
    "rising_terms",
    "tokenize",
]
