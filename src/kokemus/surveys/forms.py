from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.journeys.i18n import pick
from kokemus.surveys.models import CollectionChannel
from kokemus.surveys.questions import QUESTION_TYPES, survey_templates, type_info


def template_choices():
    return [(key, pick(tpl["name"])) for key, tpl in survey_templates().items()]


def type_choices():
    return [(t, pick(type_info(t)["label"])) for t in QUESTION_TYPES]


class NewSurveyForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"), widget=forms.RadioSelect)
    touchpoint = forms.TypedChoiceField(label=_("Touchpoint"), required=False, coerce=int,
                                        empty_value=None)
    units = forms.TypedMultipleChoiceField(label=_("Units"), required=False, coerce=int,
                                           widget=forms.CheckboxSelectMultiple)
    channel = forms.ChoiceField(label=_("Channel"), choices=CollectionChannel.choices,
                                initial=CollectionChannel.QR)
    name = forms.CharField(label=_("Name (optional)"), required=False, max_length=200)

    def __init__(self, *args, touchpoints=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = template_choices()
        self.fields["template"].initial = "nps_why_consent"
        self.fields["touchpoint"].choices = [("", _("No touchpoint"))] + [
            (tp.pk, f"{tp.journey} › {tp}") for tp in touchpoints]
        self.fields["units"].choices = [(u.pk, u.name) for u in units]


class CollectionPointForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    touchpoint = forms.TypedChoiceField(label=_("Touchpoint"), required=False, coerce=int,
                                        empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=CollectionChannel.choices)

    def __init__(self, *args, touchpoints=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["touchpoint"].choices = [("", _("No touchpoint"))] + [
            (tp.pk, f"{tp.journey} › {tp}") for tp in touchpoints]


class AddQuestionForm(forms.Form):
    type = forms.ChoiceField(label=_("Question type"))
    behaviour = forms.ChoiceField(label=_("Service behaviour"), required=False, choices=[
        ("", "—"), ("greeting", _("Greeting")), ("friendliness", _("Friendliness")),
        ("attention", _("Personal attention")), ("openness", _("Openness")),
        ("expertise", _("Expertise")), ("waiting", _("Waiting time"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()
