"""The public privacy page, the organisation's privacy settings and respondent requests,
and the two-step verification pages."""

from __future__ import annotations

import json

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.privacy import actions, twofactor
from kokemus.privacy.forms import CodeForm, PolicyForm, RespondentForm
from kokemus.privacy.models import TOTPDevice


def privacy_page(request):
    return render(request, "privacy/privacy_page.html", {
        "defaults": actions.policy_for(0)})


@org_view(Role.ADMIN)
def privacy_settings(request):
    policy = actions.policy_for(request.org)
    form = PolicyForm(initial={"free_text_months": policy.free_text_months,
                               "contact_months": policy.contact_months,
                               "require_2fa_for_admins": policy.require_2fa_for_admins})
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                actions.do_set_policy(Actor.from_request(request), request.org,
                                      **form.cleaned_data)
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field, errs)
            else:
                messages.success(request, _("Privacy settings saved."))
                return redirect("privacy_settings", org_slug=request.org.slug)
    return render(request, "privacy/settings.html", {
        "form": form, "respondent_form": RespondentForm(), "policy": policy},
        status=400 if form.errors else 200)


@org_view(Role.ADMIN)
@require_POST
def respondent_request(request):
    form = RespondentForm(request.POST)
    op = request.POST.get("op")
    if op not in ("export", "erase") or not form.is_valid():
        policy = actions.policy_for(request.org)
        return render(request, "privacy/settings.html", {
            "form": PolicyForm(initial={"free_text_months": policy.free_text_months,
                                        "contact_months": policy.contact_months}),
            "respondent_form": form, "policy": policy}, status=400)
    data = form.cleaned_data
    actor = Actor.from_request(request)
    if op == "export":
        payload = actions.export_respondent(actor, request.org, token=data["token"],
                                            contact=data["contact"])
        response = HttpResponse(json.dumps(payload, ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="respondent-data.json"'
        response["Cache-Control"] = "no-store"
        return response
    done = actions.do_erase_respondent(actor, request.org, token=data["token"],
                                       contact=data["contact"],
                                       delete_responses=data["delete_responses"])
    messages.success(request, _("%(count)s responses found; their personal data was erased.")
                     % {"count": done["responses"]})
    return redirect("privacy_settings", org_slug=request.org.slug)


@login_required
def two_factor_setup(request):
    device = TOTPDevice.objects.filter(user=request.user).first()
    if device is not None and device.confirmed:
        if not request.session.get(twofactor.SESSION_KEY):
            return redirect("two_factor_verify")  # a device is replaced only after verifying
        if request.method == "POST" and request.POST.get("renew") == "1":
            device.key, device.confirmed, device.last_t = twofactor.new_key(), False, -1
            device.save()
            return redirect("two_factor_setup")
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, key=twofactor.new_key())
    form = CodeForm()
    if request.method == "POST" and not device.confirmed:
        form = CodeForm(request.POST)
        if form.is_valid() and twofactor.verify_code(device, form.cleaned_data["code"]):
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
            request.session[twofactor.SESSION_KEY] = True
            record(Actor.from_request(request), "user.2fa_enabled", request.user)
            messages.success(request, _("Two-step verification is on."))
            return redirect(twofactor.safe_next(request))
        form.add_error("code", _("The code did not match. Check the time on your phone."))
    uri = twofactor.provisioning_uri(device)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5)
    return render(request, "privacy/two_factor_setup.html", {
        "form": form, "device": device, "secret": twofactor.b32_secret(device), "qr": qr,
        "next": twofactor.safe_next(request, "")}, status=400 if form.errors else 200)


@login_required
def two_factor_verify(request):
    device = twofactor.confirmed_device(request.user)
    if device is None:
        return redirect("two_factor_setup")
    form = CodeForm()
    status = 200
    if request.method == "POST":
        form = CodeForm(request.POST)
        if twofactor.is_locked(request.user.pk):
            form.add_error(None, _("Too many wrong codes. Try again in 15 minutes."))
            status = 429
        elif form.is_valid() and twofactor.verify_code(device, form.cleaned_data["code"]):
            twofactor.clear_failures(request.user.pk)
            request.session.cycle_key()
            request.session[twofactor.SESSION_KEY] = True
            return redirect(twofactor.safe_next(request))
        else:
            twofactor.note_failure(request.user.pk)
            form.add_error("code", _("The code did not match."))
            status = 400
    return render(request, "privacy/two_factor_verify.html", {
        "form": form, "next": twofactor.safe_next(request, "")}, status=status)
