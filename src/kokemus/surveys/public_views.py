"""The public response page /r/<code>/: no login, works without JavaScript, small.

GET shows the form; POST validates through ``do_submit_response`` and redirects to the
thank-you page (POST-redirect-GET). Bad input shows the form again with per-question
errors (400); too-large requests get 413, too many submissions 429, unknown codes 404 and
closed surveys or inactive points a friendly notice (410).

This is the hot path of ingestion. A collection point with its survey, unit, touchpoint
and current version is kept per process for ``KOKEMUS_PUBLIC_POINT_CACHE_SECONDS``
(default 2 s; any save of a point, survey, version, unit or touchpoint in this process
drops it at once), so a typical submission costs no lookup queries: on PostgreSQL it is
one prepared statement that stores the response, counts the rate limit
(``kokemus.surveys.ratelimit``) and adds the rollup counts, and the COMMIT.
"""

from __future__ import annotations

import io
import re
import secrets
import threading
import time
from functools import wraps

import segno
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, ValidationError
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.journeys.models import Touchpoint
from kokemus.responses.actions import do_submit_response
from kokemus.surveys import ratelimit
from kokemus.surveys.models import CollectionPoint, Survey, SurveyVersion
from kokemus.surveys.questions import (
    default_thank_you,
    kind_display,
    type_info,
)
from kokemus.web.clientip import client_ip

MAX_BODY = 64 * 1024
LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}
IDEM_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CODE_RE = re.compile(r"[a-z0-9]{4,16}")
POINT_CACHE_MAX = 5000

# code -> (monotonic time read, collection point with survey/unit/touchpoint/organisation
# and survey._current_version loaded). Shared read-only by the threads of a process.
_points: dict[str, tuple[float, CollectionPoint]] = {}
_points_lock = threading.Lock()


def _point_cache_seconds() -> float:
    return float(getattr(settings, "KOKEMUS_PUBLIC_POINT_CACHE_SECONDS", 2.0))


def forget_points(**_kwargs) -> None:
    """Drop the per-process collection point cache (connected to the models' saves)."""
    _points.clear()
    _thanks_paths.clear()


# (script prefix, code) -> path of the thank-you page: reverse() is a twentieth of a
# submission's CPU.
_thanks_paths: dict[tuple[str, str], str] = {}


def _thanks_path(code: str) -> str:
    key = (get_script_prefix(), code)
    path = _thanks_paths.get(key)
    if path is None:
        if len(_thanks_paths) >= POINT_CACHE_MAX:
            _thanks_paths.clear()
        path = _thanks_paths[key] = reverse("respond_thanks", args=[code])
    return path


for _model in (CollectionPoint, Survey, SurveyVersion, Unit, Touchpoint, Organisation):
    post_save.connect(forget_points, sender=_model, dispatch_uid=f"respond-points-{_model}")
    post_delete.connect(forget_points, sender=_model, dispatch_uid=f"respond-points-d-{_model}")


NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"
_expires: tuple[int, str] = (0, "")


