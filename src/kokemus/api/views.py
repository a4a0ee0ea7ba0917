"""API token and webhook management pages (administrators only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.api import actions
from kokemus.api.forms import TokenForm, WebhookForm
from kokemus.api.models import ApiToken, Webhook, WebhookDelivery


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _list(request, token_form=None, webhook_form=None, status=200):
    context = {
        "tokens": ApiToken.objects.filter(organisation=request.org).select_related(
            "created_by"),
        "webhooks": Webhook.objects.filter(organisation=request.org),
        "token_form": token_form or TokenForm(),
        "webhook_form": webhook_form or WebhookForm(),
    }
    return render(request, "api/token_list.html", context, status=status)


@org_view(Role.ADMIN)
def token_list(request):
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, raw = actions.do_create_token(Actor.from_request(request), request.org,
                                                     **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                response = render(request, "api/shown_once.html", {
                    "title": _("New API token"), "name": token.name, "value": raw,
                    "kind": "token"})
                response["Cache-Control"] = "no-store"
                return response
        return _list(request, token_form=form, status=400)
    return _list(request)


@require_POST
@org_view(Role.ADMIN)
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, organisation=request.org)
    actions.do_revoke_token(Actor.from_request(request), token)
    return redirect("api_token_list", request.org.slug)


@require_POST
@org_view(Role.ADMIN)
def webhook_create(request):
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            hook = actions.do_create_webhook(Actor.from_request(request), request.org,
                                             **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            response = render(request, "api/shown_once.html", {
                "title": _("New webhook"), "name": hook.url, "value": hook.secret,
                "kind": "secret"})
            response["Cache-Control"] = "no-store"
            return response
    return _list(request, webhook_form=form, status=400)


@require_POST
@org_view(Role.ADMIN)
def webhook_toggle(request, pk: int):
    hook = get_object_or_404(Webhook, pk=pk, organisation=request.org)
    actions.do_set_webhook_active(Actor.from_request(request), hook, not hook.is_active)
    return redirect("api_token_list", request.org.slug)


@require_POST
@org_view(Role.ADMIN)
def webhook_delete(request, pk: int):
    hook = get_object_or_404(Webhook, pk=pk, organisation=request.org)
    actions.do_delete_webhook(Actor.from_request(request), hook)
    return redirect("api_token_list", request.org.slug)


@org_view(Role.ADMIN)
def delivery_list(request):
    deliveries = WebhookDelivery.objects.filter(organisation=request.org).select_related(
        "webhook")
    hook = None
    if request.GET.get("webhook", "").isdigit():
        hook = get_object_or_404(Webhook, pk=int(request.GET["webhook"]),
                                 organisation=request.org)
        deliveries = deliveries.filter(webhook=hook)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    return render(request, "api/deliveries.html", {
        "page": page, "webhook": hook,
        "extra_query": f"webhook={hook.pk}" if hook else ""})
