"""The kiosk itself: /kiosk/<token>/ (the page), /kiosk/<token>/sw.js (its service worker)
and /kiosk/<token>/sync (the JSON endpoint the page sends its queued answers to).

The page shows the survey in all three languages (switching needs no network), keeps
answers in IndexedDB and sends them in batches; the service worker keeps the page and its
assets available offline. Unknown or revoked tokens get 404 everywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from functools import cache

from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.kiosk.actions import do_record_kiosk_seen
from kokemus.kiosk.models import KioskDevice
from kokemus.kiosk.sync import MAX_BYTES, BatchError, parse_batch, process_batch
from kokemus.surveys.questions import default_thank_you, kind_display, type_info

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}
RESET_SECONDS = 6
SYNC_INTERVAL_SECONDS = 30
SEEN_EVERY = timedelta(minutes=1)
SW_ASSETS = ("kokemus/kiosk.css", "kokemus/kiosk.js", "kokemus/favicon.svg")


def _device_or_404(token: str) -> KioskDevice:
    device = KioskDevice.objects.by_token(token)
    if device is None:
        raise Http404
    return device


def _question_views(questions, lang: str) -> list[dict]:
    views = []
    for q in questions:
        info = type_info(q["type"])
        view = {"key": q["key"], "type": q["type"], "kind": info["kind"],
                "id": f"k-{lang}-{q['key']}", "name": f"{lang}-{q['key']}",
                "text": pick(q["text"], lang), "required": bool(q.get("required")),
                "max_length": q.get("max_length", 1000), "show_if": None}
        cond = q.get("show_if")
        if cond:
            value = cond["value"]
            view["show_if"] = {"question": f"{lang}-{cond['question']}", "op": cond["op"],
                               "value": ",".join(str(v) for v in value)
                               if isinstance(value, list) else str(value)}
        view.update(kind_display(q, lang))
        views.append(view)
    return views


def _one_tap(questions) -> bool:
    """A single scale or single-choice question: a tap sends the answer."""
    return len(questions) == 1 and type_info(questions[0]["type"])["kind"] in ("scale",
                                                                              "choice")


def _language_blocks(device: KioskDevice, questions) -> list[dict]:
    cp = device.collection_point
    thanks = cp.thank_you or cp.survey.thank_you or default_thank_you()
    blocks = []
    for lang in LANGUAGES:
        with translation.override(lang):
            blocks.append({
                "code": lang, "name": LANGUAGE_NAMES[lang],
                "title": _("Your feedback"),
                "touchpoint": pick(cp.touchpoint.name, lang) if cp.touchpoint else "",
                "questions": _question_views(questions, lang),
                "thanks": pick(thanks, lang),
                "send": _("Send"), "required": _("Please answer this question."),
                "privacy": _("Your answers are anonymous."),
            })
    return blocks


@never_cache
def kiosk_page(request, token: str):
    device = KioskDevice.objects.by_token(token)
    if device is None:
        with translation.override(_kiosk_language(request, None)):
            return render(request, "kiosk/removed.html", status=404)
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        do_record_kiosk_seen(device)
    cp = device.collection_point
    lang = _kiosk_language(request, device)
    version = None if cp.is_closed else cp.survey.current_version
    if version is None:
        with translation.override(lang):
            return render(request, "kiosk/closed.html", {"device": device}, status=410)
    base = reverse("kiosk_page", args=[token])
    context = {
        "device": device, "cp": cp, "lang": lang,
        "blocks": _language_blocks(device, version.questions),
        "one_tap": _one_tap(version.questions),
        "sync_url": reverse("kiosk_sync", args=[token]),
        "sw_url": reverse("kiosk_sw", args=[token]),
        "scope": base, "reset_seconds": RESET_SECONDS,
        "sync_seconds": SYNC_INTERVAL_SECONDS,
    }
    with translation.override(lang):
        return render(request, "kiosk/kiosk.html", context)


def _kiosk_language(request, device) -> str:
    lang = request.GET.get("lang")
    if lang in LANGUAGES:
        return lang
    if device is not None and device.unit.language in LANGUAGES:
        return device.unit.language
    current = (getattr(request, "LANGUAGE_CODE", None) or "fi")[:2]
    return current if current in LANGUAGES else "fi"


@cache
def _sw_template() -> str:
    path = finders.find("kokemus/kiosk.sw.js")
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def service_worker(request, token: str):
    _device_or_404(token)
    assets = [static(a) for a in SW_ASSETS]
    source = _sw_template()
    version = hashlib.sha256((source + "|".join(assets)).encode()).hexdigest()[:12]
    body = (source.replace('"__ASSETS__"', json.dumps(assets))
            .replace("__VERSION__", version))
    return HttpResponse(body, content_type="text/javascript; charset=utf-8", headers={
        "Cache-Control": "no-cache",
        "Service-Worker-Allowed": reverse("kiosk_page", args=[token]),
    })


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


@csrf_exempt  # a device token in the URL authenticates; no cookies are used
@never_cache
def sync(request, token: str):
    device = KioskDevice.objects.by_token(token)
    if device is None:
        return _error(404, _("This kiosk has been removed."), "removed")
    if request.method != "POST":
        response = _error(405, _("Use POST."), "method")
        response["Allow"] = "POST"
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BYTES:
        return _error(413, _("The batch is too large (at most 256 KB)."), "too_large")
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, _("The batch is too large (at most 256 KB)."), "too_large")
    if len(body) > MAX_BYTES:
        return _error(413, _("The batch is too large (at most 256 KB)."), "too_large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _error(400, _("The body is not valid JSON."), "bad_json")
    try:
        items = parse_batch(data)
    except BatchError as exc:
        return _error(exc.status, exc.message, "bad_batch" if exc.status == 400
                      else "too_large")
    cp = device.collection_point
    if cp.is_closed or cp.survey.current_version is None:
        # Keep the answers on the device: they are sent if the point is opened again.
        return _error(410, _("This survey is closed. The answers stay on the kiosk."),
                      "closed")
    results = process_batch(device, items)
    created = sum(1 for r in results if r["status"] == "created")
    invalid = [r for r in results if r["status"] == "invalid"]
    if invalid:
        log.warning("kiosk %s: %d invalid items in sync", device.pk, len(invalid))
    do_record_kiosk_seen(device, synced=created)
    return JsonResponse({"results": results, "created": created})


