"""The dashboard filter form (GET): period, unit subtree, touchpoint, channel, language.

Options are restricted to what the member may see: units from
``membership.visible_units()``, touchpoints of the organisation.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.analytics.queries import METRICS, Filters, local_today
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.responses.models import ResponseChannel

PERIODS = [("30", _("Last 30 days")), ("90", _("Last 90 days")), ("365", _("Last 365 days")),
           ("custom", _("Custom"))]
LANGUAGE_NAMES = {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}
MAX_DAYS = 5 * 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class FilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None)
    touchpoint = forms.TypedChoiceField(label=_("Touchpoint"), coerce=int, required=False,
                                        empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels")), *ResponseChannel.choices])
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("All languages")),
                                          *[(c, LANGUAGE_NAMES[c]) for c in LANGUAGES]])

    def __init__(self, data, *, org, membership, units: list, touchpoints: list,
                 extra: dict | None = None):
        super().__init__(data)
        self.org, self.membership, self.units = org, membership, units
        # Admins (and unscoped members) see every unit: the unit filter can then be dropped
        # when the whole organisation is selected.
        self.org_unit_count = (len(units) if membership.role == "admin"
                               or membership.unit_id is None else 0)
        self.default_unit = (membership.unit if membership.unit_id and membership.role != "admin"
                             else next((u for u in units if u.parent_id is None), units[0]))
        base_depth = min((u.depth for u in units), default=0)
        self.fields["unit"].choices = [
            (u.pk, "\u2003" * (u.depth - base_depth) + u.name) for u in units]
        groups: dict = {}
        for t in touchpoints:
            groups.setdefault(pick(t.journey.name), []).append((t.pk, pick(t.name)))
        self.fields["touchpoint"].choices = [("", _("All touchpoints")), *groups.items()]
        self.touchpoints = {t.pk: t for t in touchpoints}
        today = local_today(org)
        self.initial = {"period": "90", "unit": self.default_unit.pk,
                        "start": today - timedelta(days=89), "end": today}
        for name, fld in (extra or {}).items():
            self.fields[name] = fld

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                self.add_error("start", _("Give both dates for a custom period."))
            elif start > end:
                self.add_error("end", _("The end date must not be before the start date."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("start", _("The period can be at most five years."))
        return data

    def filters(self) -> Filters:
        """The validated filters (defaults for anything not given)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        today = local_today(self.org)
        period = data.get("period") or "90"
        if period == "custom" and data.get("start") and data.get("end"):
            start, end = data["start"], data["end"]
        else:
            period = period if period != "custom" else "90"
            end = today
            start = today - timedelta(days=int(period) - 1)
        units_by_pk = {u.pk: u for u in self.units}
        unit = units_by_pk.get(data.get("unit")) or self.default_unit
        return Filters(org=self.org, unit=unit, units=self.units, start=start, end=end,
                       period=period, touchpoint_id=data.get("touchpoint"),
                       channel=data.get("channel") or "", language=data.get("language") or "",
                       org_unit_count=self.org_unit_count)


def metric_field(choices=None, label=None) -> forms.ChoiceField:
    keys = choices or list(METRICS)
    return forms.ChoiceField(label=label or _("Score"), required=False,
                             choices=[(k, METRICS[k].label) for k in keys])
