"""Theme management: the organisation's own names and words for what comments talk about."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.accounts.views import _add_errors
from kokemus.comments import actions
from kokemus.comments.analysis import taxonomy_for
from kokemus.comments.forms import MergeThemesForm, RenameThemeForm, ThemeForm
from kokemus.comments.models import CommentAnalysis


def _labels(data) -> dict[str, str]:
    return {lang: data.get(f"label_{lang}", "") for lang in ("fi", "sv", "en")}


@org_view(Role.MANAGER)
def theme_list(request):
    org = request.org
    taxonomy = taxonomy_for(org.pk)
    lang = (get_language() or "fi")[:2]
    choices = [(t.key, t.label_for(lang)) for t in taxonomy]
    add_form = ThemeForm(prefix="add")
    merge_form = MergeThemesForm(prefix="merge", choices=choices)
    if request.method == "POST":
        actor = Actor.from_request(request)
        op = request.POST.get("op")
        try:
            if op == "add":
                add_form = ThemeForm(request.POST, prefix="add")
                if add_form.is_valid():
                    d = add_form.cleaned_data
                    actions.do_add_theme(actor, org, key=d["key"], label=_labels(d),
                                         terms={k: d[f"terms_{k}"] for k in ("fi", "sv", "en")})
                    messages.success(request, _("Theme added. Past comments are being "
                                                "re-read in the background."))
                    return redirect("theme_list", org_slug=org.slug)
            elif op == "merge":
                merge_form = MergeThemesForm(request.POST, prefix="merge", choices=choices)
                if merge_form.is_valid():
                    actions.do_merge_themes(actor, org, source=merge_form.cleaned_data["source"],
                                            target=merge_form.cleaned_data["target"])
                    messages.success(request, _("Themes merged."))
                    return redirect("theme_list", org_slug=org.slug)
            elif op == "rename":
                form = RenameThemeForm(request.POST)
                if form.is_valid():
                    actions.do_rename_theme(actor, org, key=request.POST.get("key", ""),
                                            label=_labels(form.cleaned_data))
                    messages.success(request, _("Theme renamed."))
                    return redirect("theme_list", org_slug=org.slug)
                messages.error(request, _("A theme needs a Finnish name."))
        except ValidationError as exc:
            target = merge_form if op == "merge" else add_form
            _add_errors(target, exc)
    # Mention counts over analysed comments of the visible units.
    counts: Counter = Counter()
    negatives: Counter = Counter()
    analyses = CommentAnalysis.objects.filter(organisation=org).values_list("themes", flat=True)
    for themes in analyses.iterator(chunk_size=2000):
        for t in themes:
            counts[t["key"]] += 1
            negatives[t["key"]] += t["sentiment"] == "negative"
    rows = [{"key": t.key, "label": t.label_for(lang), "labels": t.label,
             "terms": t.terms.get(lang, ())[:12], "count": counts[t.key],
             "negative": negatives[t.key]} for t in taxonomy]
    return render(request, "comments/themes.html", {
        "rows": rows, "add_form": add_form, "merge_form": merge_form,
    })
