"""Question types (from ``question_types.yaml``): definitions, defaults and answer validation.

A survey version's ``questions`` is a JSON list of dicts (see :func:`normalize_questions`).
:func:`clean_answers` turns a respondent's raw answers into stored values or a dict of
errors keyed by question key; :func:`stored_answer_is_valid` re-checks a stored Answer.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kokemus.journeys.i18n import LANGUAGES, clean_i18n, pick

DATA_FILE = Path(__file__).resolve().parent / "question_types.yaml"

QUESTION_TYPES = ("nps", "csat", "ces", "smiley", "fft", "behaviour", "expectations", "emotion",
                  "mood", "single_choice", "multi_choice", "free_text", "contact_consent")
BEHAVIOURS = ("greeting", "friendliness", "attention", "openness", "expertise", "waiting")
SHOW_IF_OPS = ("lte", "gte", "in")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FREE_TEXT_DEFAULT_MAX = 1000
FREE_TEXT_MAX = 5000
CONTACT_MAX = 200
MAX_QUESTIONS = 50
MAX_OPTIONS = 30
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,24}$")
# Control characters except tab/newline; also lone surrogates that cannot be stored.
_CONTROL = {c for c in range(32) if c not in (9, 10)} | {127}


@cache
def load_data() -> dict:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))


def type_info(qtype: str) -> dict:
    return load_data()["types"][qtype]


def wording(name: str) -> dict:
    return dict(load_data()["wordings"][name])


def survey_templates() -> dict[str, dict]:
    return load_data()["templates"]


def default_thank_you() -> dict:
    return wording("thank_you")


def _fill(text: dict, organisation_name: str | None) -> dict:
    if organisation_name is None:
        return dict(text)
    return {k: v.replace("{organisation}", organisation_name) for k, v in text.items()}


def default_text(qtype: str, behaviour: str | None = None,
                 organisation_name: str | None = None) -> dict:
    info = type_info(qtype)
    if qtype == "behaviour" and behaviour in BEHAVIOURS:
        return dict(info["behaviours"][behaviour])
    return _fill(info["text"], organisation_name)


def scale_range(question: dict) -> tuple[int, int] | None:
    info = type_info(question["type"])
    if info["kind"] == "scale":
        return info["min"], info["max"]
    if info["kind"] == "consent":
        return 0, 1
    return None


def options_for(question: dict) -> list[dict]:
    """Options of a choice question: the question's own, or the type's fixed set."""
    if question["type"] == "emotion":
        return type_info("emotion")["options"]
    return question.get("options") or []


def scale_points(question: dict, language: str) -> list[dict]:
    """Answer points of a scale question for the response page: value, label, icon."""
    info = type_info(question["type"])
    lo, hi = info["min"], info["max"]
    labels = info.get("labels") or {}
    icons = info.get("icons") or {}
    points = []
    for v in range(lo, hi + 1):
        label = pick(labels[v], language) if v in labels else ""
        points.append({"value": v, "label": label, "icon": icons.get(v, "")})
    return points


def kind_display(question: dict, language: str) -> dict:
    """What a respondent page needs to draw a question of its kind, in ``language``: scale
    points and end labels, choice options, or the consent options and contact label. The
    public page and the kiosk both render questions from this."""
    info = type_info(question["type"])
    kind = info["kind"]
    if kind == "scale":
        return {"points": scale_points(question, language),
                "low_label": pick(info.get("low_label"), language)
                if info.get("low_label") else "",
                "high_label": pick(info.get("high_label"), language)
                if info.get("high_label") else "",
                "compact": info["max"] - info["min"] >= 6 and not info.get("labels")}
    if kind in ("choice", "multi"):
        return {"options": [{"key": o["key"], "label": pick(o["label"], language)}
                            for o in options_for(question)]}
    if kind == "consent":
        return {"options": [{"key": "yes", "label": pick(info["labels"][1], language)},
                            {"key": "no", "label": pick(info["labels"][0], language)}],
                "contact_label": pick(info["contact_label"], language)}
    return {}


def new_question(qtype: str, key: str, *, organisation_name: str | None = None,
                 behaviour: str | None = None, **extra) -> dict:
    """A question of ``qtype`` with the standard wording prefilled in three languages."""
    q: dict[str, Any] = {"key": key, "type": qtype, "required": False,
                         "text": default_text(qtype, behaviour, organisation_name)}
    if qtype == "behaviour":
        q["behaviour"] = behaviour if behaviour in BEHAVIOURS else "greeting"
    if qtype in ("single_choice", "multi_choice"):
        q["options"] = [dict(o) for o in type_info(qtype)["options"]]
    if qtype == "free_text":
        q["max_length"] = FREE_TEXT_DEFAULT_MAX
    q.update(extra)
    return q


def questions_from_template(template_key: str, organisation_name: str | None = None) -> list:
    tpl = survey_templates()[template_key]
    out = []
    for item in tpl["questions"]:
        extra = {}
        if item.get("show_if"):
            extra["show_if"] = dict(item["show_if"])
        q = new_question(item["type"], item["key"], organisation_name=organisation_name,
                         behaviour=item.get("behaviour"), required=bool(item.get("required")),
                         **extra)
        if item.get("wording"):
            q["text"] = wording(item["wording"])
        out.append(q)
    return normalize_questions(out)


# --- Definitions --------------------------------------------------------------------------

def normalize_questions(questions: list[dict]) -> list[dict]:
    """Validate and normalise a version's question list; ValidationError keyed by question."""
    if not isinstance(questions, list) or not questions:
        raise ValidationError({"questions": _("A survey needs at least one question.")})
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError({"questions": _("A survey can have at most %(n)s questions.")
                               % {"n": MAX_QUESTIONS}})
    out: list[dict] = []
    errors: dict[str, str] = {}
    seen: dict[str, dict] = {}
    for raw in questions:
        key = str(raw.get("key", "")).strip()
        if not KEY_RE.match(key):
            raise ValidationError({"questions": _("“%(key)s” is not a valid question key: use "
                                                  "lower-case letters, digits and _.")
                                   % {"key": key[:40]}})
        if key in seen:
            raise ValidationError({key: _("The question key “%(key)s” appears twice.")
                                   % {"key": key}})
        qtype = raw.get("type")
        if qtype not in QUESTION_TYPES:
            errors[key] = _("Unknown question type.")
            continue
        q: dict[str, Any] = {"key": key, "type": qtype, "required": bool(raw.get("required"))}
        if qtype == "behaviour":
            behaviour = raw.get("behaviour")
            if behaviour not in BEHAVIOURS:
                errors[key] = _("Choose which service behaviour the question is about.")
                continue
            q["behaviour"] = behaviour
        text = clean_i18n(raw.get("text")) or default_text(qtype, q.get("behaviour"))
        q["text"] = text
        if qtype in ("single_choice", "multi_choice"):
            options = []
            option_keys = set()
            for opt in raw.get("options") or []:
                okey = str(opt.get("key", "")).strip()
                label = clean_i18n(opt.get("label"))
                if not KEY_RE.match(okey) or okey in option_keys or not label:
                    errors[key] = _("Each option needs a unique key and a label.")
                    break
                option_keys.add(okey)
                options.append({"key": okey, "label": label})
            if key in errors:
                continue
            if len(options) < 2 or len(options) > MAX_OPTIONS:
                errors[key] = _("A choice question needs 2–%(n)s options.") % {"n": MAX_OPTIONS}
                continue
            q["options"] = options
        if qtype == "free_text":
            try:
                max_length = int(raw.get("max_length") or FREE_TEXT_DEFAULT_MAX)
            except (TypeError, ValueError):
                max_length = 0
            if not 1 <= max_length <= FREE_TEXT_MAX:
                errors[key] = _("The length limit must be 1–%(n)s characters.") \
                    % {"n": FREE_TEXT_MAX}
                continue
            q["max_length"] = max_length
        show_if = raw.get("show_if")
        if show_if:
            problem = _check_show_if(show_if, seen)
            if problem:
                errors[key] = problem
                continue
            q["show_if"] = {"question": show_if["question"], "op": show_if["op"],
                            "value": show_if["value"]}
        seen[key] = q
        out.append(q)
    if errors:
        raise ValidationError(errors)
    return out


