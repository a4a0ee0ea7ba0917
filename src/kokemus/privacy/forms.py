from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.privacy.actions import MAX_MONTHS


class PolicyForm(forms.Form):
    free_text_months = forms.IntegerField(label=_("Keep comments (months)"), min_value=0,
                                          max_value=MAX_MONTHS,
                                          help_text=_("0 keeps them until erased by hand."))
    contact_months = forms.IntegerField(label=_("Keep contact details (months)"), min_value=0,
                                        max_value=MAX_MONTHS,
                                        help_text=_("0 keeps them until erased by hand."))
    require_2fa_for_admins = forms.BooleanField(
        label=_("Require two-step verification for administrators"), required=False)


class RespondentForm(forms.Form):
    token = forms.CharField(label=_("Respondent code"), max_length=100, required=False)
    contact = forms.CharField(label=_("E-mail address or phone number"), max_length=254,
                              required=False)
    delete_responses = forms.BooleanField(
        label=_("Also delete the responses (the counts on dashboards decrease)"),
        required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("token") or "").strip() and not (data.get("contact") or "").strip():
            raise forms.ValidationError(_("Give the respondent code or the contact."))
        return data


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Six-digit code from your authenticator app"),
                           max_length=10, widget=forms.TextInput(
                               attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
