"""Per-organisation retention and security policy, and TOTP devices for two-factor login."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Organisation

DEFAULT_FREE_TEXT_MONTHS = 24
DEFAULT_CONTACT_MONTHS = 12


class RetentionPolicy(models.Model):
    """How long an organisation keeps free text and contact details (absent = defaults).

    Scores, choices and the rollup counts are kept; only the personal parts go.
    0 months means "keep until erased by hand".
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="retention_policy")
    free_text_months = models.PositiveSmallIntegerField(
        _("keep comments (months)"), default=DEFAULT_FREE_TEXT_MONTHS,
        help_text=_("Comments are blanked after this many months. 0 keeps them."))
    contact_months = models.PositiveSmallIntegerField(
        _("keep contact details (months)"), default=DEFAULT_CONTACT_MONTHS,
        help_text=_("Contact details given for follow-up are erased after this many "
                    "months. 0 keeps them."))
    require_2fa_for_admins = models.BooleanField(
        _("require two-step verification for administrators"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"retention of {self.organisation_id}"


class TOTPDevice(models.Model):
    """An authenticator app of a user (RFC 6238, 30 s steps, 6 digits)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="totp_device")
    key = models.CharField(max_length=80)  # hex secret (20 bytes)
    confirmed = models.BooleanField(default=False)
    last_t = models.BigIntegerField(default=-1)  # the last accepted time step (no replay)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"
