"""Forms of the improvement pages."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Unit
from kokemus.improvement.models import Idea, IdeaStatus, TargetMetric
from kokemus.journeys.i18n import pick
from kokemus.journeys.models import Touchpoint


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}),
                           required=False, max_length=4000)


class SettingsForm(forms.Form):
    due_working_days = forms.IntegerField(label=_("Working days to contact the customer"),
                                          min_value=1, max_value=30)
    retention_days = forms.IntegerField(
        label=_("Days contact details are kept after the case closes"), min_value=0,
        max_value=365)


class _TouchpointField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return pick(obj.name)


def _touchpoints(org):
    return Touchpoint.objects.filter(organisation=org, archived_at__isnull=True)


class IdeaForm(forms.Form):
    title = forms.CharField(label=_("Idea"), max_length=200)
    description = forms.CharField(label=_("Details"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    touchpoint = _TouchpointField(label=_("Touchpoint"), queryset=Touchpoint.objects.none(),
                                  required=False)
    theme = forms.CharField(label=_("Theme"), max_length=64, required=False,
                            help_text=_("For example “waiting” or “advice”."))

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = membership.visible_units().active()
        self.fields["touchpoint"].queryset = _touchpoints(membership.organisation)
        if membership.unit_id and not self.is_bound:
            self.initial.setdefault("unit", membership.unit_id)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=4000)


class IdeaMoveForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=IdeaStatus.choices)
    reason = forms.CharField(label=_("Reason (needed when declining)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    units = forms.ModelMultipleChoiceField(label=_("Units"), queryset=Unit.objects.none(),
                                           widget=forms.CheckboxSelectMultiple)
    touchpoint = _TouchpointField(label=_("Touchpoint"), queryset=Touchpoint.objects.none(),
                                  required=False)
    start_date = forms.DateField(label=_("Start date"),
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    target_metric = forms.ChoiceField(label=_("Target metric"), choices=TargetMetric.choices)
    expected_effect = forms.FloatField(
        label=_("Expected effect"), min_value=0.1, max_value=100,
        help_text=_("NPS points, or percentage points for the other metrics."))
    ideas = forms.ModelMultipleChoiceField(label=_("Ideas"), queryset=Idea.objects.none(),
                                           required=False, widget=forms.CheckboxSelectMultiple)
    goal = forms.ModelChoiceField(label=_("Goal"), queryset=None, required=False)
    themes = forms.CharField(label=_("Comment themes"), required=False,
                             help_text=_("Theme keys, separated by commas."))

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        org = membership.organisation
        self.fields["units"].queryset = membership.visible_units().active()
        self.fields["touchpoint"].queryset = _touchpoints(org)
        self.fields["ideas"].queryset = Idea.objects.filter(
            organisation=org, status__in=[IdeaStatus.ACCEPTED, IdeaStatus.IN_ACTION])
        from kokemus.goals.models import Goal

        self.fields["goal"].queryset = Goal.objects.filter(organisation=org,
                                                           archived_at__isnull=True)
        self.initial.setdefault("start_date", timezone.localdate())
        self.initial.setdefault("expected_effect", 5)

    def clean_themes(self):
        return [t.strip() for t in self.cleaned_data["themes"].split(",") if t.strip()]
