from __future__ import annotations

from kokemus.accounts.models import Membership
from kokemus.web import nav


def navigation(request):
    """The user's organisations (for the switcher) and the current one, if any."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        from django.conf import settings

        return {"allow_signup": settings.KOKEMUS_ALLOW_SIGNUP}
    memberships = getattr(request, "_nav_memberships", None)
    if memberships is None:
        memberships = list(Membership.objects.active().filter(user=user)
                           .select_related("organisation").order_by("organisation__name"))
        request._nav_memberships = memberships
    org = getattr(request, "org", None)
    membership = getattr(request, "membership", None)
    return {
        "nav_memberships": memberships,
        "current_org": org,
        "current_membership": membership,
        "org_nav": nav.items_for(request, org, membership) if org is not None else [],
    }