def never_cache(view):
    """Django's ``never_cache`` with its headers written at once: ``Expires`` now and the
    same ``Cache-Control`` (it merges them into a response's own Cache-Control through a
    parser, a few per cent of a submission's CPU). A response that has a Cache-Control of
    its own gets Django's treatment."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        global _expires
        response = view(request, *args, **kwargs)
        if response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            return response
        if not response.has_header("Expires"):
            now = int(time.time())
            if _expires[0] != now:
                _expires = (now, http_date(now))
            response.headers["Expires"] = _expires[1]
        response.headers["Cache-Control"] = NEVER_CACHE
        return response

    return wrapped


def _over_rate_limit(request, code: str) -> bool:
    """Count a submission from this IP to this code on its own; True when over the limit.

    The form itself counts inside the transaction that stores the answer (see
    ``respond``); this is for callers that store nothing.
    """
    limiter = ratelimit.Limiter(code, client_ip(request))
    return limiter.blocked() or limiter.hit()


def _language(request) -> str:
    lang = request.GET.get("lang")
    if lang not in LANGUAGES and request.method == "POST":
        lang = request.POST.get("lang")
    if lang in LANGUAGES:
        return lang
    return _request_language(request)


def _request_language(request) -> str:
    """LocaleMiddleware's choice, or on the short chain of public submissions
    (``kokemus.web.lean``), the same choice made here (cookie, Accept-Language)."""
    current = getattr(request, "LANGUAGE_CODE", None) or \
        translation.get_language_from_request(request) or "fi"
    return current[:2] if current[:2] in LANGUAGES else "fi"


def _safe_language(request) -> str:
    """The language without reading the POST body (for error pages before parsing)."""
    lang = request.GET.get("lang")
    if lang in LANGUAGES:
        return lang
    return _request_language(request)


def _notice(request, lang: str, status: int, kind: str, cp=None):
    with translation.override(lang):
        return render(request, "surveys/respond_notice.html",
                      {"kind": kind, "cp": cp, "lang": lang,
                       "languages": _language_links(request, lang)}, status=status)


def _language_links(request, lang: str) -> list[dict]:
    return [{"code": code, "name": LANGUAGE_NAMES[code], "url": f"{request.path}?lang={code}",
             "current": code == lang} for code in LANGUAGES]


def _load(code: str) -> CollectionPoint | None:
    cp = (CollectionPoint.objects
          .select_related("survey", "unit", "touchpoint", "organisation")
          .filter(code=code).first())
    if cp is not None:
        cp.survey.current_version  # noqa: B018 - loaded now, cached on the survey
    return cp


def _find(code: str) -> CollectionPoint | None:
    """The collection point of a public code, from this process's short-lived cache."""
    if not CODE_RE.fullmatch(code or ""):
        return None
    ttl = _point_cache_seconds()
    now = time.monotonic()
    cached = _points.get(code)
    if cached is not None and now - cached[0] < ttl:
        return cached[1]
    cp = _load(code)
    if cp is not None and ttl > 0:
        with _points_lock:
            if len(_points) >= POINT_CACHE_MAX:
                _points.clear()
            _points[code] = (now, cp)
    return cp


def raw_answers(post, questions) -> tuple[dict, str]:
    answers: dict[str, object] = {}
    contact = ""
    for q in questions:
        name = f"q-{q['key']}"
        if q["type"] == "multi_choice":
            values = post.getlist(name)
            if values:
                answers[q["key"]] = values
            continue
        value = post.get(name)
        if value is not None and value != "":
            answers[q["key"]] = value
        if q["type"] == "contact_consent":
            contact = post.get(f"{name}-contact", "")
    return answers, contact


def _question_views(questions, lang: str, posted: dict, contact: str, errors: dict) -> list:
    views = []
    for q in questions:
        info = type_info(q["type"])
        key = q["key"]
        value = posted.get(key)
        view = {
            "key": key, "type": q["type"], "kind": info["kind"], "name": f"q-{key}",
            "id": f"q-{key}", "text": pick(q["text"], lang), "required": q.get("required"),
            "conditional": bool(q.get("show_if")), "show_if": q.get("show_if"),
            "error": errors.get(key), "max_length": q.get("max_length"),
            "value": value if isinstance(value, str) else "",
            "values": value if isinstance(value, list) else [],
        }
        if view["show_if"]:
            cond = q["show_if"]
            view["cond_question"] = f"q-{cond['question']}"
            view["cond_op"] = cond["op"]
            view["cond_value"] = ",".join(str(v) for v in cond["value"]) \
                if isinstance(cond["value"], list) else str(cond["value"])
        view.update(kind_display(q, lang))
        if info["kind"] == "consent":
            view["contact"] = contact
        view["first_id"] = _first_input_id(view)
        views.append(view)
    return views


def _first_input_id(view) -> str:
    if view["kind"] == "text":
        return view["id"]
    if view["kind"] == "scale":
        return f"{view['id']}-{view['points'][0]['value']}"
    return f"{view['id']}-{view['options'][0]['key']}"


def render_form(request, cp, version, lang, *, posted=None, contact="", errors=None,
                 idem=None, status=200):
    errors = errors or {}
    questions = _question_views(version.questions, lang, posted or {}, contact, errors)
    summary = [{"href": f"#{q['first_id']}", "message": q["error"]}
               for q in questions if q["error"]]
    known = {q["key"] for q in questions}
    summary += [{"href": "#survey-form", "message": msg} for key, msg in errors.items()
                if key not in known]
    context = {"cp": cp, "lang": lang, "questions": questions, "errors": summary,
               "idem": idem or secrets.token_urlsafe(18),
               "touchpoint": pick(cp.touchpoint.name, lang) if cp.touchpoint else "",
               "languages": _language_links(request, lang),
               "action": f"{request.path}?lang={lang}"}
    with translation.override(lang):
        return render(request, "surveys/respond.html", context, status=status)


