"""Import jobs: store the upload, set the mapping, preview, validate (dry run) and import.

Every row goes through ``kokemus.responses.actions.do_submit_response`` with channel
"import" and idempotency key ``"import:" + external id`` (or a hash of the mapped row when
there is no external id column), so importing the same file again adds nothing. Rows are
read one at a time and committed in batches (``BATCH_SIZE`` rows per transaction); at most
``ERROR_SAMPLE`` errors are kept on the job, every error goes to the job's error CSV file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation, Unit
from kokemus.imports.models import ImportJob, ImportStatus
from kokemus.imports.reader import ReadError, open_table
from kokemus.imports.values import (
    PRESETS,
    label_map,
    map_answer,
    norm_label,
    parse_datetime,
    parse_language,
)
from kokemus.journeys.i18n import LANGUAGES
from kokemus.journeys.models import Touchpoint
from kokemus.surveys.models import Survey, SurveyVersion
from kokemus.surveys.questions import clean_answers

logger = logging.getLogger(__name__)

MAX_UPLOAD = 200 * 1024 * 1024
BATCH_SIZE = 500
ERROR_SAMPLE = 1000
PREVIEW_ROWS = 20
FIELD_TARGETS = ("unit", "touchpoint", "time", "external_id", "language")
CLOCK_SKEW = dt.timedelta(minutes=10)


def import_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- Upload ----------------------------------------------------------------------------------

def do_create_job(actor: Actor, org: Organisation, *, source, filename: str = "",
                  survey: Survey | None = None, copy: bool = True) -> ImportJob:
    """Create a job for a file: ``source`` is an UploadedFile or a path.

    Uploads are streamed to ``VAR_DIR/imports/``; a path is used in place when ``copy`` is
    False (the command-line import). Raises ValidationError({"file": …}) when the file is
    not a readable table.
    """
    if survey is not None and survey.organisation_id != org.pk:
        raise ValidationError({"survey": _("Choose a survey of this organisation.")})
    if hasattr(source, "chunks"):
        if source.size > MAX_UPLOAD:
            raise ValidationError({"file": _("The file is larger than 200 MB.")})
        suffix = Path(source.name or "").suffix.lower()[:6] or ".csv"
        target = import_dir() / f"{uuid.uuid4().hex}{suffix}"
        with open(target, "wb") as out:
            for chunk in source.chunks():
                out.write(chunk)
        filename = filename or source.name or ""
    else:
        src = Path(source)
        if copy:
            target = import_dir() / f"{uuid.uuid4().hex}{src.suffix.lower()[:6]}"
            shutil.copyfile(src, target)
        else:
            target = src.resolve()
        filename = filename or src.name
    try:
        with open_table(target) as table:
            header, fmt = table.header, table.format
            encoding, delimiter = table.encoding, table.delimiter
            total = table.estimate_total
    except ReadError as exc:
        if copy or hasattr(source, "chunks"):
            target.unlink(missing_ok=True)
        raise ValidationError({"file": str(exc)}) from exc
    with transaction.atomic():
        job = ImportJob.objects.create(
            organisation=org, uploaded_by=actor.user, survey=survey,
            original_name=filename[:255], file_path=str(target), format=fmt,
            encoding=encoding, delimiter=delimiter, header=header, rows_total=total)
        record(actor, "import.upload", job, organisation=org,
               changes={"file": filename[:100], "format": fmt, "rows": total})
    return job


# --- Mapping ---------------------------------------------------------------------------------

def guess_mapping(job: ImportJob, version: SurveyVersion | None) -> dict:
    names = {"unit": ("unit", "unit_id", "yksikkö", "toimipiste", "enhet", "site"),
             "touchpoint": ("touchpoint", "kosketuspiste", "kontaktpunkt"),
             "time": ("time", "date", "submitted_at", "datetime", "aika", "päivämäärä",
                      "tid", "datum", "timestamp"),
             "external_id": ("external_id", "external id", "id", "response_id", "tunniste"),
             "language": ("language", "lang", "kieli", "språk")}
    columns = {}
    keys = {q["key"]: q for q in (version.questions if version else [])}
    for h in job.header:
        low = h.strip().lower()
        target = next((t for t, ns in names.items() if low in ns), "")
        if not target and low in keys:
            target = f"q:{low}"
        columns[h] = target
    return {"survey": job.survey_id, "columns": columns, "values": {}, "preset": "",
            "default_unit": None, "default_language": job.organisation.default_language,
            "time_zone": job.organisation.time_zone}


def check_mapping(org: Organisation, header: list[str], mapping: dict) -> tuple[dict, Survey]:
    """Validate and normalise a mapping dict; raise ValidationError keyed by field."""
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("The mapping must be a JSON object.")})
    survey = Survey.objects.filter(organisation=org, pk=mapping.get("survey"),
                                   archived_at__isnull=True).first() \
        if str(mapping.get("survey") or "").isdigit() else None
    if survey is None or survey.current_version is None:
        raise ValidationError({"survey": _("Choose a published survey of this organisation.")})
    version = survey.current_version
    qkeys = {q["key"] for q in version.questions}
    columns = mapping.get("columns") or {}
    if not isinstance(columns, dict):
        raise ValidationError({"columns": _("Map the columns by their header names.")})
    errors = {}
    used: dict[str, str] = {}
    clean_columns = {}
    for name, target in columns.items():
        target = (target or "").strip()
        if not target:
            continue
        if name not in header:
            errors[name] = _("The file has no column “%(name)s”.") % {"name": name[:60]}
            continue
        valid = target in FIELD_TARGETS or (target.startswith("q:") and target[2:] in qkeys)
        if not valid:
            errors[name] = _("“%(target)s” is not a field or a question of the survey.") \
                % {"target": target[:60]}
            continue
        if target in used:
            errors[name] = _("Two columns are mapped to the same field (“%(other)s”).") \
                % {"other": used[target][:60]}
            continue
        used[target] = name
        clean_columns[name] = target
    if "time" not in used:
        errors["time"] = _("Choose the column with the answer time.")
    default_unit = mapping.get("default_unit")
    if "unit" not in used and not default_unit:
        errors["unit"] = _("Choose the unit column or one unit for every row.")
    if not any(t.startswith("q:") for t in used):
        errors["columns"] = _("Map at least one column to a question.")
    values = mapping.get("values") or {}
    clean_values = {}
    for key, table in values.items():
        if key not in qkeys or not isinstance(table, dict):
            errors[f"values-{key}"] = _("Value mapping for an unknown question.")
            continue
        clean_values[key] = {norm_label(k): v for k, v in table.items() if str(k).strip()}
    lang = mapping.get("default_language") or org.default_language or "fi"
    if lang not in LANGUAGES:
        errors["default_language"] = _("Choose Finnish, Swedish or English.")
    tz_name = mapping.get("time_zone") or org.time_zone
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Unknown time zone.")
    preset = mapping.get("preset") or ""
    if preset and preset not in PRESETS:
        errors["preset"] = _("Unknown preset.")
    if errors:
        raise ValidationError(errors)
    return ({"survey": survey.pk, "columns": clean_columns, "values": clean_values,
             "preset": preset, "default_unit": int(default_unit) if default_unit else None,
             "default_language": lang, "time_zone": tz_name}, survey)


@transaction.atomic
def do_set_mapping(actor: Actor, job: ImportJob, mapping: dict) -> ImportJob:
    if job.is_active:
        raise ValidationError({"mapping": _("The import is running.")})
    clean, survey = check_mapping(job.organisation, job.header, mapping)
    job.mapping = clean
    job.survey = survey
    job.status = ImportStatus.MAPPED
    job.save(update_fields=["mapping", "survey", "status"])
    record(actor, "import.map", job, organisation=job.organisation,
           changes={"survey": survey.pk, "columns": len(clean["columns"])})
    return job


# --- Row mapping -----------------------------------------------------------------------------

class RowMapper:
    """Turns one row of cells into ``do_submit_response`` arguments, or errors by column."""

    def __init__(self, job: ImportJob, units=None):
        org = job.organisation
        self.org = org
        clean, survey = check_mapping(org, job.header, job.mapping)
        self.mapping = clean
        self.survey = survey
        self.version = survey.current_version
        self.version.survey = survey
        self.questions = {q["key"]: q for q in self.version.questions}
        self.tz = ZoneInfo(clean["time_zone"])
        self.index = {}  # target → (column index, column name)
        for name, target in clean["columns"].items():
            self.index[target] = (job.header.index(name), name)
        units = list(units if units is not None else
                     Unit.objects.filter(organisation=org, archived_at__isnull=True))
        self.unit_by_id = {str(u.pk): u for u in units}
        self.unit_by_name: dict[str, list[Unit]] = {}
        for u in units:
            self.unit_by_name.setdefault(norm_label(u.name), []).append(u)
        self.default_unit = self.unit_by_id.get(str(clean["default_unit"])) \
            if clean["default_unit"] else None
        if clean["default_unit"] and self.default_unit is None:
            raise ValidationError({"default_unit": _("Choose a unit you can manage.")})
        tps = list(Touchpoint.objects.filter(organisation=org))
        self.tp_by_id = {str(t.pk): t for t in tps}
        self.tp_by_key: dict[str, list[Touchpoint]] = {}
        for t in tps:
            self.tp_by_key.setdefault(t.key.lower(), []).append(t)
        self.labels = {}
        for key, q in self.questions.items():
            table = label_map(q, clean["preset"] or None)
            table.update(clean["values"].get(key, {}))
            self.labels[key] = table

    def column_of(self, field: str) -> str:
        """The column name for a target or question key (for error reports)."""
        for target, (_i, name) in self.index.items():
            if target == field or target == f"q:{field}":
                return name
        return field

    def _cell(self, row, target):
        found = self.index.get(target)
        if found is None or found[0] >= len(row):
            return ""
        value = row[found[0]]
        return value.strip() if isinstance(value, str) else value

    def map(self, row) -> tuple[dict | None, dict[str, str]]:
        errors: dict[str, str] = {}
        unit = self.default_unit
        if "unit" in self.index:
            raw = str(self._cell(row, "unit"))
            unit = self.unit_by_id.get(raw)
            if unit is None:
                matches = self.unit_by_name.get(norm_label(raw), [])
                if not raw:
                    errors["unit"] = _("The unit is missing.")
                elif len(matches) > 1:
                    errors["unit"] = _("“%(value)s” matches several units; use the unit id.") \
                        % {"value": raw[:60]}
                elif not matches:
                    errors["unit"] = _("Unknown unit “%(value)s”.") % {"value": raw[:60]}
                else:
                    unit = matches[0]
        touchpoint = None
        raw_tp = str(self._cell(row, "touchpoint") or "")
        if raw_tp:
            touchpoint = self.tp_by_id.get(raw_tp)
            if touchpoint is None:
                matches = self.tp_by_key.get(raw_tp.lower(), [])
                if len(matches) == 1:
                    touchpoint = matches[0]
                else:
                    errors["touchpoint"] = _("Unknown touchpoint “%(value)s”.") \
                        % {"value": raw_tp[:60]}
        submitted_at, problem = parse_datetime(self._cell(row, "time"), self.tz)
        if problem:
            errors["time"] = problem
        elif submitted_at > timezone.now() + CLOCK_SKEW:
            errors["time"] = _("The answer time is in the future.")
        language = self.mapping["default_language"]
        raw_lang = self._cell(row, "language")
        if raw_lang:
            language = parse_language(raw_lang)
            if language is None:
                errors["language"] = _("Unknown language “%(value)s”.") \
                    % {"value": str(raw_lang)[:20]}
        answers = {}
        for target in self.index:
            if not target.startswith("q:"):
                continue
            key = target[2:]
            value = map_answer(self.questions[key], self._cell(row, target), self.labels[key])
            if value is not None:
                answers[key] = value
        external_id = str(self._cell(row, "external_id") or "")
        if errors:
            return None, errors
        if external_id:
            key = f"import:{external_id}"
            if len(key) > 100:
                key = "import:sha256:" + hashlib.sha256(external_id.encode()).hexdigest()[:64]
        else:
            content = json.dumps([self.survey.pk, unit.pk, touchpoint.pk if touchpoint else None,
                                  submitted_at.isoformat(), language, answers],
                                 sort_keys=True, default=str)
            key = "import:row:" + hashlib.sha256(content.encode()).hexdigest()[:64]
        return {"unit": unit, "touchpoint": touchpoint, "survey_version": self.version,
                "answers": answers, "language": language, "submitted_at": submitted_at,
                "idempotency_key": key}, {}

    def validate(self, kwargs: dict) -> dict[str, str]:
        """The checks ``do_submit_response`` makes, without writing (for dry runs)."""
        try:
            clean_answers(self.version.questions, kwargs["answers"])
        except ValidationError as exc:
            return _error_dict(exc)
        return {}


def _error_dict(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {k: " ".join(str(m) for m in v) for k, v in exc.message_dict.items()}
    return {"": " ".join(exc.messages)}


def preview(job: ImportJob, units=None, limit: int = PREVIEW_ROWS) -> dict:
    mapper = RowMapper(job, units)
    rows = []
    with open_table(job.file_path, job.format) as table:
        for rownum, row, problem in table.rows():
            if len(rows) >= limit:
                break
            item = {"row": rownum, "cells": row, "errors": [], "values": None}
            if problem:
                item["errors"] = [{"field": "", "message": problem}]
            else:
                kwargs, errors = mapper.map(row)
                if kwargs and not errors:
                    errors = mapper.validate(kwargs)
                    item["values"] = {
                        "unit": kwargs["unit"].name,
                        "touchpoint": kwargs["touchpoint"].key if kwargs["touchpoint"] else "",
                        "time": kwargs["submitted_at"], "language": kwargs["language"],
                        "answers": kwargs["answers"]}
                item["errors"] = [{"field": mapper.column_of(k), "message": v}
                                  for k, v in errors.items()]
            rows.append(item)
    return {"rows": rows, "questions": list(mapper.questions)}


# --- Running ---------------------------------------------------------------------------------

class _Errors:
    def __init__(self, job: ImportJob):
        self.sample: list[dict] = []
        self.path = import_dir() / f"job-{job.pk}-errors.csv"
        self._file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file)
        self._writer.writerow(["row", "field", "message"])

    def add(self, row: int, field: str, message: str) -> None:
        self._writer.writerow([row, field, message])
        if len(self.sample) < ERROR_SAMPLE:
            self.sample.append({"row": row, "field": field, "message": message})

    def close(self):
        self._file.close()


def start_job(job: ImportJob, *, dry_run: bool) -> ImportJob:
    """Mark a mapped job as queued for a run (the UI then enqueues the task)."""
    if job.is_active:
        raise ValidationError({"job": _("The import is already running.")})
    if job.status == ImportStatus.UPLOADED or not job.mapping:
        raise ValidationError({"job": _("Map the columns first.")})
    job.status = ImportStatus.VALIDATING if dry_run else ImportStatus.RUNNING
    job.dry_run = dry_run
    job.rows_done = job.rows_ok = job.rows_bad = job.rows_duplicate = 0
    job.errors = []
    job.message = ""
    job.started_at = timezone.now()
    job.finished_at = None
    job.save()
    return job


def run_job(job: ImportJob, *, dry_run: bool = False, actor: Actor | None = None, units=None,
            batch_size: int = BATCH_SIZE,
            progress: Callable[[ImportJob], None] | None = None) -> ImportJob:
    """Validate (``dry_run``) or import every row of the job's file, streaming."""
    from kokemus.responses.actions import do_submit_batch

    actor = actor or Actor(user=job.uploaded_by)
    if not job.is_active:
        start_job(job, dry_run=dry_run)
    org = job.organisation
    errors = _Errors(job)
    counts = {"done": 0, "ok": 0, "dup": 0, "bad": 0}

    def flush(final=False):
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=counts["done"], rows_ok=counts["ok"], rows_bad=counts["bad"],
            rows_duplicate=counts["dup"], errors=errors.sample,
            rows_total=max(job.rows_total, counts["done"]) if not final else counts["done"])
        job.rows_done, job.rows_ok, job.rows_bad = counts["done"], counts["ok"], counts["bad"]
        job.rows_duplicate = counts["dup"]
        if progress:
            progress(job)

    try:
        if units is None and job.uploaded_by_id is not None:
            from kokemus.accounts.models import Membership

            m = Membership.objects.filter(user_id=job.uploaded_by_id, organisation=org).first()
            if m is not None:
                units = [u for u in m.visible_units().filter(archived_at__isnull=True)
                         if m.can_manage_unit(u)]
        mapper = RowMapper(job, units)
        with open_table(job.file_path, job.format) as table:
            job.rows_total = table.estimate_total
            rows = table.rows()
            exhausted = False
            while not exhausted:
                pending: list[tuple[int, dict]] = []  # (row number, submit kwargs)
                for _n in range(batch_size):
                    item = next(rows, None)
                    if item is None:
                        exhausted = True
                        break
                    rownum, row, problem = item
                    counts["done"] += 1
                    if problem:
                        counts["bad"] += 1
                        errors.add(rownum, "", problem)
                        continue
                    kwargs, row_errors = mapper.map(row)
                    if not row_errors:
                        if not dry_run:
                            pending.append((rownum, kwargs))
                            continue
                        row_errors = mapper.validate(kwargs)
                        if not row_errors:
                            counts["ok"] += 1
                            continue
                    counts["bad"] += 1
                    for field, message in row_errors.items():
                        errors.add(rownum, mapper.column_of(field), message)
                if pending:
                    # One transaction and bulk inserts per batch, validated row by row
                    # exactly as do_submit_response would.
                    results = do_submit_batch(
                        [{**kwargs, "channel": "import"} for _r, kwargs in pending],
                        actor=actor)
                    for (rownum, _kwargs), result in zip(pending, results, strict=True):
                        if result.status == "invalid":
                            counts["bad"] += 1
                            for field, messages in result.errors.items():
                                for message in messages:
                                    errors.add(rownum, mapper.column_of(field), message)
                        else:
                            counts["ok" if result.status == "created" else "dup"] += 1
                flush()
    except (ReadError, ValidationError, OSError) as exc:
        errors.close()
        message = str(exc) if isinstance(exc, ReadError) else " ".join(
            getattr(exc, "messages", [str(exc)]))
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=message,
                                                   finished_at=timezone.now())
        job.refresh_from_db()
        return job
    except Exception as exc:
        errors.close()
        logger.exception("import job %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(),
            message=_("The import stopped because of an internal error (%(error)s).")
            % {"error": type(exc).__name__})
        raise
    errors.close()
    flush(final=True)
    status = ImportStatus.VALIDATED if dry_run else ImportStatus.DONE
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(),
                                                   error_file=str(errors.path))
        job.refresh_from_db()
        record(actor, "import.validate" if dry_run else "import.run", job, organisation=org,
               changes={"rows": counts["done"], "ok": counts["ok"], "bad": counts["bad"],
                        "duplicates": counts["dup"]})
    return job


@transaction.atomic
def do_delete_job(actor: Actor, job: ImportJob) -> None:
    if job.is_active:
        raise ValidationError({"job": _("The import is running.")})
    for p in (job.file_path, job.error_file):
        path = Path(p) if p else None
        if path and path.is_relative_to(import_dir().resolve()) and path.exists():
            path.unlink()
    record(actor, "import.delete", job, organisation=job.organisation)
    job.delete()
