from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Unit, User
from kokemus.goals.models import Metric, PositiveMeasure, Scope
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.journeys.models import Touchpoint
from kokemus.surveys.questions import BEHAVIOURS

LANGUAGE_NAMES = {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}
BEHAVIOUR_NAMES = {"greeting": _("Greeting"), "friendliness": _("Friendliness"),
                   "attention": _("Personal attention"), "openness": _("Openness"),
                   "expertise": _("Expertise"), "waiting": _("Waiting")}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u2003" * max(0, obj.depth) + obj.name


class TouchpointChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return pick(obj.name)


class TouchpointsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return pick(obj.name)


class PromiseForm(forms.Form):
    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        for lang in LANGUAGES:
            self.fields[f"promise_{lang}"] = forms.CharField(
                label=_("Promise (%(language)s)") % {"language": LANGUAGE_NAMES[lang]},
                required=False, max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2, "lang": lang}),
                initial=(current.promise.get(lang, "") if current else ""))
        for lang in LANGUAGES:
            self.fields[f"intent_{lang}"] = forms.CharField(
                label=_("What experience we want customers to have (%(language)s)")
                % {"language": LANGUAGE_NAMES[lang]},
                required=False, max_length=3000,
                widget=forms.Textarea(attrs={"rows": 3, "lang": lang}),
                initial=(current.intent.get(lang, "") if current else ""))

    def texts(self, prefix: str) -> dict:
        return {lang: self.cleaned_data.get(f"{prefix}_{lang}", "") for lang in LANGUAGES}


class GoalForm(forms.Form):
    aim = forms.CharField(label=_("Aim in your own words"), required=False, max_length=300,
                          help_text=_("E.g. “Every customer leaves feeling welcome”."))
    metric = forms.ChoiceField(label=_("Metric"), required=False,
                               choices=[("", _("— choose —")), *Metric.choices])
    behaviour = forms.ChoiceField(
        label=_("Service behaviour (for the behaviour rating)"), required=False,
        choices=[("", "—"), *[(b, BEHAVIOUR_NAMES[b]) for b in BEHAVIOURS]])
    scope = forms.ChoiceField(label=_("Scope"), required=False,
                              choices=[("", _("— choose —")), *Scope.choices])
    unit = UnitChoice(label=_("Unit"), required=False, queryset=Unit.objects.none())
    touchpoint = TouchpointChoice(label=_("Touchpoint"), required=False,
                                  queryset=Touchpoint.objects.none())
    target = forms.FloatField(label=_("Target"), required=False,
                              help_text=_("NPS in points, CSAT/FFT/expectations in %, CES "
                                          "and behaviours as mean rating, follow-up in hours."))
    baseline_start = forms.DateField(label=_("Baseline from"), required=False,
                                     widget=DateInput())
    baseline_end = forms.DateField(label=_("Baseline to"), required=False, widget=DateInput())
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    owner = forms.ModelChoiceField(label=_("Owner"), required=False,
                                   queryset=User.objects.none())

    def __init__(self, *args, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        org_id = membership.organisation_id
        units = membership.visible_units().active()
        self.fields["unit"].queryset = units
        self.fields["touchpoint"].queryset = Touchpoint.objects.filter(
            organisation_id=org_id, archived_at__isnull=True).order_by("journey_id", "position")
        self.fields["owner"].queryset = User.objects.filter(
            memberships__organisation_id=org_id, is_active=True).order_by("full_name", "email")
        for name in ("target",):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_helptext"


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    unit = UnitChoice(label=_("Units (this unit and those below it)"),
                      queryset=Unit.objects.none())
    period_start = forms.DateField(label=_("Period from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period to"), widget=DateInput())
    positive_measure = forms.ChoiceField(label=_("What counts as a positive customer"),
                                         choices=PositiveMeasure.choices)
    touchpoints = TouchpointsChoice(label=_("Touchpoints"), queryset=Touchpoint.objects.none(),
                                    widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = membership.visible_units().active()
        self.fields["touchpoints"].queryset = Touchpoint.objects.filter(
            organisation_id=membership.organisation_id,
            archived_at__isnull=True).order_by("journey_id", "position")
