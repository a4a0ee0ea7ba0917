"""Outgoing webhooks: which events a response triggers, signing, delivery with retries.

Delivery runs in the background worker (django-tasks). Each attempt is recorded on the
:class:`WebhookDelivery`; failures are retried after 1 min, 5 min, 30 min, 2 h and 12 h,
at most :data:`MAX_ATTEMPTS` attempts in all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from kokemus.api.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from kokemus.api.netguard import UnsafeURL, check_url_target
from kokemus.api.serialize import response_dict

logger = logging.getLogger(__name__)

BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=12)]
MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 10
MAX_ERROR_LENGTH = 500

# Low-score rules per question type: NPS 0–6, CSAT 1–2, FFT poor (4) / very poor (5),
# smiley 1–2.
LOW_SCORE = {
    "nps": lambda v: v <= 6,
    "csat": lambda v: v <= 2,
    "fft": lambda v: v in (4, 5),
    "smiley": lambda v: v <= 2,
}


def low_score_answers(answers) -> list[dict]:
    out = []
    for a in answers:
        rule = LOW_SCORE.get(a.question_type)
        if rule is not None and a.value is not None and rule(a.value):
            out.append({"question": a.question_key, "type": a.question_type, "value": a.value})
    return out


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``"sha256=" + hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def events_for(response) -> list[tuple[str, dict]]:
    answers = list(response.answers.all())
    data = response_dict(response, answers)
    events = [(WebhookEvent.RESPONSE_CREATED, {"response": data})]
    low = low_score_answers(answers)
    if low:
        events.append((WebhookEvent.RESPONSE_LOW_SCORE, {"response": data, "low_scores": low}))
    return events


_ACTIVE_CACHE: dict[int, tuple[float, bool]] = {}
_ACTIVE_SECONDS = 30.0


def _org_has_webhooks(organisation_id: int) -> bool:
    """Per-process cache (30 s): most organisations have no webhooks, and this runs for
    every response."""
    now = time.monotonic()
    cached = _ACTIVE_CACHE.get(organisation_id)
    if cached and now - cached[0] < _ACTIVE_SECONDS:
        return cached[1]
    active = Webhook.objects.filter(organisation_id=organisation_id, is_active=True).exists()
    _ACTIVE_CACHE[organisation_id] = (now, active)
    return active


def forget_webhook_cache() -> None:
    _ACTIVE_CACHE.clear()


def on_response_submitted(sender, response, **kwargs) -> None:
    """Signal receiver: queue a delivery per active webhook and matching event."""
    try:
        if not _org_has_webhooks(response.organisation_id):
            return
        hooks = list(Webhook.objects.filter(organisation_id=response.organisation_id,
                                            is_active=True))
        if not hooks:
            return
        events = events_for(response)
        created = []
        with transaction.atomic():
            for hook in hooks:
                for event, data in events:
                    if event not in hook.events:
                        continue
                    created.append(WebhookDelivery.objects.create(
                        organisation_id=response.organisation_id, webhook=hook, event=event,
                        payload=data, next_attempt_at=timezone.now()))
        for delivery in created:
            enqueue_delivery(delivery)
    except Exception:  # never break ingestion because of a webhook
        logger.exception("Could not queue webhooks for response %s", response.pk)


def enqueue_delivery(delivery: WebhookDelivery, run_after=None) -> None:
    task_ = deliver_webhook_task
    if run_after is not None:
        if not default_task_backend.supports_defer:
            return  # picked up later by retry_due_deliveries()
        task_ = task_.using(run_after=run_after)
    task_.enqueue(delivery.pk)


def body_for(delivery: WebhookDelivery) -> bytes:
    envelope = {"id": str(delivery.delivery_id), "event": delivery.event,
                "created_at": delivery.created_at.isoformat(),
                "organisation": delivery.webhook.organisation.slug,
                "data": delivery.payload}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is reported as a failure (and could bypass the URL check)


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as resp:
            resp.read(65536)
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """One delivery attempt; records the outcome and schedules a retry on failure."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update()
                    .select_related("webhook__organisation").filter(pk=delivery_id).first())
        if delivery is None or delivery.status in (DeliveryStatus.SUCCEEDED,
                                                   DeliveryStatus.FAILED):
            return delivery
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        delivery.save(update_fields=["attempts", "last_attempt_at"])
    hook = delivery.webhook
    body = body_for(delivery)
    timestamp = str(int(timezone.now().timestamp()))
    headers = {"Content-Type": "application/json", "User-Agent": "kokemus-webhooks/1",
               "X-Kokemus-Event": delivery.event,
               "X-Kokemus-Delivery": str(delivery.delivery_id),
               "X-Kokemus-Timestamp": timestamp,
               "X-Kokemus-Signature": sign(hook.secret, timestamp, body)}
    status_code, error = None, ""
    if not hook.is_active:
        error = "The webhook is inactive."
    else:
        try:
            check_url_target(hook.url)
            status_code = _post(hook.url, body, headers)
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except UnsafeURL as exc:
            error = str(exc)
        except Exception as exc:  # network errors of every kind
            error = f"{type(exc).__name__}: {exc}"
    now = timezone.now()
    delivery.last_status_code = status_code
    delivery.last_error = error[:MAX_ERROR_LENGTH]
    if not error:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS or not hook.is_active:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save(update_fields=["status", "last_status_code", "last_error", "delivered_at",
                                 "next_attempt_at"])
    if delivery.status == DeliveryStatus.RETRYING:
        enqueue_delivery(delivery, run_after=delivery.next_attempt_at)
    return delivery


@task()
def deliver_webhook_task(delivery_id: int) -> None:
    deliver(delivery_id)


def retry_due_deliveries(now=None) -> int:
    """Attempt every delivery whose retry time has come (for backends without defer)."""
    now = now or timezone.now()
    ids = list(WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
        next_attempt_at__lte=now).values_list("pk", flat=True)[:1000])
    for pk in ids:
        deliver(pk)
    return len(ids)
