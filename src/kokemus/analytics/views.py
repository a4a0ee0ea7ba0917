"""Dashboards: overview, journey heatmap, unit comparison, drivers, comments, staff screen.

Every page is a GET form over the same filters (shareable URL). Scores come from the
DailyCount rollups (``queries.py``); only the comments list and the drivers read raw
answers. Each chart's data is also served as CSV with ``?csv=<chart id>``.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view, visible_unit_or_404
from kokemus.analytics import charts, drivers, queries
from kokemus.analytics.forms import FilterForm, metric_field
from kokemus.journeys.i18n import pick
from kokemus.journeys.models import Journey, Stage, Touchpoint
from kokemus.responses.models import Answer

FILTER_KEYS = ("period", "start", "end", "unit", "touchpoint", "channel", "language")
COMMENTS_PER_PAGE = 25
TABS = [("analytics_overview", gettext_lazy("Overview")),
        ("analytics_heatmap", gettext_lazy("Journey heatmap")),
        ("analytics_comparison", gettext_lazy("Unit comparison")),
        ("analytics_drivers", gettext_lazy("Drivers")),
        ("analytics_comments", gettext_lazy("Comments"))]


class Dashboard:
    """Parsed filters plus what every dashboard page needs (3 queries)."""

    def __init__(self, request, extra_fields: dict | None = None):
        self.request = request
        org = request.org
        self.units = list(request.membership.visible_units().order_by("path"))
        self.touchpoints = list(
            Touchpoint.objects.filter(organisation=org, archived_at__isnull=True)
            .select_related("journey", "stage")
            .order_by("journey__created_at", "journey_id", "stage__position", "position", "id"))
        self.form = FilterForm(request.GET or None, org=org, membership=request.membership,
                               units=self.units, touchpoints=self.touchpoints,
                               extra=extra_fields)
        self.valid = not self.form.is_bound or self.form.is_valid()
        self.filters = self.form.filters()
        self.status = 200 if self.valid else 400

    def value(self, name, default=""):
        if self.form.is_bound and self.valid:
            return self.form.cleaned_data.get(name) or default
        return default

    def query(self, **extra) -> str:
        params = {k: v for k, v in self.request.GET.items() if k in FILTER_KEYS and v}
        params.update({k: v for k, v in extra.items() if v})
        return urlencode(params)

    def context(self, active: str, **extra) -> dict:
        query = self.query()
        tabs = [{"label": label, "active": name == active,
                 "url": reverse(name, args=[self.request.org.slug]) + ("?" + query if query
                                                                       else "")}
                for name, label in TABS]
        return {"form": self.form, "filters": self.filters, "tabs": tabs,
                "filter_query": query, "unit": self.filters.unit,
                "touchpoint": self.form.touchpoints.get(self.filters.touchpoint_id),
                "policy": queries.POLICY, **extra}


def _render(request, dash: Dashboard, template: str, chart_list: list, context: dict):
    wanted = request.GET.get("csv")
    if wanted:
        for chart in chart_list:
            if chart.id == wanted:
                return charts.csv_response(chart, f"{request.org.slug}-{chart.id}")
        raise Http404
    context["charts"] = chart_list
    return render(request, template, context, status=dash.status)


@org_view(Role.STAFF)
def overview(request):
    dash = Dashboard(request)
    data = queries.overview(dash.filters)
    chart_list = []
    for t in data["trends"]:
        y_title = str(t.metric.label) + (" (%)" if t.metric.percent else "")
        chart_list.append(charts.spc_chart(f"trend-{t.metric.key}", t, y_title))
    trends = list(zip(data["trends"], chart_list, strict=True))
    return _render(request, dash, "analytics/overview.html", chart_list,
                   dash.context("analytics_overview", data=data, trends=trends))


def _journeys_for(request, unit):
    journeys = list(Journey.objects.filter(organisation=request.org, archived_at__isnull=True)
                    .prefetch_related("units"))
    applied = [j for j in journeys
               if any(u.path.startswith(unit.path) or unit.path.startswith(u.path)
                      for u in j.units.all())]
    return journeys, applied


@org_view(Role.STAFF)
def heatmap(request):
    dash = Dashboard(request, {"metric": metric_field(queries.HEATMAP_METRICS),
                               "journey": _journey_field()})
    f = dash.filters
    journeys, applied = _journeys_for(request, f.unit)
    dash.form.fields["journey"].choices = [(j.pk, pick(j.name)) for j in journeys]
    chosen = dash.value("journey")
    journey = next((j for j in journeys if j.pk == chosen), None) or \
        (applied[0] if applied else (journeys[0] if journeys else None))
    metric_key = dash.value("metric", "nps")
    context = {"journey": journey, "metric_key": metric_key, "applied": applied}
    chart_list = []
    if journey is not None:
        dash.form.initial["journey"] = journey.pk
        stages = list(Stage.objects.filter(journey=journey, archived_at__isnull=True))
        tps = [t for t in dash.touchpoints if t.journey_id == journey.pk
               and (not f.touchpoint_id or t.pk == f.touchpoint_id)]
        stage_ids = {t.stage_id for t in tps}
        if f.touchpoint_id:
            stages = [s for s in stages if s.pk in stage_ids]
        children = [u for u in f.units if u.parent_id == f.unit.pk and u.archived_at is None]
        rows_units = [(_("All of %(unit)s") % {"unit": f.unit.name}, f.unit)]
        rows_units += [(u.name, u) for u in children]
        data = queries.heatmap(f, journey, stages, tps, metric_key, rows_units)
        header = [{"stage": s, "touchpoints": [t for t in tps if t.stage_id == s.pk]}
                  for s in stages]
        header = [h for h in header if h["touchpoints"]]
        order = [t for h in header for t in h["touchpoints"]]
        for row in data["grid"]:
            by_tp = {c["touchpoint"].pk: c for c in row["cells"]}
            row["cells"] = [by_tp[t.pk] for t in order]
        emotion = charts.emotion_chart("emotion", data["curve"], lambda s: pick(s.name))
        grid_chart = charts.Chart(
            "heatmap", _("Journey heatmap"), {},
            [_("Unit"), _("Stage"), _("Touchpoint"), str(data["metric"].label),
             _("Lower 95 % limit"), _("Upper 95 % limit"), _("Responses")],
            [[row["label"], pick(c["touchpoint"].stage.name), pick(c["touchpoint"].name),
              c["score"].display if c["score"].shown else c["score"].reason or _("no responses"),
              c["score"].fmt(c["score"].low) if c["score"].shown else "",
              c["score"].fmt(c["score"].high) if c["score"].shown else "",
              c["score"].n if c["score"].shown else ""]
             for row in data["grid"] for c in row["cells"]])
        chart_list = [emotion, grid_chart]
        context.update(data=data, header=header, emotion=emotion, grid_chart=grid_chart)
    return _render(request, dash, "analytics/heatmap.html", chart_list,
                   dash.context("analytics_heatmap", **context))


def _journey_field():
    from django import forms
    return forms.TypedChoiceField(label=gettext_lazy("Journey"), coerce=int, required=False,
                                  empty_value=None)


@org_view(Role.STAFF)
def comparison(request):
    dash = Dashboard(request, {"metric": metric_field()})
    f = dash.filters
    metric_key = dash.value("metric", "nps")
    groups = [u for u in f.units if u.parent_id == f.unit.pk and u.archived_at is None]
    data = queries.comparison(f, metric_key, groups) if groups else None
    chart_list = []
    if data and data["funnel"]:
        chart_list.append(charts.funnel_chart("funnel", data["funnel"],
                                              str(data["metric"].positive_label)))
    return _render(request, dash, "analytics/comparison.html", chart_list,
                   dash.context("analytics_comparison", data=data, groups=groups,
                                metric_key=metric_key))


@org_view(Role.STAFF)
def drivers_view(request):
    dash = Dashboard(request)
    result = drivers.compute(dash.filters)
    chart_list = []
    if result.get("drivers"):
        chart_list.append(charts.drivers_chart("drivers", result["drivers"],
                                               result["mean_importance"],
                                               result["mean_performance"]))
    return _render(request, dash, "analytics/drivers.html", chart_list,
                   dash.context("analytics_drivers", result=result))


SCORE_TYPES = ("nps", "csat", "smiley", "fft")


def _comments_queryset(f: queries.Filters, search: str = ""):
    start, end = f.aware_range()
    # the answer's own copy of submitted_at: the partial free-text index, partition pruning
    qs = (Answer.objects.filter(organisation_id=f.org.pk, question_type="free_text",
                                submitted_at__gte=start, submitted_at__lt=end,
                                response__unit_id__in=f.unit_ids)
          .filter(f.response_q("response__")).exclude(text=""))
    if search:
        qs = qs.filter(text__icontains=search)
    return qs.select_related("response__unit", "response__touchpoint", "analysis").order_by(
        "-submitted_at", "-id")


def _attach_scores(answers: list) -> None:
    response_ids = {a.response_id for a in answers}
    found: dict[int, list] = {}
    for a in Answer.objects.filter(response_id__in=response_ids,
                                   question_type__in=SCORE_TYPES).only(
            "response_id", "question_type", "value"):
        found.setdefault(a.response_id, []).append(a)
    for a in answers:
        a.scores = sorted(found.get(a.response_id, []),
                          key=lambda s: SCORE_TYPES.index(s.question_type))


@org_view(Role.STAFF)
def comments(request):
    from django import forms

    from kokemus.comments.analysis import taxonomy_for
    from kokemus.comments.emerging import emerging_for
    from kokemus.reports.report import themes_section
    dash = Dashboard(request, {"q": forms.CharField(label=gettext_lazy("Search comments"),
                                                    required=False, max_length=200)})
    search = (dash.value("q") or "").strip()
    paginator = Paginator(_comments_queryset(dash.filters, search), COMMENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    answers = list(page.object_list)
    _attach_scores(answers)
    language = (translation.get_language() or dash.filters.org.default_language)[:2]
    taxonomy = taxonomy_for(dash.filters.org.pk)
    _attach_analysis(answers, taxonomy, language)
    emerging = [{"term": t.term, "n": t.window_count,
                 "window": round(100 * t.window_rate), "baseline": round(100 * t.baseline_rate)}
                for t in emerging_for(dash.filters)]
    return _render(request, dash, "analytics/comments.html", [],
                   dash.context("analytics_comments", page=page, answers=answers,
                                search=search, extra_query=dash.query(q=search),
                                themes=themes_section(dash.filters, language,
                                                      examples=False, taxonomy=taxonomy),
                                emerging=emerging))


def _attach_analysis(answers: list, taxonomy, language: str) -> None:
    """Each comment's sentiment and themes (with their own sentiment), as labels in the
    interface language; nothing while the background analysis is pending."""
    from kokemus.comments.models import PENDING, CommentAnalysis

    labels = {"positive": pgettext("sentiment", "positive"),
              "neutral": pgettext("sentiment", "neutral or mixed"),
              "negative": pgettext("sentiment", "negative")}
    for a in answers:
        a.sentiment_label, a.theme_badges = "", []
        try:
            analysis = a.analysis
        except CommentAnalysis.DoesNotExist:
            continue
        if analysis.sentiment == PENDING:
            continue
        a.sentiment, a.sentiment_label = analysis.sentiment, labels.get(analysis.sentiment, "")
        for t in analysis.themes or []:
            try:
                name = taxonomy.label(t["key"], language)
            except KeyError:  # a theme the organisation has since removed
                continue
            a.theme_badges.append({"label": name, "sentiment": t.get("sentiment", "neutral"),
                                   "sentiment_label": labels.get(t.get("sentiment"), "")})


POSITIVE = (Q(question_type="nps", value__gte=9) | Q(question_type="csat", value__gte=4)
            | Q(question_type="smiley", value__gte=3) | Q(question_type="fft", value__in=[1, 2]))


@org_view(Role.STAFF)
def screen(request, unit_pk: int):
    unit = visible_unit_or_404(request, unit_pk)
    units = list(request.membership.visible_units())
    data = queries.screen(request.org, unit, units)
    latest = []
    if data["score"].shown:
        f = data["filters"]
        positive = Answer.objects.filter(POSITIVE, response_id=OuterRef("response_id"))
        latest = list(_comments_queryset(f).filter(Exists(positive))[:5])
    template = "analytics/_screen_body.html" if request.headers.get("HX-Request") else \
        "analytics/screen.html"
    return render(request, template, {"unit": unit, "data": data, "comments": latest,
                                      "policy": queries.POLICY})
