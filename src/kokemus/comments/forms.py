from django import forms
from django.utils.translation import gettext_lazy as _


class ThemeForm(forms.Form):
    key = forms.SlugField(label=_("Short key"), max_length=40,
                          help_text=_("For example: pharmacy_app"))
    label_fi = forms.CharField(label=_("Name in Finnish"), max_length=80)
    label_sv = forms.CharField(label=_("Name in Swedish"), max_length=80, required=False)
    label_en = forms.CharField(label=_("Name in English"), max_length=80, required=False)
    terms_fi = forms.CharField(label=_("Finnish words"), widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("Comma-separated basic forms, e.g. sovellus, appi"))
    terms_sv = forms.CharField(label=_("Swedish words"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    terms_en = forms.CharField(label=_("English words"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))


class RenameThemeForm(forms.Form):
    label_fi = forms.CharField(label=_("Name in Finnish"), max_length=80)
    label_sv = forms.CharField(label=_("Name in Swedish"), max_length=80, required=False)
    label_en = forms.CharField(label=_("Name in English"), max_length=80, required=False)


class MergeThemesForm(forms.Form):
    source = forms.ChoiceField(label=_("Merge this theme"))
    target = forms.ChoiceField(label=_("into this theme"))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = choices
        self.fields["target"].choices = choices
