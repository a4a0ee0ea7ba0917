"""Home, language switch and health checks."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kokemus.accounts.actions import do_set_user_language
from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Membership


@login_required
def home(request):
    """Send the user to their organisation, or explain that they have none yet."""
    memberships = list(Membership.objects.active().filter(user=request.user)
                       .select_related("organisation"))
    if len(memberships) == 1:
        return redirect("org_home", org_slug=memberships[0].organisation.slug)
    return render(request, "web/home.html", {"memberships": memberships})


@require_POST
def set_language(request):
    """Switch the language (cookie, and the user's profile when logged in)."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language and check_for_language(language) and \
            language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            max_age=365 * 24 * 3600, samesite="Lax",
                            secure=settings.SESSION_COOKIE_SECURE)
        if request.user.is_authenticated:
            try:
                do_set_user_language(Actor.from_request(request), request.user, language)
            except ValidationError:
                pass
    return response


@never_cache
def healthz(request):
    """The process is up (no database access)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """The database answers and every migration is applied."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
    ok = not pending
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                        status=200 if ok else 503)
