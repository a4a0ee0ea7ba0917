"""Who may open which organisation page.

Every organisation page is under ``/o/<org_slug>/``. A user who is not a member of
that organisation gets 404 — never 403 — so that other organisations' existence and
data are not revealed. Inside the organisation, a role below the page's minimum gets 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from kokemus.accounts.models import Membership, Role, Unit


def org_view(min_role: str = Role.STAFF):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, org_slug: str, *args, **kwargs):
            membership = (Membership.objects.active()
                          .select_related("organisation", "unit")
                          .filter(user=request.user, organisation__slug=org_slug).first())
            if membership is None:
                raise Http404
            request.org = membership.organisation
            request.membership = membership
            if not membership.has_role(min_role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.min_role = min_role
        return wrapper

    return decorator


def visible_unit_or_404(request, pk) -> Unit:
    """A unit of the current organisation inside the member's scope, else 404."""
    unit = get_object_or_404(Unit.objects.select_related("parent"), pk=pk,
                             organisation=request.org)
    if not request.membership.can_see_unit(unit):
        raise Http404
    return unit


def manageable_unit_or_404(request, pk) -> Unit:
    unit = visible_unit_or_404(request, pk)
    if not request.membership.can_manage_unit(unit):
        raise PermissionDenied
    return unit
