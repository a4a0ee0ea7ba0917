"""Forms of the journey editor. Texts are edited in the page's language; the name can
also be given in the other two languages (fi/sv/en are stored side by side)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kokemus.journeys.i18n import LANGUAGES
from kokemus.journeys.models import Channel

LANGUAGE_NAMES = {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}


def current_lang(language: str | None) -> str:
    code = (language or "fi")[:2]
    return code if code in LANGUAGES else "fi"


class NameFieldsMixin:
    """``name_<lang>`` fields: the page's language required, the other two optional."""

    def add_name_fields(self, language: str, initial: dict | None, max_length: int = 200):
        self.language = current_lang(language)
        initial = initial or {}
        ordered = [self.language] + [c for c in LANGUAGES if c != self.language]
        for code in ordered:
            label = (_("Name") if code == self.language
                     else _("Name in %(language)s") % {"language": LANGUAGE_NAMES[code]})
            self.fields[f"name_{code}"] = forms.CharField(
                label=label, max_length=max_length, required=code == self.language,
                initial=initial.get(code, ""))
        self.other_languages = ordered[1:]

    def name_value(self) -> dict:
        return {code: self.cleaned_data.get(f"name_{code}", "") for code in LANGUAGES}

    @property
    def name_field(self):
        return self[f"name_{self.language}"]

    @property
    def other_name_fields(self):
        return [self[f"name_{c}"] for c in self.other_languages]

    def add_action_errors(self, exc) -> None:
        """Attach an action's ValidationError; ``name`` goes to the page-language field."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                if field == "name":
                    field = f"name_{self.language}"
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class StageForm(NameFieldsMixin, forms.Form):
    def __init__(self, *args, language=None, initial_name=None, prefix=None, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.add_name_fields(language, initial_name, max_length=200)


class TouchpointForm(NameFieldsMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices,
                                initial=Channel.PHYSICAL)
    owner_role = forms.CharField(label=_("Responsible role"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    moment_that_matters = forms.BooleanField(label=_("Moment that matters"), required=False)

    def __init__(self, *args, language=None, touchpoint=None, prefix=None, **kwargs):
        lang = current_lang(language)
        if touchpoint is not None and "initial" not in kwargs and not args:
            kwargs["initial"] = {
                "channel": touchpoint.channel,
                "owner_role": (touchpoint.owner_role or {}).get(lang, ""),
                "description": (touchpoint.description or {}).get(lang, ""),
                "moment_that_matters": touchpoint.moment_that_matters,
            }
        super().__init__(*args, prefix=prefix, **kwargs)
        self.add_name_fields(lang, touchpoint.name if touchpoint is not None else None)
        # Name fields first, as on the page.
        order = [f"name_{self.language}", *[f"name_{c}" for c in self.other_languages],
                 "channel", "owner_role", "description", "moment_that_matters"]
        self.order_fields(order)


class JourneyForm(NameFieldsMixin, forms.Form):
    persona = forms.CharField(label=_("Customer type"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, language=None, journey=None, **kwargs):
        lang = current_lang(language)
        if journey is not None and not args:
            kwargs.setdefault("initial", {
                "persona": (journey.persona or {}).get(lang, ""),
                "description": (journey.description or {}).get(lang, ""),
            })
        super().__init__(*args, **kwargs)
        self.add_name_fields(lang, journey.name if journey is not None else None)
        self.order_fields([f"name_{self.language}",
                           *[f"name_{c}" for c in self.other_languages],
                           "persona", "description"])


class UnitsForm(forms.Form):
    units = forms.TypedMultipleChoiceField(label=_("Applied to units"), coerce=int,
                                           required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(u.pk, u.name) for u in units]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Journey file (JSON)"),
                           help_text=_("A file exported from kokemus with “Export JSON”."))
    units = forms.TypedMultipleChoiceField(label=_("Apply to units"), coerce=int,
                                           required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(u.pk, u.name) for u in units]
