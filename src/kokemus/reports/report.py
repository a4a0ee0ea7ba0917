"""The monthly (or weekly) unit report: context, HTML and PDF (WeasyPrint).

Numbers come from the dashboards' query functions (:mod:`kokemus.analytics.queries`) on the
same :class:`~kokemus.analytics.queries.Filters` the overview builds for a custom period, so
the report shows exactly what the dashboard shows for that unit and period; charts are the
dashboards' Vega-Lite specs rendered to SVG (:mod:`kokemus.reports.charts`). Comments are
always the redacted text (``comments.analysis.display_text``); follow-up cases are counts
only (no contact details).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.staticfiles import finders
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kokemus.accounts.models import Unit
from kokemus.analytics import charts as acharts
from kokemus.analytics import queries
from kokemus.journeys.i18n import pick
from kokemus.journeys.models import Journey, Stage, Touchpoint
from kokemus.reports import charts, periods

MAX_JOURNEYS = 3
MAX_THEMES = 6
EXAMPLES_PER_THEME = 2
MAX_PRAISE = 3
MAX_ACTIONS = 8
PDF_VARIANT = "pdf/ua-1"  # tagged PDF (WeasyPrint ≥ 63); falls back to pdf_tags=True


@dataclass
class Report:
    html: str
    pdf: bytes = b""
    filename: str = ""


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"reports load no external resources ({url[:40]})")


def _css() -> str:
    path = finders.find("kokemus/reports.pdf.css")
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _css_string(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def local_today(unit) -> date:
    return timezone.now().astimezone(ZoneInfo(unit.time_zone or "Europe/Helsinki")).date()


def filters_for(org, unit, start: date, end: date, units: list | None = None):
    """The dashboard's filters for ``unit``'s subtree and a custom period."""
    units = units if units is not None else list(
        Unit.objects.filter(organisation=org).order_by("path"))
    return queries.Filters(org=org, unit=unit, units=units, start=start, end=end,
                           period="custom", org_unit_count=len(units))


# --- Sections ---------------------------------------------------------------------------

def headline_section(f) -> dict:
    data = queries.overview(f)
    labels = acharts.point_type_labels()
    rows = []
    for item, tr in zip(data["headline"], data["trends"], strict=True):
        s = item["score"]
        target = item.get("goal")  # the dashboards' goal_for (overview looks it up once)
        verdict = ""
        if target is not None and s.shown:
            lo, hi = s.plot(s.low), s.plot(s.high)
            if lo > target:
                verdict = _("above the goal")
            elif hi < target:
                verdict = _("below the goal")
            else:
                verdict = _("the goal is within the interval")
        y_title = str(s.metric.label) + (" (%)" if s.metric.percent else "")
        chart = acharts.spc_chart(f"trend-{s.metric.key}", tr, y_title)
        svg = ""
        if any(p["value"] is not None for p in tr.points):
            svg = charts.to_svg(charts.spc_for_print(chart.spec, labels, target))
        rows.append({"score": s, "previous": item["previous"], "change": item["change"],
                     "target": target, "target_display": s.fmt(
                         target / 100 if (target is not None and s.metric.percent) else target)
                     if target is not None else "",
                     "verdict": verdict, "trend": tr, "chart": chart, "svg": svg,
                     "variation": labels.get(_variation_key(tr), "") if tr.enough else ""})
    return {"rows": rows, "responses": data["responses"],
            "responses_prev": data["responses_prev"], "grain": data["grain"],
            "previous": data["previous"], "legend": charts.spc_legend(labels)}


def _variation_key(tr) -> str:
    shown = [p for p in tr.points if p["value"] is not None]
    return shown[-1]["point_type"] if shown else ""


def heatmap_section(f, language: str) -> list[dict]:
    unit = f.unit
    journeys = list(Journey.objects.filter(organisation=f.org, archived_at__isnull=True)
                    .prefetch_related("units").order_by("created_at", "id"))
    applied = [j for j in journeys
               if any(u.path.startswith(unit.path) or unit.path.startswith(u.path)
                      for u in j.units.all())][:MAX_JOURNEYS]
    out = []
    children = [u for u in f.units if u.parent_id == unit.pk and u.archived_at is None]
    rows_units = [(_("All of %(unit)s") % {"unit": unit.name}, unit)]
    rows_units += [(u.name, u) for u in children]
    for journey in applied:
        stages = list(Stage.objects.filter(journey=journey, archived_at__isnull=True))
        tps = list(Touchpoint.objects.filter(journey=journey, archived_at__isnull=True)
                   .select_related("stage"))
        if not tps:
            continue
        data = queries.heatmap(f, journey, stages, tps, "nps", rows_units)
        header = [{"stage": pick(s.name, language),
                   "touchpoints": [t for t in tps if t.stage_id == s.pk]} for s in stages]
        header = [h for h in header if h["touchpoints"]]
        order = [t for h in header for t in h["touchpoints"]]
        for row in data["grid"]:
            by_tp = {c["touchpoint"].pk: c for c in row["cells"]}
            row["cells"] = [by_tp[t.pk] for t in order]
        out.append({"journey": pick(journey.name, language), "metric": data["metric"],
                    "header": [{"stage": h["stage"],
                                "touchpoints": [pick(t.name, language)
                                                for t in h["touchpoints"]]} for h in header],
                    "grid": data["grid"]})
    return out


def _aware(f) -> tuple[datetime, datetime]:
    zone = ZoneInfo(f.unit.time_zone or f.org.time_zone)
    return (datetime.combine(f.start, time.min, zone),
            datetime.combine(f.end + timedelta(days=1), time.min, zone))


def themes_section(f, language: str, examples: bool = True, taxonomy=None) -> dict:
    """The top themes of the filters ``f`` with their praise and complaint counts and (with
    ``examples``) two redacted example comments each; ``taxonomy`` saves looking up the
    organisation's when the caller has it."""
    from kokemus.comments.analysis import display_text, taxonomy_for
    from kokemus.comments.models import PENDING, CommentAnalysis
    from kokemus.responses.models import Answer

    start, end = _aware(f)
    qs = CommentAnalysis.objects.filter(
        organisation_id=f.org.pk, answer__response__unit_id__in=f.unit_ids,
        answer__response__submitted_at__gte=start, answer__response__submitted_at__lt=end)
    qs = qs.filter(f.response_q("answer__response__"))  # a dashboard's narrower filters
    rows = list(qs.exclude(sentiment=PENDING)
                .values_list("answer_id", "themes", "sentiment")
                .order_by("-answer__response__submitted_at", "-answer_id"))
    total = len(rows)
    counts: dict[str, Counter] = defaultdict(Counter)
    shown: dict[str, list[int]] = defaultdict(list)
    sentiments = Counter(s for _a, _t, s in rows)
    for answer_id, themes, _sentiment in rows:
        for t in themes or []:
            key = t.get("key")
            if not key:
                continue
            counts[key][t.get("sentiment") or "neutral"] += 1
            if examples and len(shown[key]) < EXAMPLES_PER_THEME:
                shown[key].append(answer_id)
    top = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))[:MAX_THEMES]
    wanted = {a for k in top for a in shown[k]}
    answers = ({a.pk: a for a in Answer.objects.filter(pk__in=wanted).select_related("analysis")}
               if wanted else {})
    if top and taxonomy is None:
        taxonomy = taxonomy_for(f.org.pk)
    themes = []
    for key in top:
        try:
            name = taxonomy.label(key, language)
        except KeyError:
            name = key
        c = counts[key]
        themes.append({"key": key, "label": name, "n": sum(c.values()),
                       "positive": c["positive"], "negative": c["negative"],
                       "neutral": sum(c.values()) - c["positive"] - c["negative"],
                       "examples": [display_text(answers[a]) for a in shown[key]
                                    if a in answers]})
    return {"themes": themes, "total": total, "positive": sentiments["positive"],
            "negative": sentiments["negative"]}


