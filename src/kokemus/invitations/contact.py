"""Contact normalisation, keyed contact hashes and invitation link tokens.

``contact_hash(org_id, contact)`` = HMAC-SHA256(key, normalised contact) where
key = HMAC-SHA256(SECRET_KEY, "kokemus.invitations.contact:<org id>"). Without SECRET_KEY
the hash cannot be reversed by trying likely addresses, and the same person gets unrelated
hashes in different organisations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from django.conf import settings

from kokemus.surveys.questions import EMAIL_RE

PHONE_CHARS_RE = re.compile(r"[\s()\-./]")
PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalise_email(value: str) -> str:
    value = (value or "").strip().lower()
    return value if EMAIL_RE.match(value) and len(value) <= 254 else ""


def normalise_phone(value: str, default_country: str = "358") -> str:
    """E.164: +35840…; national numbers starting with 0 are taken as Finnish."""
    value = PHONE_CHARS_RE.sub("", (value or "").strip())
    if value.startswith("00"):
        value = "+" + value[2:]
    elif value.startswith("0"):
        value = f"+{default_country}{value[1:]}"
    elif value and value[0].isdigit():
        value = "+" + value
    return value if PHONE_RE.match(value) else ""


def _org_key(org_id: int) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(),
                    f"kokemus.invitations.contact:{org_id}".encode(), hashlib.sha256).digest()


def contact_hash(org_id: int, normalised_contact: str) -> str:
    return hmac.new(_org_key(org_id), normalised_contact.encode(), hashlib.sha256).hexdigest()


def _derive(purpose: str, salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"kokemus.invitations.{purpose}:{salt}"
                      .encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def link_token(salt: str) -> str:
    return _derive("link", salt)


def optout_token(salt: str) -> str:
    return _derive("optout", salt)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