def _check_show_if(show_if: dict, earlier: dict[str, dict]) -> str | None:
    target = earlier.get(show_if.get("question")) if isinstance(show_if, dict) else None
    if target is None:
        return _("A condition must refer to an earlier question.")
    op, value = show_if.get("op"), show_if.get("value")
    if op not in SHOW_IF_OPS:
        return _("Unknown condition.")
    rng = scale_range(target)
    if op in ("lte", "gte"):
        if rng is None or isinstance(value, bool) or not isinstance(value, int):
            return _("“At most” and “at least” conditions need a number question.")
    else:
        if not isinstance(value, list) or not value:
            return _("Give the values the condition accepts.")
        if rng is None:
            keys = {o["key"] for o in options_for(target)}
            if not all(isinstance(v, str) and v in keys for v in value):
                return _("The condition refers to an option that does not exist.")
        elif not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return _("The condition values must be numbers.")
    return None


# --- Answers ------------------------------------------------------------------------------

def clean_text(value: str) -> str:
    """Strip control characters (keeps tabs and newlines) and unpaired surrogates."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(ch for ch in value
                   if ord(ch) not in _CONTROL and not 0xD800 <= ord(ch) <= 0xDFFF
                   and unicodedata.category(ch) != "Cc" or ch in "\t\n").strip()


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or \
        (isinstance(raw, (list, tuple)) and not raw)


def _to_int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,6}\s*", raw):
        return int(raw)
    return None


def _to_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if raw in (1, "1", "yes", "true", "on"):
        return True
    if raw in (0, "0", "no", "false"):
        return False
    return None


def is_visible(question: dict, values: dict[str, Any]) -> bool:
    """Whether a question is shown given the (cleaned) earlier answers."""
    cond = question.get("show_if")
    if not cond:
        return True
    answer = values.get(cond["question"])
    if answer is None:
        return False
    op, target = cond["op"], cond["value"]
    if op == "lte":
        return isinstance(answer, int) and answer <= target
    if op == "gte":
        return isinstance(answer, int) and answer >= target
    if isinstance(answer, list):
        return any(a in target for a in answer)
    return answer in target


def valid_contact(contact: str) -> bool:
    return bool(EMAIL_RE.match(contact) or PHONE_RE.match(contact)) \
        and len(contact) <= CONTACT_MAX


def clean_answers(questions: list[dict], answers: dict[str, Any], *,
                  consent_contact: bool = False, contact: str = "") -> dict:
    """Validate raw answers against a version's questions.

    Returns ``{"values": {key: cleaned}, "consent": bool, "contact": str,
    "consent_question": question | None}``; raises ValidationError keyed by question key.
    """
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("Answers must be given per question.")})
    by_key = {q["key"]: q for q in questions}
    errors: dict[str, str] = {}
    for key in answers:
        if key not in by_key:
            errors[str(key)[:100]] = _("“%(key)s” is not a question of this survey.") \
                % {"key": str(key)[:40]}
    values: dict[str, Any] = {}
    consent_question = None
    consent = False
    contact = contact if isinstance(contact, str) else ""
    for q in questions:
        key, qtype = q["key"], q["type"]
        raw = answers.get(key)
        if qtype == "contact_consent":
            consent_question = q
            if _is_empty(raw) and consent_contact:
                raw = True
        if not is_visible(q, values):
            continue  # hidden: not required, and its answer is dropped
        if _is_empty(raw):
            if q.get("required"):
                errors[key] = _("Please answer “%(question)s”.") % {"question": _short(q)}
            continue
        kind = type_info(qtype)["kind"]
        if kind == "scale":
            lo, hi = scale_range(q)
            value = _to_int(raw)
            if value is None or not lo <= value <= hi:
                errors[key] = _("“%(question)s”: choose a value from %(min)s to %(max)s.") \
                    % {"question": _short(q), "min": lo, "max": hi}
                continue
            values[key] = value
        elif kind == "choice":
            allowed = {o["key"] for o in options_for(q)}
            if not isinstance(raw, str) or raw not in allowed:
                errors[key] = _("“%(question)s”: choose one of the options.") \
                    % {"question": _short(q)}
                continue
            values[key] = raw
        elif kind == "multi":
            allowed = {o["key"] for o in options_for(q)}
            items = raw if isinstance(raw, (list, tuple)) else [raw]
            if not all(isinstance(i, str) and i in allowed for i in items):
                errors[key] = _("“%(question)s”: choose from the options.") \
                    % {"question": _short(q)}
                continue
            values[key] = sorted(set(items), key=[o["key"] for o in options_for(q)].index)
        elif kind == "text":
            if not isinstance(raw, str):
                errors[key] = _("“%(question)s”: write your answer as text.") \
                    % {"question": _short(q)}
                continue
            text = clean_text(raw)
            limit = q.get("max_length", FREE_TEXT_DEFAULT_MAX)
            if len(text) > limit:
                errors[key] = _("“%(question)s”: use at most %(n)s characters (now %(len)s).") \
                    % {"question": _short(q), "n": limit, "len": len(text)}
                continue
            if text:
                values[key] = text
            elif q.get("required"):
                errors[key] = _("Please answer “%(question)s”.") % {"question": _short(q)}
        elif kind == "consent":
            flag = _to_bool(raw)
            if flag is None:
                errors[key] = _("“%(question)s”: answer yes or no.") % {"question": _short(q)}
                continue
            values[key] = int(flag)
            consent = flag
            if flag:
                contact = clean_text(contact)
                if not contact:
                    errors[key] = _("Give an e-mail address or a phone number so that we "
                                    "can contact you.")
                elif not valid_contact(contact):
                    errors[key] = _("“%(contact)s” is not an e-mail address or a phone "
                                    "number.") % {"contact": contact[:60]}
    if consent_question is None and consent_contact:
        errors["contact"] = _("This survey does not ask for contact details.")
    if errors:
        raise ValidationError(errors)
    return {"values": values, "consent": consent, "contact": contact if consent else "",
            "consent_question": consent_question}


def _short(question: dict, limit: int = 60) -> str:
    text = pick(question.get("text"))
    text = text.split(" (")[0] if len(text) > limit else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stored_answer_is_valid(question: dict | None, *, value, choice: str, text: str) -> bool:
    """Whether a stored Answer row is valid for its question (used by tests and checks)."""
    if question is None:
        return False
    kind = type_info(question["type"])["kind"]
    if kind in ("scale", "consent"):
        lo, hi = scale_range(question)
        return isinstance(value, int) and lo <= value <= hi and not choice and not text
    if kind in ("choice", "multi"):
        return value is None and not text and choice in {o["key"] for o in options_for(question)}
    if kind == "text":
        return (value is None and not choice and 0 < len(text)
                <= question.get("max_length", FREE_TEXT_DEFAULT_MAX)
                and clean_text(text) == text)
    return False


def languages() -> tuple[str, ...]:
    return LANGUAGES
