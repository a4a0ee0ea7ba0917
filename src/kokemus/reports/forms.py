from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Membership, Role
from kokemus.reports.models import Frequency


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.name


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user} ({obj.user.email})"


class ScheduleForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=None)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices,
                                  initial=Frequency.MONTHLY)
    members = MemberChoiceField(label=_("Members"), queryset=None, required=False,
                                widget=forms.CheckboxSelectMultiple)
    emails = forms.CharField(label=_("Other e-mail addresses"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Separate addresses with commas or new lines."))

    def __init__(self, *args, units, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["members"].queryset = (
            Membership.objects.active().filter(organisation=org, user__is_active=True,
                                               role__in=[Role.ADMIN, Role.MANAGER, Role.STAFF])
            .select_related("user").order_by("user__full_name", "user__email"))


class PdfForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=None)
    month = forms.RegexField(label=_("Month"), regex=r"^\d{4}-\d{2}$",
                             widget=forms.DateInput(attrs={"type": "month"}))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
