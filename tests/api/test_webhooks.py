"""Webhooks: events, signing (verified with the snippet in docs/webhooks.md), delivery to a
real HTTP server on loopback, retries, URL safety, the management pages."""

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import AuditLog
from kokemus.api import webhooks
from kokemus.api.actions import do_create_webhook
from kokemus.api.models import DeliveryStatus, Webhook, WebhookDelivery
from kokemus.api.netguard import UnsafeURL, check_url_target
from kokemus.responses.actions import do_submit_response

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def documented_verifier():
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_kokemus_signature"]


class Receiver:
    """A loopback HTTP server recording requests; answers with ``status``."""

    def __init__(self, status=200):
        self.status, self.requests = status, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def version(survey):
    return survey.current_version


def submit(tree, version, answers, captured):
    with captured(execute=True):
        return do_submit_response(unit=tree.kamppi, survey_version=version, answers=answers,
                                  language="fi", channel="link")[0]


@override_settings(KOKEMUS_WEBHOOK_ALLOW_PRIVATE=True, TASKS=IMMEDIATE)
def test_delivery_is_signed_and_verifiable(org, tree, version, receiver,
                                           django_capture_on_commit_callbacks):
    hook = do_create_webhook(SYSTEM, org, url=receiver.url,
                             events=["response.created", "response.low_score"])
    response = submit(tree, version, {"nps": 3, "csat": 5}, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 2
    verify = documented_verifier()
    events = set()
    for req in receiver.requests:
        headers, body = req["headers"], req["body"]
        assert verify(hook.secret, headers, body)
        assert not verify("wrong-secret", headers, body)
        assert not verify(hook.secret, headers, body + b" ")
        payload = json.loads(body)
        assert payload["id"] == headers["X-Kokemus-Delivery"]
        assert payload["event"] == headers["X-Kokemus-Event"]
        assert payload["data"]["response"]["id"] == response.pk
        events.add(payload["event"])
    assert events == {"response.created", "response.low_score"}
    low = next(json.loads(r["body"]) for r in receiver.requests
               if r["headers"]["X-Kokemus-Event"] == "response.low_score")
    assert low["data"]["low_scores"] == [{"question": "nps", "type": "nps", "value": 3}]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.parametrize(("answers", "low"), [
    ({"nps": 7, "csat": 3, "fft": 3, "smiley": 3}, False),
    ({"nps": 6}, True), ({"nps": 9, "csat": 2}, True), ({"nps": 9, "fft": 4}, True),
    ({"nps": 9, "fft": 5}, True), ({"nps": 9, "fft": 6}, False), ({"nps": 9, "smiley": 2}, True),
])
@override_settings(KOKEMUS_WEBHOOK_ALLOW_PRIVATE=True, TASKS=IMMEDIATE)
def test_low_score_rules(org, tree, version, receiver, answers, low,
                         django_capture_on_commit_callbacks):
    do_create_webhook(SYSTEM, org, url=receiver.url, events=["response.low_score"])
    submit(tree, version, answers, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == (1 if low else 0)


@override_settings(KOKEMUS_WEBHOOK_ALLOW_PRIVATE=True, TASKS=IMMEDIATE)
def test_failing_endpoint_schedules_retries(org, tree, version,
                                            django_capture_on_commit_callbacks):
    failing = Receiver(status=500)
    try:
        do_create_webhook(SYSTEM, org, url=failing.url, events=["response.created"])
        before = timezone.now()
        submit(tree, version, {"nps": 9}, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.RETRYING
        assert delivery.attempts == 1 and delivery.last_status_code == 500
        assert delivery.last_error == "HTTP 500"
        assert delivery.next_attempt_at >= before + timedelta(minutes=1)
        assert delivery.next_attempt_at <= timezone.now() + timedelta(minutes=1)
        gaps = [delivery.next_attempt_at - delivery.last_attempt_at]
        for _ in range(4):
            webhooks.deliver(delivery.pk)
            delivery.refresh_from_db()
            if delivery.next_attempt_at:
                gaps.append(delivery.next_attempt_at - delivery.last_attempt_at)
        assert delivery.attempts == 5
        assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
        assert len(failing.requests) == 5
        assert [round(g.total_seconds() / 60) for g in gaps] == [1, 5, 30, 120]
        # Same delivery id on every attempt.
        assert len({r["headers"]["X-Kokemus-Delivery"] for r in failing.requests}) == 1
    finally:
        failing.close()


@override_settings(KOKEMUS_WEBHOOK_ALLOW_PRIVATE=True, TASKS=IMMEDIATE)
def test_retry_succeeds_later(org, tree, version, django_capture_on_commit_callbacks):
    server = Receiver(status=503)
    try:
        do_create_webhook(SYSTEM, org, url=server.url, events=["response.created"])
        submit(tree, version, {"nps": 9}, django_capture_on_commit_callbacks)
        server.status = 200
        assert webhooks.retry_due_deliveries(timezone.now() + timedelta(minutes=2)) == 1
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    finally:
        server.close()


@override_settings(KOKEMUS_WEBHOOK_ALLOW_PRIVATE=False)
def test_private_targets_refused_in_production(org):
    for url in ["http://127.0.0.1/x", "http://localhost/x", "http://10.1.2.3/", "http://[::1]/",
                "http://169.254.169.254/latest", "ftp://example.com/", "file:///etc/passwd"]:
        with pytest.raises(ValidationError):
            do_create_webhook(SYSTEM, org, url=url, events=["response.created"])
    with pytest.raises(UnsafeURL):
        check_url_target("http://127.0.0.1:9/")


@override_settings(KOKEMUS_WEBHOOK_ALLOW_PRIVATE=False, TASKS=IMMEDIATE)
def test_delivery_rechecks_target(org, tree, version, django_capture_on_commit_callbacks):
    hook = Webhook.objects.create(organisation=org, url="http://127.0.0.1:9/", secret="s",
                                  events=["response.created"])
    submit(tree, version, {"nps": 9}, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.RETRYING
    assert "private" in delivery.last_error.lower()


@override_settings(KOKEMUS_WEBHOOK_ALLOW_PRIVATE=True)
def test_webhook_pages(admin_client, manager_client, outsider_client, org):
    url = reverse("api_webhook_create", args=[org.slug])
    r = admin_client.post(url, {"url": "https://hooks.example.com/k",
                                "events": ["response.created"]})
    assert r.status_code == 200
    hook = Webhook.objects.get()
    assert hook.secret in r.content.decode()
    assert hook.secret not in admin_client.get(
        reverse("api_token_list", args=[org.slug])).content.decode()
    assert AuditLog.objects.filter(action="webhook.create").exists()
    WebhookDelivery.objects.create(organisation=org, webhook=hook, event="response.created",
                                   status="retrying", attempts=1, last_status_code=500,
                                   last_error="HTTP 500")
    log = reverse("api_webhook_deliveries", args=[org.slug])
    r = admin_client.get(log, {"webhook": hook.pk})
    assert r.status_code == 200 and "HTTP 500" in r.content.decode()
    assert manager_client.get(log).status_code == 403
    assert outsider_client.get(log).status_code == 404
    admin_client.post(reverse("api_webhook_toggle", args=[org.slug, hook.pk]))
    hook.refresh_from_db()
    assert not hook.is_active
    r = admin_client.post(url, {"url": "ftp://x.example", "events": []})
    assert r.status_code == 400
    admin_client.post(reverse("api_webhook_delete", args=[org.slug, hook.pk]))
    assert not Webhook.objects.exists()
