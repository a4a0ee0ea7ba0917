from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Role, Sector, UnitKind


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


def unit_choices(units, *, empty: str | None = None):
    """Indented unit names, so the tree shows in a plain <select>."""
    choices = [("", empty)] if empty is not None else []
    choices += [(u.pk, "\u2003" * u.depth + u.name) for u in units]
    return choices


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.TypedChoiceField(label=_("Belongs to"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices, initial=UnitKind.SITE)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = unit_choices(parents)


class UnitRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)


class UnitMoveForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("Move under"), coerce=int)

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = unit_choices(parents)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)
    unit = forms.TypedChoiceField(label=_("Unit scope"), coerce=int, required=False,
                                  empty_value=None,
                                  help_text=_("Managers and staff see this unit and the "
                                              "units below it."))

    def __init__(self, *args, units=(), roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units, empty=_("Whole organisation"))
        if roles is not None:
            self.fields["role"].choices = [c for c in Role.choices if c[0] in roles]


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = forms.TypedChoiceField(label=_("Unit scope"), coerce=int, required=False,
                                  empty_value=None)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units, empty=_("Whole organisation"))


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), strip=False,
        help_text=_("At least 10 characters; not a common password."))
