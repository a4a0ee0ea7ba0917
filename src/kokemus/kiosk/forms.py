from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.journeys.i18n import pick


class KioskForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("For example “Tablet by the door”."))
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    collection_point = forms.TypedChoiceField(
        label=_("Collection point"), required=False, coerce=int, empty_value=None,
        help_text=_("An existing collection point of the unit. Or leave empty and choose a "
                    "survey: a kiosk collection point is then created."))
    survey = forms.TypedChoiceField(label=_("Survey"), required=False, coerce=int,
                                    empty_value=None)

    def __init__(self, *args, units=(), points=(), surveys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["collection_point"].choices = [("", _("New kiosk collection point"))] + [
            (cp.pk, f"{cp.unit.name} · {pick(cp.survey.name)} · {cp.code} "
                    f"({cp.get_channel_display()})") for cp in points]
        self.fields["survey"].choices = [("", "—")] + [(s.pk, pick(s.name)) for s in surveys]

    def clean(self):
        data = super().clean()
        if not data.get("collection_point") and not data.get("survey"):
            self.add_error("survey", _("Choose a collection point or a survey."))
        return data