def praise_section(f) -> dict:
    from kokemus.comments.analysis import display_text
    from kokemus.improvement.models import Praise

    start, end = _aware(f)
    qs = (Praise.objects.filter(organisation=f.org, unit_id__in=f.unit_ids,
                                answer__response__submitted_at__gte=start,
                                answer__response__submitted_at__lt=end)
          .select_related("answer__analysis").order_by("-created_at", "-id"))
    items = list(qs[:50])
    seen, examples = set(), []
    for p in items:
        if p.answer_id in seen:
            continue
        seen.add(p.answer_id)
        if len(examples) < MAX_PRAISE:
            examples.append(display_text(p.answer))
    return {"count": qs.values("answer_id").distinct().count(), "examples": examples}


def gap_section(f, language: str, today: date) -> dict | None:
    from kokemus.goals import gap
    from kokemus.goals.models import PredictionRound

    rnd = (PredictionRound.objects.filter(organisation=f.org, unit=f.unit,
                                          period_end__lt=today, period_end__lte=f.end)
           .select_related("unit").first())
    if rnd is None:
        return None
    res = gap.results(rnd, language)
    chart = res["chart"]
    svg = charts.to_svg(charts.gap_for_print(chart.spec)) if chart.spec.get("data", {}).get(
        "values") else ""
    return {"round": rnd, "headline": res["headline"], "rows": res["rows"],
            "people": res["people"], "enough_people": res["enough_people"], "svg": svg,
            "chart_title": chart.title}


