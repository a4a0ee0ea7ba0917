"""Streamed exports of responses, answers and rollups as CSV, XLSX and Parquet.

* **Scope**: rows of the units the member may see (``membership.visible_units()``: staff
  their own unit's subtree, managers their subtree, admins everything), narrowed by the
  dashboard filters (the analytics ``FilterForm``: period, unit subtree, touchpoint,
  channel, language).
* **Redaction**: free text is always the redacted text – ``CommentAnalysis.redacted`` when
  the comment has been analysed, else :func:`kokemus.text.redact` with the organisation's
  staff names (exactly what ``comments.analysis.display_text`` does, without one query per
  row). Contact details (``Response.contact``, the consent wording, respondent tokens,
  idempotency keys) are never read.
* **Suppression**: raw rows cannot be suppressed meaningfully; they are limited by the
  member's scope instead. The rollup export can drop small groups (``suppress=1``):
  every (unit, touchpoint, channel, language, question, day) group with fewer answers than
  the suppression minimum is left out. Without it, rollups are exported in full, because
  the same member can download the raw rows they are counted from.
* **Streaming**: CSV is a ``StreamingHttpResponse`` (rows fetched with ``iterator()``);
  XLSX (:mod:`kokemus.reports.xlsx`, a row-at-a-time SpreadsheetML writer) and Parquet
  (pyarrow, row groups of ``CHUNK`` rows) are written to an anonymous temporary file in
  chunks and served with ``FileResponse``.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from kokemus.journeys.i18n import pick

CHUNK = 20_000
XLSX_MAX_ROWS = 1_048_575  # per sheet, below the header
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # int | str | text | datetime | date | bool
    description: object


@dataclass(frozen=True)
class Dataset:
    key: str
    title: object
    description: object
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


_RESPONSE_COLUMNS = (
    Column("response_id", "int", _("Identifier of the response (the same in every export).")),
    Column("submitted_at", "datetime", _("When the customer answered, in UTC "
                                         "(ISO 8601; in XLSX without a time zone).")),
    Column("local_date", "date", _("The day of the answer in the unit's time zone (the day "
                                   "the dashboards count it on).")),
    Column("unit_id", "int", _("Identifier of the unit that was rated.")),
    Column("unit_name", "str", _("Name of the unit.")),
    Column("touchpoint_id", "int", _("Identifier of the touchpoint; empty when the "
                                     "response is not tied to a touchpoint.")),
    Column("touchpoint_key", "str", _("Stable key of the touchpoint.")),
    Column("touchpoint_name", "str", _("Name of the touchpoint in the export's language.")),
    Column("journey_name", "str", _("Name of the touchpoint's journey.")),
    Column("stage_name", "str", _("Name of the touchpoint's journey stage.")),
    Column("channel", "str", _("How the response was collected: qr, link, kiosk, "
                               "invitation, api or import.")),
    Column("language", "str", _("Language the customer answered in: fi, sv or en.")),
    Column("survey_version_id", "int", _("Identifier of the survey version answered.")),
)

DATASETS: dict[str, Dataset] = {
    "responses": Dataset(
        "responses", _("Responses"),
        _("One row per response. Contact details are never exported."),
        _RESPONSE_COLUMNS),
    "answers": Dataset(
        "answers", _("Answers"),
        _("One row per answer, with the columns of its response. Free text is always the "
          "redacted text (personal data removed)."),
        (*_RESPONSE_COLUMNS,
         Column("question_key", "str", _("Key of the question within the survey.")),
         Column("question_type", "str", _("Type of question: nps, csat, ces, smiley, fft, "
                                          "behaviour, expectations, emotion, mood, "
                                          "single_choice, multi_choice, free_text, "
                                          "contact_consent.")),
         Column("value", "int", _("Numeric answer (scale value); empty for choices and "
                                  "text. FFT codes: 1 very good … 5 very poor, 6 don't "
                                  "know.")),
         Column("choice", "str", _("Key of the chosen option for choice questions.")),
         Column("text", "text", _("Free-text answer, redacted: identity codes, phone "
                                  "numbers, e-mail and street addresses and staff names "
                                  "are replaced by placeholders.")))),
    "rollups": Dataset(
        "rollups", _("Daily counts (rollups)"),
        _("The table the dashboards read: answer counts per day, unit, touchpoint, channel, "
          "language, question and value. One row with question_type “__response__” counts "
          "the responses themselves. Suitable for a data warehouse."),
        (Column("day", "date", _("Day in the unit's time zone.")),
         Column("unit_id", "int", _("Identifier of the unit.")),
         Column("unit_name", "str", _("Name of the unit.")),
         Column("touchpoint_id", "int", _("Identifier of the touchpoint; 0 = none.")),
         Column("channel", "str", _("Collection channel.")),
         Column("language", "str", _("Language of the responses.")),
         Column("question_key", "str", _("Question key (“__response__” for the response "
                                         "count).")),
         Column("question_type", "str", _("Question type.")),
         Column("value", "int", _("Answer value; −1 = no numeric value.")),
         Column("choice", "str", _("Chosen option; empty = none.")),
         Column("count", "int", _("Number of answers (or responses) with these keys.")))),
}

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "parquet": "application/vnd.apache.parquet"}


# --- Rows ----------------------------------------------------------------------------------

class Lookups:
    """Names of units and touchpoints, loaded once per export."""

    def __init__(self, org, language: str):
        from kokemus.accounts.models import Unit
        from kokemus.journeys.models import Touchpoint

        self.units = {u.pk: u for u in Unit.objects.filter(organisation=org)}
        self.zones = {pk: ZoneInfo(u.time_zone or org.time_zone) for pk, u in self.units.items()}
        self.touchpoints = {
            t.pk: (t.key, pick(t.name, language), pick(t.journey.name, language),
                   pick(t.stage.name, language))
            for t in Touchpoint.objects.filter(organisation=org).select_related("journey",
                                                                                "stage")}

    def response_part(self, rid, submitted, unit_id, tp_id, channel, language, version_id):
        tp = self.touchpoints.get(tp_id, ("", "", "", "")) if tp_id else ("", "", "", "")
        unit = self.units.get(unit_id)
        return (rid, submitted, submitted.astimezone(self.zones[unit_id]).date(), unit_id,
                unit.name if unit else "", tp_id, *tp, channel, language, version_id)


def _response_filter(f):
    from django.db.models import Q

    start, end = f.aware_range()
    q = Q(organisation_id=f.org.pk, unit_id__in=f.unit_ids, submitted_at__gte=start,
          submitted_at__lt=end)
    if f.touchpoint_id:
        q &= Q(touchpoint_id=f.touchpoint_id)
    if f.channel:
        q &= Q(channel=f.channel)
    if f.language:
        q &= Q(language=f.language)
    return q


def response_rows(f, lookups: Lookups) -> Iterator[tuple]:
    from kokemus.responses.models import Response

    qs = (Response.objects.filter(_response_filter(f)).order_by("submitted_at", "id")
          .values_list("id", "submitted_at", "unit_id", "touchpoint_id", "channel",
                       "language", "survey_version_id"))
    part = lookups.response_part
    for row in qs.iterator(chunk_size=CHUNK):
        yield part(*row)


def answer_rows(f, lookups: Lookups) -> Iterator[tuple]:
    from kokemus.comments.ingest import org_text_context
    from kokemus.responses.models import Answer, Response
    from kokemus.text import redact

    names = org_text_context(f.org.pk).staff_names
    responses = Response.objects.filter(_response_filter(f)).values("id")
    qs = (Answer.objects.filter(organisation_id=f.org.pk, response_id__in=responses)
          .order_by("response_id", "id")
          .values_list("response_id", "response__submitted_at", "response__unit_id",
                       "response__touchpoint_id", "response__channel", "response__language",
                       "response__survey_version_id", "question_key", "question_type",
                       "value", "choice", "text", "analysis__redacted"))
    part = lookups.response_part
    last_id, head = None, None
    for (rid, sub, unit_id, tp_id, channel, lang, version, qkey, qtype, value, choice, text,
         redacted) in qs.iterator(chunk_size=CHUNK):
        if rid != last_id:
            last_id, head = rid, part(rid, sub, unit_id, tp_id, channel, lang, version)
        if qtype == "contact_consent" or not text:
            text = ""
        elif redacted is not None:
            text = redacted
        else:
            text = redact(text, names)
        yield (*head, qkey, qtype, value, choice or "", text)


def rollup_rows(f, lookups: Lookups, suppress: bool = False) -> Iterator[tuple]:
    from kokemus.analytics.queries import POLICY

    # one row per key: the slots of concurrent writers summed
    qs = (f.rollups(detail=True)
          .values_list("day", "unit_id", "touchpoint_id", "channel", "language",
                       "question_key", "question_type", "value", "choice")
          .annotate(n=Sum("count")).filter(n__gt=0))
    units = lookups.units

    def full(r):
        u = units.get(r[1])
        return (r[0], r[1], u.name if u else "", *r[2:])

    if not suppress:
        for r in qs.order_by("day", "unit_id", "touchpoint_id", "question_key", "value",
                             "choice", "channel", "language").iterator(chunk_size=CHUNK):
            yield full(r)
        return
    # Group = every key but value/choice; a group's rows are adjacent in this order.
    minimum = POLICY.threshold("unit")
    group_key, buffer, total = None, [], 0
    ordered = qs.order_by("day", "unit_id", "touchpoint_id", "channel", "language",
                          "question_key", "value", "choice")
    for r in ordered.iterator(chunk_size=CHUNK):
        key = r[:6]
        if key != group_key:
            if buffer and total >= minimum:
                yield from (full(b) for b in buffer)
            group_key, buffer, total = key, [], 0
        buffer.append(r)
        total += r[9]
    if buffer and total >= minimum:
        yield from (full(b) for b in buffer)


def rows_for(dataset: str, f, language: str, suppress: bool = False) -> Iterator[tuple]:
    lookups = Lookups(f.org, language)
    if dataset == "responses":
        return response_rows(f, lookups)
    if dataset == "answers":
        return answer_rows(f, lookups)
    return rollup_rows(f, lookups, suppress)


# --- Writers -------------------------------------------------------------------------------

class _Echo:
    def write(self, value):
        return value


def _csv_value(v, excel: bool):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(v, dt.date):
        return v.isoformat()
    if excel and isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v  # Excel would otherwise run it as a formula
    return v


def csv_chunks(dataset: Dataset, rows: Iterable[tuple], bom: bool = False,
               batch: int = 500) -> Iterator[str]:
    """CSV text in pieces of ``batch`` rows (UTF-8; a BOM first for Excel)."""
    import io

    if bom:
        yield "\ufeff"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(dataset.names)
    n = 0
    for row in rows:
        writer.writerow([_csv_value(v, bom) for v in row])
        n += 1
        if n % batch == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_xlsx(dataset: Dataset, rows: Iterable[tuple], fh, title: str = "",
               max_rows: int = XLSX_MAX_ROWS) -> int:
    """Streamed workbook (constant memory, :mod:`kokemus.reports.xlsx`); a new sheet every
    ``max_rows`` rows. Datetimes are written in UTC without a time zone (Excel has none);
    text is always text, never a formula."""
    from kokemus.reports.xlsx import StreamingWorkbook

    wb = StreamingWorkbook(fh)
    base = (title or dataset.key)[:28]
    in_sheet, sheets, total = max_rows, 0, 0
    try:
        for row in rows:
            if in_sheet >= max_rows:
                sheets += 1
                wb.add_sheet(base if sheets == 1 else f"{base[:24]} {sheets}")
                wb.append(dataset.names)
                in_sheet = 0
            wb.append(row)
            in_sheet += 1
            total += 1
        if sheets == 0:
            wb.add_sheet(base)
            wb.append(dataset.names)
    finally:
        wb.close()
    return total


def arrow_schema(dataset: Dataset):
    import pyarrow as pa

    types = {"int": pa.int64(), "str": pa.string(), "text": pa.string(),
             "datetime": pa.timestamp("us", tz="UTC"), "date": pa.date32(),
             "bool": pa.bool_()}
    return pa.schema([pa.field(c.name, types[c.kind]) for c in dataset.columns])


def write_parquet(dataset: Dataset, rows: Iterable[tuple], fh) -> int:
    """Parquet (zstd) in row groups of CHUNK rows; readable by DuckDB, pandas, Spark."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(dataset)
    total = 0
    with pq.ParquetWriter(fh, schema, compression="zstd") as writer:
        batch: list[tuple] = []

        def flush():
            cols = list(zip(*batch, strict=True)) if batch else [[] for _c in schema]
            arrays = [pa.array(col, type=fld.type) for col, fld in zip(cols, schema,
                                                                       strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))

        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                flush()
                total += len(batch)
                batch = []
        if batch or total == 0:
            flush()
            total += len(batch)
    return total


def to_tempfile(fmt: str, dataset: Dataset, rows: Iterable[tuple]):
    """XLSX or Parquet written to an anonymous temporary file, rewound for reading."""
    fh = tempfile.TemporaryFile(prefix="kokemus-export-")
    try:
        if fmt == "xlsx":
            write_xlsx(dataset, rows, fh, title=str(dataset.title))
        else:
            write_parquet(dataset, rows, fh)
    except BaseException:
        fh.close()
        raise
    fh.seek(0)
    return fh
