from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.api.models import TokenScope, WebhookEvent


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Which system uses the token, e.g. “Pharmacy system”."))
    scope = forms.ChoiceField(label=_("Permission"), choices=TokenScope.choices,
                              initial=TokenScope.READ,
                              help_text=_("Write tokens can also submit responses."))


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("Address (URL)"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("Events"), choices=WebhookEvent.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       initial=[WebhookEvent.RESPONSE_CREATED])
