"""Trilingual text stored as ``{"fi": …, "sv": …, "en": …}`` in a JSON field.

Product content (journey, stage and touchpoint names, survey wording) is shown to
respondents in their language, so it is stored per language, not in gettext catalogues.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import translation

LANGUAGES = ("fi", "sv", "en")


def pick(text: Mapping[str, str] | str | None, language: str | None = None,
         fallback: str = "fi") -> str:
    """The text in ``language`` (default: the active one), else the fallback, else any."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    lang = (language or translation.get_language() or fallback)[:2]
    for code in (lang, fallback, *LANGUAGES):
        value = text.get(code)
        if value:
            return value
    return next((v for v in text.values() if v), "")


def clean_i18n(value: Mapping[str, str] | str | None) -> dict[str, str]:
    """Normalise to a dict of the three languages, stripped; unknown keys dropped."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = {"fi": value}
    return {k: str(v).strip() for k, v in value.items() if k in LANGUAGES and str(v).strip()}
