"""Public invitation pages: /i/<token>/ (the survey, single use) and /optout/<token>/.

The survey page reuses the surveys app's public response form (templates and helpers of
``kokemus.surveys.public_views``); the answer is stored with channel "invitation" and the
link is used up.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from kokemus.accounts.audit import SYSTEM
from kokemus.invitations import actions
from kokemus.invitations.models import InvitationStatus
from kokemus.journeys.i18n import LANGUAGES
from kokemus.surveys import public_views as sv

MAX_BODY = sv.MAX_BODY


def _lang(request, inv) -> str:
    lang = request.GET.get("lang")
    if lang in LANGUAGES:
        return lang
    return inv.language if inv and inv.language in LANGUAGES else "fi"


def _notice(request, lang, status, kind, inv=None):
    with translation.override(lang):
        return render(request, "invitations/notice.html",
                      {"kind": kind, "lang": lang, "cp": inv.collection_point if inv else None,
                       "languages": sv._language_links(request, lang)}, status=status)


@csrf_exempt  # the token is the credential; the page is anonymous like /r/<code>/
@never_cache
def respond(request, token: str):
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    inv = actions.find_by_link_token(token)
    if inv is None or inv.status in (InvitationStatus.SCHEDULED, InvitationStatus.SKIPPED,
                                     InvitationStatus.FAILED) or inv.collection_point is None:
        return _notice(request, _lang(request, None), 404, "unknown")
    lang = _lang(request, inv)
    if inv.used_at is not None:
        return _notice(request, lang, 410, "used", inv)
    if inv.is_expired:
        return _notice(request, lang, 410, "expired", inv)
    cp = inv.collection_point
    if cp.is_closed or cp.survey.current_version is None:
        return _notice(request, lang, 410, "closed", inv)
    version = cp.survey.current_version
    if request.method == "GET":
        return sv.render_form(request, cp, version, lang)
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
            return _notice(request, lang, 413, "bad_request", inv)
        post = request.POST
        if post.get("lang") in LANGUAGES and "lang" not in request.GET:
            lang = post.get("lang")
    except (RequestDataTooBig, SuspiciousOperation, MultiPartParserError, UnicodeDecodeError,
            ValueError):
        return _notice(request, lang, 400, "bad_request", inv)
    answers, contact = sv.raw_answers(post, version.questions)
    with translation.override(lang):
        try:
            actions.do_answer_invitation(inv, answers=answers, language=lang, contact=contact)
        except ValidationError as exc:
            return sv.render_form(request, cp, version, lang, posted=answers,
                                  contact=contact, errors=sv.validation_errors(exc), status=400)
    return HttpResponseRedirect(reverse("respond_thanks", args=[cp.code]) + f"?lang={lang}")


@csrf_exempt  # RFC 8058 one-click unsubscribe POSTs come from mail providers, not our form
@never_cache
def optout(request, token: str):
    inv = actions.find_by_optout_token(token)
    lang = _lang(request, inv)
    if inv is None:
        return _notice(request, lang, 404, "unknown")
    if request.method == "POST":
        actions.do_opt_out(SYSTEM, inv)
        return _notice(request, lang, 200, "opted_out", inv)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    with translation.override(lang):
        return render(request, "invitations/optout.html", {
            "lang": lang, "cp": inv.collection_point, "organisation": inv.organisation,
            "action": f"{request.path}?lang={lang}",
            "languages": sv._language_links(request, lang)})
