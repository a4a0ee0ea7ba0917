"""State changes of the API app: tokens and webhooks (each in a transaction, audited)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation
from kokemus.api.models import ApiToken, TokenScope, Webhook, WebhookEvent
from kokemus.api.netguard import UnsafeURL, check_url_syntax

TOKEN_PREFIX = "kok_"
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def do_create_token(actor: Actor, org: Organisation, *, name: str,
                    scope: str = TokenScope.READ) -> tuple[ApiToken, str]:
    """Create a token; returns ``(token, raw)``. The raw token is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("Use at most 100 characters.")})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": _("Choose read or write.")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(organisation=org, name=name, scope=scope,
                                    prefix=raw[:12], token_hash=hash_token(raw),
                                    created_by=actor.user)
    record(actor, "api_token.create", token, organisation=org,
           changes={"name": name, "scope": scope, "prefix": token.prefix})
    return token, raw


@transaction.atomic
def do_revoke_token(actor: Actor, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor, "api_token.revoke", token, organisation=token.organisation,
               changes={"prefix": token.prefix})
    return token


def authenticate_token(raw: str) -> ApiToken | None:
    """The active token for a raw bearer value, or None. Updates last_used_at (coarsely)."""
    if not raw or len(raw) > 200:
        return None
    token = (ApiToken.objects.select_related("organisation")
             .filter(token_hash=hash_token(raw), revoked_at__isnull=True,
                     organisation__archived_at__isnull=True).first())
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # Not audited: usage bookkeeping, not a change made by a person.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _clean_events(events) -> list[str]:
    events = [e for e in (events or []) if e in WebhookEvent.values]
    if not events:
        raise ValidationError({"events": _("Choose at least one event.")})
    return sorted(set(events))


@transaction.atomic
def _webhooks_changed() -> None:
    from kokemus.api.webhooks import forget_webhook_cache

    transaction.on_commit(forget_webhook_cache)
    forget_webhook_cache()


def do_create_webhook(actor: Actor, org: Organisation, *, url: str,
                      events: list[str]) -> Webhook:
    """Create a webhook with a generated signing secret (shown to the administrator once)."""
    url = (url or "").strip()
    try:
        check_url_syntax(url)
    except UnsafeURL as exc:
        raise ValidationError({"url": str(exc)}) from None
    events = _clean_events(events)
    hook = Webhook.objects.create(organisation=org, url=url, events=events,
                                  secret="whsec_" + secrets.token_urlsafe(32),
                                  created_by=actor.user)
    _webhooks_changed()
    record(actor, "webhook.create", hook, organisation=org,
           changes={"url": url, "events": events})
    return hook


@transaction.atomic
def do_set_webhook_active(actor: Actor, hook: Webhook, active: bool) -> Webhook:
    hook = Webhook.objects.select_for_update().get(pk=hook.pk)
    if hook.is_active != active:
        hook.is_active = active
        hook.save(update_fields=["is_active"])
        _webhooks_changed()
        record(actor, "webhook.activate" if active else "webhook.deactivate", hook,
               organisation=hook.organisation, changes={"is_active": active})
    return hook


@transaction.atomic
def do_delete_webhook(actor: Actor, hook: Webhook) -> None:
    org = hook.organisation
    _webhooks_changed()
    record(actor, "webhook.delete", hook, organisation=org,
           changes={"url": hook.url, "events": hook.events})
    hook.delete()
