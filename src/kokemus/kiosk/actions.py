"""Every state change of kiosk devices: ``do_*`` functions, audited (except sync stamps)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation, Unit
from kokemus.kiosk.models import KioskDevice, hash_token
from kokemus.surveys.models import CollectionChannel, CollectionPoint, Survey, SurveyStatus

NAME_MAX = 100


def new_token() -> str:
    """A URL-safe random token (256 bits)."""
    return secrets.token_urlsafe(32)


@transaction.atomic
def do_register_kiosk(actor: Actor, org: Organisation, *, unit: Unit, name: str,
                      collection_point: CollectionPoint | None = None,
                      survey: Survey | None = None) -> tuple[KioskDevice, str]:
    """Register a kiosk for ``unit``; returns ``(device, raw_token)``.

    Give an existing collection point of the unit, or a published survey: then a new
    collection point with the kiosk channel is created for the unit.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the kiosk a name.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": NAME_MAX}})
    if unit.organisation_id != org.pk:
        raise ValidationError({"unit": _("Choose a unit of this organisation.")})
    if unit.archived_at is not None:
        raise ValidationError({"unit": _("An archived unit cannot collect feedback.")})
    if collection_point is None and survey is None:
        raise ValidationError({"collection_point": _("Choose a collection point or a "
                                                     "survey.")})
    if collection_point is not None:
        if collection_point.organisation_id != org.pk or collection_point.unit_id != unit.pk:
            raise ValidationError({"collection_point": _("Choose a collection point of the "
                                                         "chosen unit.")})
    else:
        if survey.organisation_id != org.pk or survey.status != SurveyStatus.PUBLISHED \
                or survey.archived_at is not None:
            raise ValidationError({"survey": _("Choose a published survey.")})
        from kokemus.surveys.actions import do_create_collection_point

        collection_point = do_create_collection_point(actor, survey, unit=unit,
                                                      channel=CollectionChannel.KIOSK)
    token = new_token()
    device = KioskDevice.objects.create(organisation=org, unit=unit,
                                        collection_point=collection_point, name=name,
                                        token_hash=hash_token(token))
    record(actor, "kiosk.register", device, organisation=org,
           changes={"name": name, "unit": unit.pk, "collection_point": collection_point.pk})
    return device, token


@transaction.atomic
def do_revoke_kiosk(actor: Actor, device: KioskDevice) -> KioskDevice:
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        record(actor, "kiosk.revoke", device, organisation=device.organisation,
               changes={"revoked_at": device.revoked_at})
    return device


def do_record_kiosk_seen(device: KioskDevice, *, synced: int | None = None) -> None:
    """Stamp a device's last contact (and sync). Not audited: it is telemetry, not a change
    made by a person, and it happens on every sync."""
    now = timezone.now()
    fields: dict = {"last_seen_at": now}
    if synced is not None:
        fields["last_sync_at"] = now
        fields["synced_count"] = F("synced_count") + synced
    KioskDevice.objects.filter(pk=device.pk).update(**fields)