def cases_section(f) -> dict:
    from kokemus.improvement.models import CLOSED_STATUSES, CaseReason, CaseStatus, FollowUpCase

    start, end = _aware(f)
    today = local_today(f.unit)
    # Only these columns are read: never the contact details.
    rows = list(FollowUpCase.objects.filter(organisation=f.org, unit_id__in=f.unit_ids)
                .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start)
                        | Q(created_at__gte=start))
                .values_list("status", "reason", "due_date", "created_at", "closed_at"))
    open_rows = [r for r in rows if r[0] not in CLOSED_STATUSES]
    by_reason = Counter(r[1] for r in open_rows)
    return {
        "open": sum(1 for r in open_rows if r[0] == CaseStatus.OPEN),
        "contacted": sum(1 for r in open_rows if r[0] == CaseStatus.CONTACTED),
        "overdue": sum(1 for r in open_rows if r[2] < today),
        "opened": sum(1 for r in rows if start <= r[3] < end),
        "closed": sum(1 for r in rows if r[4] is not None and start <= r[4] < end),
        "by_reason": [{"label": CaseReason(k).label, "n": n}
                      for k, n in sorted(by_reason.items(), key=lambda kv: -kv[1])],
    }


def actions_section(f, today: date) -> list[dict]:
    from kokemus.improvement.evaluation import evaluate
    from kokemus.improvement.models import ImprovementAction

    ancestors = [u.pk for u in f.units if f.unit.path.startswith(u.path)]
    actions = list(ImprovementAction.objects.filter(
        Q(units__in=f.unit_ids) | Q(units__in=ancestors), organisation=f.org,
        start_date__lte=f.end).distinct().order_by("-start_date", "-id")[:MAX_ACTIONS])
    out = []
    as_of = min(f.end + timedelta(days=1), today)
    for a in actions:
        ev = evaluate(a, today=as_of)
        out.append({"action": a, "metric": a.get_target_metric_display(),
                    "state": ev.state, "verdict": ev.verdict, "method": ev.method,
                    "spc_note": ev.spc_note})
    return out


# --- Whole report -----------------------------------------------------------------------

def context(org, unit, start: date, end: date, units: list | None = None) -> dict:
    """Everything the report template needs, in the active language."""
    from kokemus.goals.promise import current_promise

    language = translation.get_language() or unit.language
    today = local_today(unit)
    f = filters_for(org, unit, start, end, units)
    period = periods.label(start, end)
    return {
        "org": org, "unit": unit, "language": language[:2], "start": start, "end": end,
        "period": period, "period_range": " – ".join(
            date_format(d, "SHORT_DATE_FORMAT") for d in (start, end)),
        "generated": date_format(timezone.localtime(timezone.now(), ZoneInfo(
            unit.time_zone or "Europe/Helsinki")), "SHORT_DATETIME_FORMAT"),
        "promise": current_promise(org, language[:2]),
        "policy": queries.POLICY,
        "headline": headline_section(f),
        "heatmaps": heatmap_section(f, language),
        "themes": themes_section(f, language),
        "praise": praise_section(f),
        "gap": gap_section(f, language, today),
        "cases": cases_section(f),
        "actions": actions_section(f, today),
        "footer_css": _css_string(f"{unit.name} · {period}"),
        "page_css": _css_string(_("Page")),
    }


def render(org, unit, start: date, end: date, *, language: str | None = None,
           units: list | None = None, pdf: bool = True) -> Report:
    from weasyprint import CSS, HTML

    language = language or unit.language or org.default_language
    with translation.override(language):
        ctx = context(org, unit, start, end, units)
        html = render_to_string("reports/report.html", ctx)
    filename = f"kokemus-{org.slug}-{unit.pk}-{start:%Y-%m-%d}.pdf"
    report = Report(html=html, filename=filename)
    if pdf:
        doc = HTML(string=html, url_fetcher=_no_fetch)
        css = [CSS(string=_css())]
        try:
            report.pdf = doc.write_pdf(stylesheets=css, pdf_variant=PDF_VARIANT)
        except Exception:  # noqa: BLE001 - older WeasyPrint or a variant constraint
            report.pdf = doc.write_pdf(stylesheets=css, pdf_tags=True)
    return report
