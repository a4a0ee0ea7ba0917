"""Real transports: an SMTP server on loopback (aiosmtpd) and a fake HTTP SMS gateway."""

import json
import socket
import threading
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.test import override_settings

from kokemus.accounts.audit import SYSTEM
from kokemus.invitations import actions
from kokemus.invitations.sms import HttpSMSBackend, SMSError
from tests.invitations.conftest import local


class Collect(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server():
    handler = Collect()
    with socket.socket() as probe:  # a free loopback port (aiosmtpd cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_invitation_through_real_smtp_server(tree, point, smtp_server):
    controller, handler = smtp_server
    port = controller.port
    when = local(2025, 3, 3, 10, 0)
    with time_machine.travel(when, tick=False):
        actions.do_record_visit_event(SYSTEM, tree.org, unit=tree.kamppi,
                                      touchpoint=point.touchpoint, occurred_at=when,
                                      email="potilas@example.fi", language="en")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False,
                           EMAIL_USE_SSL=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="",
                           EMAIL_TIMEOUT=10), \
            time_machine.travel(local(2025, 3, 3, 12, 0), tick=False):
        assert actions.send_due()["sent"] == 1
    assert len(handler.messages) == 1
    msg = handler.messages[0]
    assert msg["To"] == "potilas@example.fi"
    subject = str(make_header(decode_header(msg["Subject"])))
    assert subject == "Tell us about your visit – Apteekki Testi"
    body = msg.get_payload(decode=True).decode()
    assert "https://palaute.example/i/" in body
    assert msg["List-Unsubscribe"].strip().startswith("<https://palaute.example/optout/")


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 202

    def do_POST(self):  # noqa: N802
        length = int(self.headers["Content-Length"])
        Gateway.received.append({"auth": self.headers["Authorization"],
                                 "body": json.loads(self.rfile.read(length))})
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.received = []
    Gateway.status = 202
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()


def test_http_sms_backend_posts_json(gateway):
    HttpSMSBackend(url=gateway, api_key="k3y", sender="Apteekki").send("+358401234567", "Hei")
    assert Gateway.received == [{"auth": "Bearer k3y", "body": {
        "to": "+358401234567", "message": "Hei", "sender": "Apteekki"}}]
    Gateway.status = 500
    with pytest.raises(SMSError):
        HttpSMSBackend(url=gateway, api_key="k3y").send("+358401234567", "Hei")


def test_sms_invitation_through_http_backend_and_retry(tree, point, gateway, settings):
    settings.SMS_BACKEND = "kokemus.invitations.sms.HttpSMSBackend"
    settings.SMS_HTTP_URL = gateway
    settings.SMS_HTTP_API_KEY = "secret"
    when = local(2025, 3, 3, 10, 0)
    with time_machine.travel(when, tick=False):
        event, _ = actions.do_record_visit_event(SYSTEM, tree.org, unit=tree.kamppi,
                                                 touchpoint=point.touchpoint, occurred_at=when,
                                                 phone="+358 40 765 4321")
    Gateway.status = 503
    with time_machine.travel(local(2025, 3, 3, 12, 0), tick=False):
        assert actions.send_due()["failed"] == 1
    event.invitation.refresh_from_db()
    assert event.invitation.attempts == 1 and event.invitation.status == "scheduled"
    Gateway.status = 200
    with time_machine.travel(local(2025, 3, 3, 12, 20), tick=False):
        assert actions.send_due()["sent"] == 1
    assert Gateway.received[-1]["body"]["to"] == "+358407654321"
    assert "https://palaute.example/i/" in Gateway.received[-1]["body"]["message"]