def validation_errors(exc: ValidationError) -> dict:
    return {k: " ".join(str(m) for m in v) for k, v in exc.message_dict.items()} \
        if hasattr(exc, "error_dict") else {"form": " ".join(exc.messages)}


def _counted(request, limiter, cp, response):
    """Count a POST that stores nothing (bad body, closed point, honeypot): 429 when the
    device is over the limit, otherwise ``response``."""
    if limiter is not None and limiter.hit():
        return _notice(request, _safe_language(request), 429, "rate_limited", cp)
    return response


@csrf_exempt  # anonymous public form; abuse is limited by the rate limit and honeypot
@never_cache
def respond(request, code: str):
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    cp = _find(code)
    if cp is None:
        return _notice(request, _safe_language(request), 404, "unknown")
    limiter = None
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return _notice(request, _safe_language(request), 413, "too_large", cp)
        limiter = ratelimit.Limiter(code, client_ip(request))
        if limiter.blocked():
            return _notice(request, _safe_language(request), 429, "rate_limited", cp)
        ratelimit.maybe_purge()
        try:
            post = request.POST
            post.get("lang")
        except RequestDataTooBig:
            return _notice(request, _safe_language(request), 413, "too_large", cp)
        except (SuspiciousOperation, MultiPartParserError, UnicodeDecodeError, ValueError):
            return _counted(request, limiter, cp,
                            _notice(request, _safe_language(request), 400, "bad_request", cp))
    lang = _language(request)
    version = cp.survey.current_version
    if cp.is_closed or version is None:
        return _counted(request, limiter, cp, _notice(request, lang, 410, "closed", cp))
    if request.method == "GET":
        return render_form(request, cp, version, lang)

    thanks = _thanks_path(cp.code) + f"?lang={lang}"
    if request.POST.get("website"):  # honeypot: a bot filled the hidden field
        return _counted(request, limiter, cp, HttpResponseRedirect(thanks))
    idem = request.POST.get("idem", "")
    idem = idem if IDEM_RE.match(idem) else None
    answers, contact = raw_answers(request.POST, version.questions)
    errors = None
    with translation.override(lang):
        try:
            do_submit_response(
                collection_point=cp, survey_version=version, answers=answers, language=lang,
                channel=cp.channel, idempotency_key=f"web:{cp.code}:{idem}" if idem else None,
                contact=contact, limiter=limiter, group=True)
        except ratelimit.RateLimited:  # counted; nothing is stored
            return _notice(request, _safe_language(request), 429, "rate_limited", cp)
        except ValidationError as exc:
            errors = validation_errors(exc)
    if errors is not None:
        return render_form(request, cp, version, lang, posted=answers, contact=contact,
                            errors=errors, idem=idem, status=400)
    return HttpResponseRedirect(thanks)


@never_cache
def respond_thanks(request, code: str):
    cp = _find(code)
    if cp is None:
        return _notice(request, _safe_language(request), 404, "unknown")
    lang = _language(request)
    message = pick(cp.thank_you or cp.survey.thank_you or default_thank_you(), lang)
    with translation.override(lang):
        return render(request, "surveys/respond_thanks.html",
                      {"cp": cp, "lang": lang, "message": message,
                       "languages": _language_links(request, lang)})


def public_url(cp: CollectionPoint) -> str:
    return settings.SITE_URL + reverse("respond", args=[cp.code])


def _qr(cp: CollectionPoint):
    return segno.make(public_url(cp), error="m")


def respond_qr_svg(request, code: str):
    cp = _find(code)
    if cp is None:
        return _notice(request, _safe_language(request), 404, "unknown")
    buf = io.BytesIO()
    _qr(cp).save(buf, kind="svg", scale=6, border=2, xmldecl=False,
                 title=public_url(cp))
    return HttpResponse(buf.getvalue(), content_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


def respond_qr_png(request, code: str):
    cp = _find(code)
    if cp is None:
        return _notice(request, _safe_language(request), 404, "unknown")
    buf = io.BytesIO()
    _qr(cp).save(buf, kind="png", scale=12, border=4)
    return HttpResponse(buf.getvalue(), content_type="image/png", headers={
        "Content-Disposition": f'attachment; filename="kokemus-{cp.code}.png"',
        "Cache-Control": "public, max-age=86400"})
