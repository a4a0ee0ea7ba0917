"""Validating a kiosk's sync batch and storing its answers through ``do_submit_batch``.

The batch is ``{"responses": [{"idempotency_key", "submitted_at", "language", "answers",
"contact"?}, ...]}``. Each item gets ``{"key", "status": "created"|"duplicate"|"invalid",
"errors"}``. A repeated key (the kiosk retrying after a lost reply) is a "duplicate" and
stores nothing, so the kiosk can always retry safely.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.journeys.i18n import LANGUAGES
from kokemus.kiosk.models import KioskDevice
from kokemus.responses.actions import do_submit_batch
from kokemus.responses.models import ResponseChannel

MAX_ITEMS = 200
MAX_BYTES = 256 * 1024
KEY_MAX = 100
KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
FUTURE_SKEW = timedelta(minutes=5)
# Answers older than the device itself (minus clock skew) cannot be genuine.
PAST_SKEW = timedelta(minutes=5)
MAX_ANSWERS = 60
MAX_LIST = 40
MAX_TEXT = 10_000
STORED_KEY_MAX = 100


class BatchError(Exception):
    """The whole batch is unusable: respond with ``status`` and ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def parse_batch(data) -> list:
    if not isinstance(data, dict):
        raise BatchError(400, _("The body must be a JSON object with a “responses” list."))
    items = data.get("responses")
    if not isinstance(items, list):
        raise BatchError(400, _("The body must be a JSON object with a “responses” list."))
    if len(items) > MAX_ITEMS:
        raise BatchError(413, _("Send at most %(n)s responses at a time.") % {"n": MAX_ITEMS})
    return items


def stored_key(device: KioskDevice, key: str) -> str:
    """The idempotency key as stored: namespaced per device, at most 100 characters."""
    out = f"kiosk:{device.pk}:{key}"
    if len(out) > STORED_KEY_MAX:
        out = f"kiosk:{device.pk}:#{hashlib.sha256(key.encode()).hexdigest()[:64]}"
    return out


def _parse_time(raw, device: KioskDevice, errors: dict) -> datetime | None:
    if not isinstance(raw, str) or len(raw) > 40:
        errors["submitted_at"] = _("Give the answer time as an ISO 8601 string.")
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        errors["submitted_at"] = _("Give the answer time as an ISO 8601 string.")
        return None
    if timezone.is_naive(value):
        errors["submitted_at"] = _("The answer time needs a time zone.")
        return None
    now = timezone.now()
    if value > now + FUTURE_SKEW:
        errors["submitted_at"] = _("The answer time is in the future.")
        return None
    if value < device.created_at - PAST_SKEW:
        errors["submitted_at"] = _("The answer time is before the kiosk was registered.")
        return None
    return value


def _plain_value(value) -> bool:
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    return False


def _check_answers(raw, errors: dict) -> dict | None:
    if not isinstance(raw, dict):
        errors["answers"] = _("Answers must be an object keyed by question.")
        return None
    if len(raw) > MAX_ANSWERS:
        errors["answers"] = _("Too many answers.")
        return None
    for key, value in raw.items():
        ok = _plain_value(value) or (isinstance(value, list) and len(value) <= MAX_LIST
                                     and all(_plain_value(v) for v in value))
        if not ok or len(key) > 64:
            errors["answers"] = _("Each answer must be a number, a text or a list of them.")
            return None
    return raw


def _messages(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {str(k)[:100]: " ".join(str(m) for m in v) for k, v in
                exc.message_dict.items()}
    return {"answers": " ".join(exc.messages)}


def process_item(device: KioskDevice, item) -> dict:
    if not isinstance(item, dict):
        return {"key": None, "status": "invalid",
                "errors": {"item": _("Each response must be a JSON object.")}}
    errors: dict[str, str] = {}
    key = item.get("idempotency_key")
    if not isinstance(key, str) or not key:
        errors["idempotency_key"] = _("Each response needs an idempotency key.")
        key_out = None
    elif len(key) > KEY_MAX:
        errors["idempotency_key"] = _("The idempotency key is too long (at most %(n)s "
                                      "characters).") % {"n": KEY_MAX}
        key_out = key[:KEY_MAX]
    elif not KEY_RE.match(key):
        errors["idempotency_key"] = _("The idempotency key may contain only letters, "
                                      "digits and - _ . :")
        key_out = key
    else:
        key_out = key
    submitted_at = _parse_time(item.get("submitted_at"), device, errors)
    language = item.get("language")
    if language not in LANGUAGES:
        errors["language"] = _("Choose Finnish, Swedish or English.")
    answers = _check_answers(item.get("answers"), errors)
    contact = item.get("contact", "")
    if contact is None:
        contact = ""
    if not isinstance(contact, str) or len(contact) > 200:
        errors["contact"] = _("The contact details must be a short text.")
    if errors:
        return {"key": key_out, "status": "invalid", "errors": errors}
    return {"key": key_out, "status": "valid", "submit": {
        "collection_point": device.collection_point, "answers": answers, "language": language,
        "channel": ResponseChannel.KIOSK, "submitted_at": submitted_at,
        "idempotency_key": stored_key(device, key), "contact": contact}}


def process_batch(device: KioskDevice, items: list) -> list[dict]:
    """Check every item, then store the valid ones with ``do_submit_batch``: one
    transaction and bulk inserts, each item validated exactly as a single submission."""
    results = [process_item(device, item) for item in items]
    valid = [r for r in results if r["status"] == "valid"]
    stored = do_submit_batch([r.pop("submit") for r in valid])
    for result, outcome in zip(valid, stored, strict=True):
        if outcome.status == "invalid":
            result.update(status="invalid",
                          errors={k[:100]: " ".join(v) for k, v in outcome.errors.items()})
        else:
            result.update(status=outcome.status, errors={})
    return results
