"""Pluggable SMS sending, chosen by ``settings.SMS_BACKEND`` (a dotted class path).

* ``kokemus.invitations.sms.ConsoleSMSBackend`` (default): logs the message.
* ``kokemus.invitations.sms.HttpSMSBackend``: POSTs JSON ``{"to", "message", "sender"}``
  to ``settings.SMS_HTTP_URL`` with ``Authorization: Bearer <SMS_HTTP_API_KEY>``; optional
  ``SMS_SENDER`` and ``SMS_HTTP_TIMEOUT`` (seconds, default 10). Any 2xx answer is success.
* ``kokemus.invitations.sms.LocmemSMSBackend``: keeps messages in ``sms.outbox`` (tests).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("kokemus.sms")

DEFAULT_BACKEND = "kokemus.invitations.sms.ConsoleSMSBackend"
outbox: list[SMSMessage] = []


class SMSError(Exception):
    pass


@dataclass
class SMSMessage:
    to: str
    body: str


class BaseSMSBackend:
    def send(self, to: str, body: str) -> None:
        """Send one message or raise SMSError."""
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    def send(self, to: str, body: str) -> None:
        logger.warning("SMS to %s: %s", to, body)


class LocmemSMSBackend(BaseSMSBackend):
    def send(self, to: str, body: str) -> None:
        outbox.append(SMSMessage(to, body))


class HttpSMSBackend(BaseSMSBackend):
    def __init__(self, url: str | None = None, api_key: str | None = None,
                 sender: str | None = None, timeout: float | None = None):
        self.url = url or getattr(settings, "SMS_HTTP_URL", "")
        self.api_key = api_key if api_key is not None else getattr(settings,
                                                                    "SMS_HTTP_API_KEY", "")
        self.sender = sender if sender is not None else getattr(settings, "SMS_SENDER",
                                                                "kokemus")
        self.timeout = timeout or getattr(settings, "SMS_HTTP_TIMEOUT", 10)

    def send(self, to: str, body: str) -> None:
        if not self.url:
            raise SMSError("SMS_HTTP_URL is not set")
        data = json.dumps({"to": to, "message": body, "sender": self.sender}).encode()
        req = urllib.request.Request(self.url, data=data, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                if not 200 <= resp.status < 300:
                    raise SMSError(f"SMS gateway answered {resp.status}")
        except urllib.error.HTTPError as exc:
            raise SMSError(f"SMS gateway answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SMSError(f"SMS gateway unreachable: {exc}") from exc


def get_backend() -> BaseSMSBackend:
    return import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(to: str, body: str) -> None:
    get_backend().send(to, body)
