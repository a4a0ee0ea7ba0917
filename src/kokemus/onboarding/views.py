"""The onboarding wizard, sign-up, the live first-response counter and the style guide.

Views stay thin: parse the form, call an action from ``actions.py``, render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Membership, Role
from kokemus.accounts.permissions import org_view
from kokemus.onboarding import actions
from kokemus.onboarding.forms import BasicsForm, InviteForm, PromiseForm, SignUpForm, UnitsForm
from kokemus.onboarding.models import StepState
from kokemus.onboarding.promises import examples
from kokemus.onboarding.steps import BY_KEY, STEP_KEYS, STEPS, next_step, previous_step

MAX_UPLOAD = 1024 * 1024


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def signup_allowed() -> bool:
    return bool(getattr(settings, "KOKEMUS_ALLOW_SIGNUP", True))


# --- Sign-up ---------------------------------------------------------------------------

def signup(request):
    if not signup_allowed():
        raise Http404
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        language = (get_language() or "fi")[:2]
        if language not in {code for code, _n in settings.LANGUAGES}:
            language = "fi"
        try:
            user, org = actions.do_sign_up(
                Actor.from_request(request), full_name=data["full_name"], email=data["email"],
                password=data["password"], organisation_name=data["organisation_name"],
                language=language)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("onboarding_start", org_slug=org.slug)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "onboarding/signup.html", {"form": form}, status=status)


# --- Wizard ----------------------------------------------------------------------------

@org_view(Role.ADMIN)
def start(request):
    """Resume the wizard at the first step still to do."""
    progress = actions.progress_for(request.org)
    for key in STEP_KEYS:
        if progress.state(key) == StepState.TODO:
            return redirect("onboarding_step", org_slug=request.org.slug, step=key)
    return redirect("onboarding_step", org_slug=request.org.slug, step=STEP_KEYS[-1])


def _go_next(request, step: str):
    nxt = next_step(step)
    if nxt is None:
        return redirect("org_home", org_slug=request.org.slug)
    return redirect("onboarding_step", org_slug=request.org.slug, step=nxt)


def _step_context(request, step: str) -> dict:
    from kokemus.surveys.models import CollectionPoint

    org = request.org
    ctx: dict = {}
    if step == "units":
        ctx["units"] = actions.collection_units(org)
    elif step == "journey":
        from kokemus.journeys.i18n import pick
        from kokemus.journeys.templates_data import SECTOR_DEFAULT_TEMPLATE, get_template

        journey = actions.onboarding_journey(org)
        ctx["journey"] = journey
        if journey is None:
            tpl = get_template(SECTOR_DEFAULT_TEMPLATE.get(org.sector, "generic_service"))
            lang = get_language()
            ctx["template_name"] = pick(tpl.get("name", {}), lang)
            ctx["template_stages"] = [pick(s.get("name", {}), lang)
                                      for s in tpl.get("stages", [])]
    elif step == "surveys":
        ctx["touchpoints"] = actions.key_touchpoints(org)
        ctx["units"] = actions.collection_units(org)
        ctx["points"] = _points(org)
    elif step == "promise":
        ctx["examples"] = examples(get_language())
    elif step in ("posters", "live"):
        ctx["points"] = _points(org)
        if step == "live":
            ctx.update(_live_context(request, ctx["points"]))
    ctx["has_points"] = CollectionPoint.objects.filter(organisation=org).exists()
    return ctx


def _points(org):
    from kokemus.surveys.models import CollectionPoint

    return list(CollectionPoint.objects.filter(organisation=org, is_active=True)
                .select_related("unit", "touchpoint", "survey").order_by("id"))


def _live_context(request, points) -> dict:
    import segno

    from kokemus.surveys.public_views import public_url

    if not points:
        return {"live_point": None}
    cp = points[0]
    url = public_url(cp)
    # The inline SVG has no style attributes, so it passes the Content-Security-Policy.
    svg = segno.make(url, error="m").svg_inline(scale=6, border=2, omitsize=True,
                                                 dark="#000", light="#fff")
    return {"live_point": cp, "live_url": reverse("respond", args=[cp.code]),
            "live_full_url": url, "live_qr": svg, **_count_context(request)}


def _count_context(request) -> dict:
    from kokemus.responses.models import Response

    count = Response.objects.filter(organisation=request.org).count()
    if count:
        actions.do_set_step(Actor.from_request(request), request.org, "live", StepState.DONE)
    return {"response_count": count}


@org_view(Role.ADMIN)
def step_view(request, step: str):
    if step not in BY_KEY:
        raise Http404
    org = request.org
    actor = Actor.from_request(request)
    progress = actions.progress_for(org)
    form = None
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if "skip" in request.POST:
            actions.do_set_step(actor, org, step, StepState.SKIPPED)
            return _go_next(request, step)
        result = _handle_post(request, step, actor)
        if not isinstance(result, tuple):
            return result
        form, errors = result
        status = 400
    if form is None:
        form = _blank_form(request, step)
    context = {
        "step": BY_KEY[step], "steps": [(s, progress.state(s.key)) for s in STEPS],
        "step_number": STEP_KEYS.index(step) + 1, "step_total": len(STEPS),
        "state": progress.state(step), "form": form, "row_errors": errors,
        "previous": previous_step(step), "next": next_step(step),
        **_step_context(request, step),
    }
    return render(request, f"onboarding/steps/{step}.html", context, status=status)


def _blank_form(request, step: str):
    org = request.org
    if step == "organisation":
        return BasicsForm(initial={"name": org.name, "sector": org.sector})
    if step == "units":
        return UnitsForm()
    if step == "promise":
        from kokemus.goals.models import ServicePromise

        latest = ServicePromise.objects.filter(organisation=org).first()
        return PromiseForm(initial={f"promise_{k}": v for k, v in
                                    (latest.promise if latest else {}).items()})
    if step == "invite":
        return InviteForm()
    return None


def _handle_post(request, step: str, actor: Actor):
    """Run the step's action; a redirect on success, else (form, row errors)."""
    org = request.org
    if step == "organisation":
        form = BasicsForm(request.POST)
        if form.is_valid():
            try:
                actions.do_set_basics(actor, org, **form.cleaned_data)
                return _go_next(request, step)
            except ValidationError as exc:
                _add_errors(form, exc)
        return form, []
    if step == "units":
        form = UnitsForm(request.POST, request.FILES)
        if not form.is_valid():
            return form, []
        upload = form.cleaned_data.get("file")
        try:
            if upload is not None:
                if upload.size > MAX_UPLOAD:
                    raise ValidationError({"file": _("Upload at most 1 MB.")})
                rows = actions.parse_units_csv(upload.read())
            else:
                rows = actions.parse_unit_lines(form.cleaned_data.get("names", ""))
            units = actions.do_add_units(actor, org, rows)
        except ValidationError as exc:
            row_errors = exc.error_dict.pop("units", []) if hasattr(exc, "error_dict") else []
            if hasattr(exc, "error_dict") and exc.error_dict:
                _add_errors(form, exc)
            return form, [m for e in row_errors for m in e.messages]
        messages.success(request, _("%(count)s units added.") % {"count": len(units)})
        return _go_next(request, step)
    if step == "journey":
        actions.do_create_sector_journey(actor, org)
        return _go_next(request, step)
    if step == "surveys":
        if actions.onboarding_journey(org) is None:
            actions.do_create_sector_journey(actor, org)
        actions.do_create_default_surveys(actor, org)
        return _go_next(request, step)
    if step == "promise":
        form = PromiseForm(request.POST)
        if form.is_valid():
            texts = {lang: form.cleaned_data[f"promise_{lang}"] for lang in ("fi", "sv", "en")}
            try:
                actions.do_write_promise(actor, org, promise=texts)
                return _go_next(request, step)
            except ValidationError as exc:
                _add_errors(form, exc)
        return form, []
    if step in ("posters", "live"):
        actions.do_set_step(actor, org, step, StepState.DONE)
        return _go_next(request, step)
    if step == "invite":
        form = InviteForm(request.POST)
        if not form.is_valid():
            return form, []
        emails, errors = actions.parse_emails(form.cleaned_data["emails"])
        if errors:
            return form, errors
        try:
            invitations = actions.do_invite_staff(actor, org, emails)
        except ValidationError as exc:
            return form, [m for e in exc.error_dict.get("emails", []) for m in e.messages]
        messages.success(request, _("%(count)s invitations sent.") % {"count": len(invitations)})
        return _go_next(request, step)
    raise Http404


@never_cache
@org_view(Role.ADMIN)
def live_count(request):
    """The small fragment the live step polls every 2 s (htmx)."""
    context = _count_context(request)
    return render(request, "onboarding/_live_count.html", context)


@require_POST
@org_view(Role.ADMIN)
def dismiss(request):
    actions.do_dismiss_checklist(Actor.from_request(request), request.org)
    return redirect("org_home", org_slug=request.org.slug)


# --- Style guide -----------------------------------------------------------------------

@login_required
def styleguide(request):
    user = request.user
    if not (user.is_superuser or Membership.objects.active()
            .filter(user=user, role=Role.ADMIN).exists()):
        raise PermissionDenied
    from kokemus.onboarding.help import help_keys

    return render(request, "onboarding/styleguide.html", {
        "help_keys": help_keys(),
        "sample_rows": [("Kamppi", 412, "+46", "38–54"), ("Kallio", 97, "+31", "14–47"),
                        ("Oulu", 18, "—", "—")],
        "heat_levels": range(1, 6),
    })
