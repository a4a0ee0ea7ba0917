from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.invitations.models import InvitationSettings


class VisitUploadForm(forms.Form):
    file = forms.FileField(label=_("Visits file (CSV or XLSX)"), help_text=_(
        "Columns: unit (name or id), touchpoint (key or id), time, email and/or phone, "
        "language, external_id."))


class InvitationSettingsForm(forms.ModelForm):
    class Meta:
        model = InvitationSettings
        fields = ["delay_minutes", "reminder_enabled", "reminder_after_days", "quiet_start",
                  "quiet_end", "contact_frequency_days", "link_valid_days"]
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
