"""Parsing cell values: times, languages and answer labels (with built-in presets)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.utils.translation import gettext as _

from kokemus.surveys.questions import options_for, type_info

LANGUAGE_NAMES = {
    "fi": "fi", "fin": "fi", "suomi": "fi", "finnish": "fi", "finska": "fi",
    "sv": "sv", "swe": "sv", "svenska": "sv", "swedish": "sv", "ruotsi": "sv",
    "en": "en", "eng": "en", "english": "en", "englanti": "en", "engelska": "en",
}
_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M", "%d.%m.%Y",
            "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y/%m/%d %H:%M", "%Y/%m/%d")
_SPACES = re.compile(r"\s+")

# NHS Friends and Family Test: the six answer options (and their fi/sv equivalents from
# question_types.yaml, added by ``label_map``) → codes 1–6.
NHS_FFT = {
    "very good": 1, "good": 2, "neither good nor poor": 3, "poor": 4, "very poor": 5,
    "don't know": 6, "dont know": 6, "do not know": 6,
    "extremely likely": 1, "likely": 2, "neither likely nor unlikely": 3, "unlikely": 4,
    "extremely unlikely": 5,
}
PRESETS = {"nhs_fft": NHS_FFT}


def norm_label(value) -> str:
    text = unicodedata.normalize("NFC", str(value)).replace("’", "'").replace("‘", "'")
    return _SPACES.sub(" ", text).strip().casefold()


def parse_datetime(raw, tz) -> tuple[dt.datetime | None, str | None]:
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time(12, 0))
    else:
        text = str(raw or "").strip()
        if not text:
            return None, _("The time is missing.")
        value = None
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _FORMATS:
                try:
                    value = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if value is None:
            return None, _("“%(value)s” is not a date and time (use e.g. 2025-03-31 14:05 "
                           "or 31.3.2025 14:05).") % {"value": text[:40]}
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value, None


def parse_language(raw) -> str | None:
    return LANGUAGE_NAMES.get(norm_label(raw)) if str(raw).strip() else None


def label_map(question: dict, preset: str | None = None) -> dict[str, object]:
    """Built-in labels → stored values for a question (all three languages)."""
    info = type_info(question["type"])
    out: dict[str, object] = {}
    kind = info["kind"]
    if kind == "scale":
        for code, labels in (info.get("labels") or {}).items():
            for text in labels.values():
                out.setdefault(norm_label(text), int(code))
        if question["type"] == "fft" or preset == "nhs_fft":
            for text, code in NHS_FFT.items():
                out.setdefault(text, code)
    elif kind in ("choice", "multi"):
        for opt in options_for(question):
            out[norm_label(opt["key"])] = opt["key"]
            for text in opt["label"].values():
                out.setdefault(norm_label(text), opt["key"])
    elif kind == "consent":
        for code, labels in info["labels"].items():
            for text in labels.values():
                out[norm_label(text)] = "yes" if int(code) else "no"
        out.update({"yes": "yes", "no": "no", "1": "yes", "0": "no", "true": "yes",
                    "false": "no", "kyllä": "yes", "ei": "no", "ja": "yes", "nej": "no"})
    if preset in PRESETS and kind == "scale":
        out.update(PRESETS[preset])
    return out


def map_answer(question: dict, raw, labels: dict[str, object]):
    """A raw cell → the value ``do_submit_response`` expects (or the raw text)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = type_info(question["type"])["kind"]
    if kind == "text":
        return str(raw)
    key = norm_label(raw)
    if kind == "multi":
        parts = [p for p in re.split(r"[;,|]", str(raw)) if p.strip()]
        return [labels.get(norm_label(p), p.strip()) for p in parts]
    if key in labels:
        return labels[key]
    if kind == "scale" and re.fullmatch(r"-?\d+(\.0+)?", key):
        return str(int(float(key)))
    return str(raw).strip()
