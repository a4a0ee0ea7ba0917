"""Writing the audit log. Every ``do_*`` action calls :func:`record` in its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from kokemus.accounts.models import AuditLog, Organisation, User
from kokemus.web.clientip import client_ip


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; views build it from the request, the CLI from a user."""

    user: User | None = None
    ip: str | None = None

    @classmethod
    def from_request(cls, request) -> Actor:
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated \
            else None
        return cls(user=user, ip=client_ip(request) or None)

    @property
    def label(self) -> str:
        return self.user.email if self.user else "system"


SYSTEM = Actor()


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {f: _plain(getattr(obj, f)) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record(actor: Actor, action: str, obj: models.Model | None, *,
           organisation: Organisation | None = None,
           changes: dict[str, Any] | None = None) -> AuditLog:
    if organisation is None and obj is not None:
        organisation = getattr(obj, "organisation", None)
        if organisation is None and isinstance(obj, Organisation):
            organisation = obj
    return AuditLog.objects.create(
        organisation=organisation,
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        changes={k: _plain(v) for k, v in (changes or {}).items()},
        ip=actor.ip,
    )
