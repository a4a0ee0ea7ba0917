from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Sector


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    organisation_name = forms.CharField(
        label=_("Organisation"), max_length=200,
        help_text=_("The pharmacy, clinic or care home, e.g. “Apteekki Aurinko”."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    email = forms.EmailField(label=_("E-mail address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               help_text=_("At least 10 characters; not a common password."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class BasicsForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices,
                               widget=forms.RadioSelect)


class UnitsForm(forms.Form):
    names = forms.CharField(
        label=_("Unit names, one per line"), required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For example each pharmacy of the chain, or each clinic of the hospital."))
    file = forms.FileField(label=_("…or upload a CSV file with a “name” column"),
                           required=False)


class PromiseForm(forms.Form):
    promise_fi = forms.CharField(label=_("Promise in Finnish"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    promise_sv = forms.CharField(label=_("Promise in Swedish"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    promise_en = forms.CharField(label=_("Promise in English"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))


class InviteForm(forms.Form):
    emails = forms.CharField(label=_("E-mail addresses, one per line"),
                             widget=forms.Textarea(attrs={"rows": 5}))
