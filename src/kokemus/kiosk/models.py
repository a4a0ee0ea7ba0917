"""Kiosk devices: a unit's tablet showing one collection point's survey, offline-capable.

Only a SHA-256 hash of the device token is stored; the raw token is part of the kiosk URL
``/kiosk/<token>/`` and is shown once, when the device is registered.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation, Unit
from kokemus.surveys.models import CollectionPoint


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class KioskDeviceQuerySet(models.QuerySet["KioskDevice"]):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def by_token(self, token: str):
        """The active device with this raw token, or None."""
        if not token or len(token) > 128:
            return None
        return (self.active().select_related("organisation", "unit", "collection_point",
                                             "collection_point__survey",
                                             "collection_point__unit",
                                             "collection_point__touchpoint")
                .filter(token_hash=hash_token(token)).first())


class KioskDevice(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="kiosk_devices")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="kiosk_devices",
                             verbose_name=_("unit"))
    collection_point = models.ForeignKey(CollectionPoint, on_delete=models.PROTECT,
                                         related_name="kiosk_devices",
                                         verbose_name=_("collection point"))
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    synced_count = models.PositiveIntegerField(default=0)

    objects = KioskDeviceQuerySet.as_manager()

    class Meta:
        ordering = ["revoked_at", "unit__path", "name", "id"]
        indexes = [models.Index(fields=["organisation", "unit"])]
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")

    def __str__(self) -> str:
        return f"{self.name} · {self.unit}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
