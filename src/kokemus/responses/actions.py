"""The one ingestion path: every response (web form, kiosk, invitation, API, import) is
stored by :func:`do_submit_response`.

Responses are not written to the audit log (volume); they are append-only data.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Unit
from kokemus.analytics.models import NO_TOUCHPOINT
from kokemus.analytics.rollups import (
    batch_rollup_ctes,
    keys_for,
    local_day,
    response_rollup_ctes,
    upsert_counts,
    write_slot,
)
from kokemus.comments.ingest import (
    after_answers_stored_many,
    pending_comments,
    prepare_free_text,
    schedule_sweep,
)
from kokemus.comments.models import PENDING
from kokemus.db.postgresql.base import prepared_cursor
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.journeys.models import Touchpoint
from kokemus.responses import groupcommit
from kokemus.responses.models import Answer, IdempotencyKey, Response, ResponseChannel
from kokemus.responses.signals import response_submitted
from kokemus.surveys.models import CollectionPoint, SurveyVersion
from kokemus.surveys.questions import clean_answers
from kokemus.surveys.ratelimit import Limiter, RateLimited

IDEMPOTENCY_MAX = 100
# Kiosks send their own clock; allow some skew but no responses from the future.
CLOCK_SKEW = timedelta(minutes=10)


def _resolve(collection_point, unit, touchpoint, survey_version):
    if collection_point is not None:
        cp = collection_point
        if survey_version is None:
            survey_version = cp.survey.current_version
        elif survey_version.survey_id != cp.survey_id:
            raise ValidationError({"survey_version": _("The survey version does not belong to "
                                                       "this collection point.")})
        unit = unit or cp.unit
        touchpoint = touchpoint or cp.touchpoint
        if unit.pk != cp.unit_id:
            raise ValidationError({"unit": _("The unit does not match the collection point.")})
    if unit is None or survey_version is None:
        raise ValidationError({"survey_version": _("A response needs a unit and a survey.")})
    if not survey_version.is_published:
        raise ValidationError({"survey_version": _("This survey version is not published.")})
    org_id = unit.organisation_id
    if survey_version.survey.organisation_id != org_id or \
            (touchpoint is not None and touchpoint.organisation_id != org_id):
        raise ValidationError({"unit": _("The unit, touchpoint and survey must belong to the "
                                         "same organisation.")})
    return unit, touchpoint, survey_version


@dataclass
class _Prepared:
    """One submission after the cheap checks (before its answers are validated)."""

    collection_point: CollectionPoint | None
    unit: Unit
    touchpoint: Touchpoint | None
    version: SurveyVersion
    org_id: int
    language: str
    channel: str
    key: str
    submitted_at: datetime
    answers: dict
    consent_contact: bool
    contact: str
    respondent_token: str


def _prepare(*, collection_point=None, unit=None, touchpoint=None, survey_version=None,
             answers: dict, language: str, channel: str, submitted_at=None,
             idempotency_key=None, consent_contact=False, contact="", respondent_token="",
             now=None, actor=None) -> _Prepared:
    unit, touchpoint, version = _resolve(collection_point, unit, touchpoint, survey_version)
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose Finnish, Swedish or English.")})
    if channel not in ResponseChannel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    key = (idempotency_key or "").strip()
    if len(key) > IDEMPOTENCY_MAX:
        raise ValidationError({"idempotency_key": _("The idempotency key is too long.")})
    now = now or timezone.now()
    if submitted_at is None:
        submitted_at = now
    elif timezone.is_naive(submitted_at):
        raise ValidationError({"submitted_at": _("The answer time needs a time zone.")})
    else:
        # Stored in UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
        try:
            submitted_at = submitted_at.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError({"submitted_at": _("The answer time is out of range.")}) \
                from None
    if submitted_at > now + CLOCK_SKEW:
        raise ValidationError({"submitted_at": _("The answer time is in the future.")})
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("Answers must be an object of question keys.")})
    return _Prepared(collection_point, unit, touchpoint, version, unit.organisation_id,
                     language, channel, key, submitted_at, answers, bool(consent_contact),
                     contact or "", (respondent_token or "")[:100])


def _new_response(p: _Prepared, now) -> tuple[Response, dict]:
    """Validate the answers of ``p`` and build (unsaved) its Response and cleaned values."""
    cleaned = clean_answers(p.version.questions, p.answers, consent_contact=p.consent_contact,
                            contact=p.contact)
    consent_q = cleaned["consent_question"]
    consent_wording = {}
    if consent_q is not None and cleaned["consent"]:
        consent_wording = {"question": consent_q["key"], "language": p.language,
                           "text": pick(consent_q["text"], p.language),
                           "survey_version": p.version.pk}
    response = Response(
        organisation_id=p.org_id, unit=p.unit, touchpoint=p.touchpoint,
        survey_version=p.version, collection_point=p.collection_point,
        channel=p.channel, language=p.language, submitted_at=p.submitted_at,
        received_at=now, idempotency_key=p.key,
        consent_contact=cleaned["consent"], contact=cleaned["contact"],
        consent_wording=consent_wording, respondent_token=p.respondent_token)
    return response, cleaned["values"]


def _store(pairs: list[tuple[Response, _Prepared, dict]]) -> None:
    """Insert responses and answers, redact free text, note mentions, bump rollups."""
    Response.objects.bulk_create([r for r, _p, _v in pairs])
    # The unique (organisation, key) index lives in its own table (responses are
    # partitioned on PostgreSQL); a racing duplicate raises IntegrityError here.
    keys = [IdempotencyKey(organisation_id=r.organisation_id, key=r.idempotency_key,
                           response_id=r.pk, submitted_at=r.submitted_at,
                           created_at=r.received_at)
            for r, _p, _v in pairs if r.idempotency_key]
    if keys:
        IdempotencyKey.objects.bulk_create(keys)
    all_rows, stored = [], []
    counts: Counter = Counter()
    for response, p, values in pairs:
        rows = _answer_rows(response, p.version, values)
        # Personal data leaves free text before it is stored (unless the organisation
        # keeps raw comments); named staff are noted first.
        mentions = prepare_free_text(p.org_id, rows)
        all_rows += rows
        stored.append((response, rows, mentions))
        counts.update(keys_for(response, rows, p.unit.time_zone))
    Answer.objects.bulk_create(all_rows, batch_size=1000)
    after_answers_stored_many(stored)
    # Rollups are bumped in the same transaction: counts never drift.
    upsert_counts(counts)


def _existing(org_id: int, key: str) -> Response | None:
    found = _stored_keys(org_id, [key])
    return found.get(key)


def _stored_keys(org_id: int, keys) -> dict[str, Response]:
    """The stored responses of some idempotency keys of one organisation, by key."""
    # order_by() drops the default ordering: pure index probes on (organisation, key), then
    # on (id, submitted_at) (the submitted_at prunes the partitions on PostgreSQL).
    rows = list(IdempotencyKey.objects.filter(organisation_id=org_id, key__in=list(keys))
                .order_by().values_list("key", "response_id", "submitted_at"))
    if not rows:
        return {}
    by_id = {r.pk: r for r in Response.objects.filter(
        pk__in=[r[1] for r in rows], submitted_at__in={r[2] for r in rows}).order_by()}
    return {key: by_id[rid] for key, rid, _at in rows if rid in by_id}


def do_submit_response(*, collection_point: CollectionPoint | None = None,
                       unit: Unit | None = None, touchpoint: Touchpoint | None = None,
                       survey_version: SurveyVersion | None = None,
                       answers: dict[str, object], language: str, channel: str,
                       submitted_at: datetime | None = None,
                       idempotency_key: str | None = None, consent_contact: bool = False,
                       contact: str = "", respondent_token: str = "",
                       actor: Actor = SYSTEM, limiter=None, group: bool = False,
                       ) -> tuple[Response, bool]:
    """Validate and store one response. Returns ``(response, created)``.

    A repeated ``idempotency_key`` (per organisation) returns the stored response and False
    without changing anything, also when two retries race each other.
    Raises ValidationError keyed by question key (or field name) on bad input.

    ``limiter`` (the public form's :class:`kokemus.surveys.ratelimit.Limiter`) counts the
    submission exactly once, whatever the outcome (stored, a repeat, invalid). Over the
    limit it raises :class:`kokemus.surveys.ratelimit.RateLimited` (before a
    ValidationError) and nothing is stored; the refused submission stays counted. On
    PostgreSQL the count is part of the submission's one statement, which stores nothing
    when the count is over the limit.

    ``group=True`` (the public form) lets a submission with an idempotency key and a
    limiter share its statement with the ones other threads of the process make at the
    same time (:mod:`kokemus.responses.groupcommit`), in autocommit on PostgreSQL.
    """
    now = timezone.now()
    try:
        p = _prepare(collection_point=collection_point, unit=unit, touchpoint=touchpoint,
                     survey_version=survey_version, answers=answers, language=language,
                     channel=channel, submitted_at=submitted_at,
                     idempotency_key=idempotency_key, consent_contact=consent_contact,
                     contact=contact, respondent_token=respondent_token, now=now)
    except ValidationError:
        if limiter is not None:
            limiter.count()
        raise
    if connection.vendor == "postgresql":
        return _submit_one_pg(p, now, limiter, group)
    if limiter is not None:
        limiter.count()  # its own short transaction: SQLite has one writer at a time anyway
    with transaction.atomic():
        if p.key:
            existing = _existing(p.org_id, p.key)
            if existing is not None:
                return existing, False
        response, values = _new_response(p, now)
        try:
            with transaction.atomic():  # savepoint: a racing duplicate key rolls back here
                _store([(response, p, values)])
        except IntegrityError:
            existing = _existing(p.org_id, p.key) if p.key else None
            if existing is None:
                raise
            return existing, False
        transaction.on_commit(
            lambda: response_submitted.send(sender=Response, response=response))
    return response, True


# --- One submission on PostgreSQL: one statement for all its rows --------------------------
#
# The rate-limit count, the idempotency key, the response, its answers, the pending
# analyses of its comments and the rollup counts go in with one prepared INSERT of
# data-modifying CTEs, in autocommit: the statement is the transaction (one round trip, no
# BEGIN or COMMIT). The count comes first and gates the rest: over the limit nothing else
# is inserted. The key is inserted with ON CONFLICT DO NOTHING and hands its
# (sequence-drawn) response id on; a key that exists (also one a concurrent transaction
# commits meanwhile: the insert waits for it) inserts nothing and adds no counts, so no
# lookup before it and no savepoint around it are needed.


class _Row:
    """An answer row as the rollups and the comment preparation see it (no model instance)."""

    __slots__ = ("question_key", "question_type", "value", "choice", "text")

    def __init__(self, question_key, question_type, value=None, choice="", text=""):
        self.question_key = question_key
        self.question_type = question_type
        self.value = value
        self.choice = choice
        self.text = text


def _light_rows(version: SurveyVersion, values: dict) -> list[_Row]:
    """The rows of :func:`_answer_rows`, in the same order, as plain objects."""
    rows = []
    for q in version.questions:
        key = q["key"]
        if key not in values:
            continue
        value, qtype = values[key], q["type"]
        if isinstance(value, list):
            rows.extend(_Row(key, qtype, choice=v) for v in value)
        elif isinstance(value, int):
            rows.append(_Row(key, qtype, value=value))
        elif qtype == "free_text":
            rows.append(_Row(key, qtype, text=value))
        else:
            rows.append(_Row(key, qtype, choice=value))
    return rows


_RESPONSE_COLUMNS = ("organisation_id, unit_id, touchpoint_id, survey_version_id, "
                    "collection_point_id, channel, language, submitted_at, received_at, "
                    "idempotency_key, consent_contact, contact, consent_wording, "
                    "respondent_token")
_RESPONSE_VALUES = "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s"
_sequences: dict[str, str] = {}


def _response_sequence() -> str:
    name = connection.settings_dict["NAME"]
    seq = _sequences.get(name)
    if seq is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')",
                           [Response._meta.db_table])
            seq = _sequences[name] = cursor.fetchone()[0]
    return seq


def _insert_one_pg(response: Response, rows: list[_Row], comments: list[tuple[_Row, str]],
                   mentions: list[tuple[str, int]], unit_zone: str,
                   limiter=None) -> tuple[bool, tuple | None]:
    """Insert the key, response, answers, pending analyses, staff mentions and rollup
    counts, and count the rate limit, in one statement.

    Sets ``response.pk``. Returns (created, (count, expires_at) of the rate limit or None);
    created is False (and nothing inserted but the rate-limit count) when the key is
    already stored or the count is over the limit.

    Locks are taken in one order: the rate-limit row (everything else reads it), the key,
    the rows of the response, then the rollup rows (DailyCount before UnitDayCount).
    """
    r = response
    params: list = []
    ctes = []
    gate, gate_params = "", []
    if limiter is not None:
        hit_sql, hit_params = limiter.hit_sql()
        ctes.append(f"l AS ({hit_sql})")
        params += hit_params
        gate, gate_params = " FROM l WHERE l.count <= %s", [limiter.limit]
    response_params = [r.organisation_id, r.unit_id, r.touchpoint_id, r.survey_version_id,
                       r.collection_point_id, r.channel, r.language, r.submitted_at,
                       r.received_at, r.idempotency_key, r.consent_contact, r.contact,
                       json.dumps(r.consent_wording), r.respondent_token]
    if r.idempotency_key:
        ctes.append(
            "k AS (INSERT INTO responses_idempotencykey (organisation_id, key, response_id, "
            f"submitted_at, created_at) SELECT %s, %s, nextval(%s::regclass), %s, %s{gate} "
            "ON CONFLICT DO NOTHING RETURNING response_id)")
        params += [r.organisation_id, r.idempotency_key, _response_sequence(), r.submitted_at,
                   r.received_at, *gate_params]
        ctes.append(f"r AS (INSERT INTO responses_response (id, {_RESPONSE_COLUMNS}) "
                    f"SELECT k.response_id, {_RESPONSE_VALUES} FROM k RETURNING id)")
        params += response_params
    else:
        ctes.append(f"r AS (INSERT INTO responses_response ({_RESPONSE_COLUMNS}) "
                    f"SELECT {_RESPONSE_VALUES}{gate} RETURNING id)")
        params += response_params + gate_params
    # Rows go in as one JSON parameter per table (json_to_recordset): the statement's text
    # and parameter count do not depend on how many answers there are, so the statement is
    # prepared once per shape and connection.
    if rows:
        ctes.append(
            "a AS (INSERT INTO responses_answer (organisation_id, response_id, submitted_at, "
            "question_key, question_type, value, choice, text) "
            "SELECT %s, r.id, %s, v.k, v.t, v.v, v.c, v.x FROM r CROSS JOIN "
            "json_to_recordset(%s::json) AS v(k text, t text, v integer, c text, x text, "
            "n integer) ORDER BY v.n "
            "RETURNING id, question_key, question_type, value, choice)")
        params += [r.organisation_id, r.submitted_at, json.dumps(
            [{"k": row.question_key, "t": row.question_type, "v": row.value, "c": row.choice,
              "x": row.text, "n": n} for n, row in enumerate(rows)])]
    # Comments and mentions: free text is one answer row per question key.
    if comments:
        ctes.append(
            "c AS (INSERT INTO comments_commentanalysis (organisation_id, answer_id, language, "
            "sentiment, score, themes, redacted, analysed_at) "
            "SELECT %s, a.id, %s, %s, 0.0, '[]'::jsonb, v.redacted, %s FROM a JOIN "
            "json_to_recordset(%s::json) AS v(k text, redacted text) ON a.question_key = v.k)")
        params += [r.organisation_id, r.language, PENDING, r.received_at, json.dumps(
            [{"k": row.question_key, "redacted": redacted} for row, redacted in comments])]
    if mentions:
        ctes.append(
            "m AS (INSERT INTO comments_staffmention (organisation_id, answer_id, "
            "membership_id, created_at) SELECT %s, a.id, v.mid, %s FROM a JOIN "
            "json_to_recordset(%s::json) AS v(k text, mid bigint) ON a.question_key = v.k)")
        params += [r.organisation_id, r.received_at,
                   json.dumps([{"k": key, "mid": mid} for key, mid in mentions])]
    # Rollups are bumped in the same statement (so the same transaction): counts never
    # drift. Only when the response was inserted (the key was new).
    rollup_ctes, rollup_params = response_rollup_ctes(r, unit_zone, "a" if rows else None,
                                                      guard="r")
    ctes += rollup_ctes
    params += rollup_params
    if limiter is not None:
        # the window's end as epoch seconds: a float loads cheaper than a timestamptz
        main = ("SELECT (SELECT id FROM r), l.count, "
                "extract(epoch FROM l.expires_at)::float8 FROM l")
    else:
        main = "SELECT (SELECT id FROM r), NULL, NULL"
    with prepared_cursor(connection) as cursor:
        cursor.execute("WITH " + ", ".join(ctes) + " " + main, params)
        found, count, expires_at = cursor.fetchone()
    hit = (count, expires_at) if limiter is not None else None
    if found is None:
        return False, hit
    _mark_stored(r, found)
    return True, hit


def _mark_stored(response: Response, pk: int) -> None:
    """Make an instance inserted by raw SQL look saved to Django."""
    response.pk = pk
    response._state.adding = False
    response._state.db = connection.alias


_S_RECORD = ("i integer, lk text, lexp timestamptz, org bigint, idem text, unit bigint, "
             "tp bigint, rtp bigint, sv bigint, cp bigint, ch text, lang text, "
             "sub timestamptz, rec timestamptz, consent boolean, contact text, cw jsonb, "
             "tok text, day date")
_batch_sql: dict[tuple, str] = {}


def _batch_statement(sequence: str, comments: bool, mentions: bool) -> str:
    """The text of :func:`_insert_many_pg`'s statement: the same for any number of
    submissions (rows come as JSON parameters), so it is prepared once per connection and
    shape (with or without comments, with or without mentions: a statement without a CTE
    that would insert nothing is cheaper to start)."""
    shape = (sequence, comments, mentions)
    sql = _batch_sql.get(shape)
    if sql is not None:
        return sql
    hit, _params = Limiter.hit_many_sql("s")
    ctes = [
        f"s AS MATERIALIZED (SELECT * FROM json_to_recordset(%s::json) AS s({_S_RECORD}))",
        f"l AS ({hit})",
        # keys in (organisation, key) order: two batches never wait for each other's keys
        # in opposite orders
        "k AS (INSERT INTO responses_idempotencykey (organisation_id, key, response_id, "
        "submitted_at, created_at) SELECT s.org, s.idem, "
        f"nextval('{sequence}'::regclass), s.sub, s.rec FROM s JOIN l ON l.key = s.lk "
        'WHERE l.count <= %s ORDER BY s.org, s.idem COLLATE "C" '
        "ON CONFLICT DO NOTHING RETURNING organisation_id, key, response_id)",
        "q AS MATERIALIZED (SELECT s.*, k.response_id AS id FROM k "
        "JOIN s ON s.org = k.organisation_id AND s.idem = k.key)",
        f"r AS (INSERT INTO responses_response (id, {_RESPONSE_COLUMNS}) "
        "SELECT id, org, unit, tp, sv, cp, ch, lang, sub, rec, idem, consent, contact, cw, tok "
        "FROM q)",
        "a AS (INSERT INTO responses_answer (organisation_id, response_id, submitted_at, "
        "question_key, question_type, value, choice, text) "
        "SELECT q.org, q.id, q.sub, v.k, v.t, v.v, v.c, v.x FROM q JOIN "
        "json_to_recordset(%s::json) AS v(i integer, k text, t text, v integer, c text, "
        "x text, n integer) ON v.i = q.i ORDER BY v.n "
        "RETURNING id, response_id, question_key, question_type, value, choice)",
    ]
    if comments:
        ctes.append(
            "c AS (INSERT INTO comments_commentanalysis (organisation_id, answer_id, "
            "language, sentiment, score, themes, redacted, analysed_at) "
            "SELECT q.org, a.id, q.lang, %s, 0.0, '[]'::jsonb, v.redacted, q.rec FROM a "
            "JOIN q ON q.id = a.response_id JOIN json_to_recordset(%s::json) "
            "AS v(i integer, k text, redacted text) ON v.i = q.i AND v.k = a.question_key)")
    if mentions:
        ctes.append(
            "m AS (INSERT INTO comments_staffmention (organisation_id, answer_id, "
            "membership_id, created_at) SELECT q.org, a.id, v.mid, q.rec FROM a "
            "JOIN q ON q.id = a.response_id JOIN json_to_recordset(%s::json) "
            "AS v(i integer, k text, mid bigint) ON v.i = q.i AND v.k = a.question_key)")
    ctes += batch_rollup_ctes("q", "a")
    sql = _batch_sql[shape] = (
        "WITH " + ", ".join(ctes) + " SELECT s.i, q.id, l.count, "
        "extract(epoch FROM l.expires_at)::float8 FROM s JOIN l ON l.key = s.lk "
        "LEFT JOIN q ON q.i = s.i ORDER BY s.i")
    return sql


def _insert_many_pg(items: list[tuple]) -> list[tuple[bool, tuple]]:
    """:func:`_insert_one_pg` for several submissions in one statement (group commit; see
    :mod:`kokemus.responses.groupcommit`). Each item is ``(response, rows, comments,
    mentions, unit_zone, limiter)``, all with an idempotency key and a limiter; no two
    items share a key or a limiter key. Returns ``(created, (count, window end))`` per
    item and sets the created responses' pks. The same rows and locks as the items one by
    one, in one transaction; the locks of each kind are taken in key order."""
    subs, answers, comments, mentions = [], [], [], []
    limit = items[0][5].limit
    for i, (r, rows, item_comments, item_mentions, zone, limiter) in enumerate(items):
        subs.append({
            "i": i, "lk": limiter.key, "lexp": limiter.window_end().isoformat(),
            "org": r.organisation_id, "idem": r.idempotency_key, "unit": r.unit_id,
            "tp": r.touchpoint_id, "rtp": r.touchpoint_id or NO_TOUCHPOINT,
            "sv": r.survey_version_id, "cp": r.collection_point_id, "ch": r.channel,
            "lang": r.language, "sub": r.submitted_at.isoformat(),
            "rec": r.received_at.isoformat(), "consent": r.consent_contact,
            "contact": r.contact, "cw": r.consent_wording, "tok": r.respondent_token,
            "day": local_day(r.submitted_at, zone).isoformat()})
        answers += [{"i": i, "k": row.question_key, "t": row.question_type, "v": row.value,
                     "c": row.choice, "x": row.text, "n": len(answers) + n}
                    for n, row in enumerate(rows)]
        comments += [{"i": i, "k": row.question_key, "redacted": redacted}
                     for row, redacted in item_comments]
        mentions += [{"i": i, "k": key, "mid": mid} for key, mid in item_mentions]
    _hit, hit_params = Limiter.hit_many_sql("s")
    params = [json.dumps(subs), *hit_params, limit, json.dumps(answers)]
    if comments:
        params += [PENDING, json.dumps(comments)]
    if mentions:
        params.append(json.dumps(mentions))
    params += [write_slot(), write_slot()]
    sql = _batch_statement(_response_sequence(), bool(comments), bool(mentions))
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    results = []
    for (r, *_rest), (_i, pk, count, expires_at) in zip(items, found, strict=True):
        if pk is not None:
            _mark_stored(r, pk)
        results.append((pk is not None, (count, expires_at)))
    return results


def _submit_one_pg(p: _Prepared, now, limiter=None, group=False) -> tuple[Response, bool]:
    """:func:`do_submit_response` on PostgreSQL (same results, one statement)."""
    try:
        response, values = _new_response(p, now)
    except ValidationError:
        if limiter is not None:
            limiter.count()
        # As before: a retry of a stored submission is answered with it, valid or not now.
        existing = _existing(p.org_id, p.key) if p.key else None
        if existing is None:
            raise
        return existing, False
    rows = _light_rows(p.version, values)
    # Personal data leaves free text before it is stored (unless the organisation keeps
    # raw comments); named staff are noted first.
    found = prepare_free_text(p.org_id, rows)
    mentions = [(rows[i].question_key, mid) for i, mids in found.items() for mid in mids]
    comments = pending_comments(p.org_id, rows)
    uncounted = limiter
    for _attempt in range(3):
        # In autocommit the statement is its own transaction; in a caller's transaction
        # it is part of that. Either way it stores everything or nothing.
        insert = groupcommit.insert if group and uncounted is not None and p.key and \
            groupcommit.enabled() else _insert_one_pg
        created, hit = insert(response, rows, comments, mentions, p.unit.time_zone, uncounted)
        if hit is not None:
            uncounted = None  # counted: a retry of the insert does not count again
            if limiter.over(*hit):
                raise RateLimited
        if created:
            if comments:
                transaction.on_commit(schedule_sweep)
            transaction.on_commit(
                lambda: response_submitted.send(sender=Response, response=response))
            return response, True
        # The key is stored (or was, by a transaction that has rolled back since).
        existing = _existing(p.org_id, p.key)
        if existing is not None:
            return existing, False
    raise IntegrityError(f"idempotency key {p.key!r} conflicts but no response is stored")


@dataclass
class SubmitResult:
    status: str  # "created", "duplicate" or "invalid"
    response: Response | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def do_submit_batch(items: list[dict], actor: Actor = SYSTEM) -> list[SubmitResult]:
    """Store many responses in one transaction with bulk inserts; one result per item.

    Each item takes the keyword arguments of :func:`do_submit_response` and is validated
    exactly as it would be there. Invalid items are reported and skipped, never stored;
    a repeated idempotency key (stored before, or earlier in the same batch) is a
    duplicate. If a concurrent writer stores one of the keys meanwhile, the batch falls
    back to one-by-one submission, so the results are the same either way.
    """
    now = timezone.now()
    results: list[SubmitResult | None] = [None] * len(items)
    prepared: list[tuple[int, _Prepared]] = []
    for i, item in enumerate(items):
        try:
            prepared.append((i, _prepare(**item, now=now)))
        except (ValidationError, TypeError) as exc:
            results[i] = SubmitResult("invalid", errors=_errors_of(exc))
    with transaction.atomic():
        keys: dict[int, set[str]] = defaultdict(set)
        for _i, p in prepared:
            if p.key:
                keys[p.org_id].add(p.key)
        stored: dict[tuple[int, str], Response] = {}
        for org_id, org_keys in keys.items():
            found = _stored_keys(org_id, org_keys)
            stored.update({(org_id, key): r for key, r in found.items()})
        first_in_batch: dict[tuple[int, str], int] = {}
        repeats: list[tuple[int, tuple[int, str]]] = []
        new: list[tuple[int, Response, _Prepared, dict]] = []
        for i, p in prepared:
            ident = (p.org_id, p.key)
            if p.key and ident in stored:
                results[i] = SubmitResult("duplicate", stored[ident])
                continue
            if p.key and ident in first_in_batch:
                repeats.append((i, ident))
                continue
            try:
                response, values = _new_response(p, now)
            except ValidationError as exc:
                results[i] = SubmitResult("invalid", errors=_errors_of(exc))
                continue
            if p.key:
                first_in_batch[ident] = i
            new.append((i, response, p, values))
        try:
            with transaction.atomic():
                _store([(r, p, v) for _i, r, p, v in new])
        except IntegrityError:
            return _submit_one_by_one(items, results, new, repeats, actor)
        for i, response, _p, _v in new:
            results[i] = SubmitResult("created", response)
        for i, ident in repeats:
            results[i] = SubmitResult("duplicate", results[first_in_batch[ident]].response)
        created = [r for _i, r, _p, _v in new]
        transaction.on_commit(lambda: [response_submitted.send(sender=Response, response=r)
                                       for r in created])
    return results  # type: ignore[return-value]


def _submit_one_by_one(items, results, new, repeats, actor) -> list[SubmitResult]:
    for i, *_rest in new + [(i, None, None, None) for i, _ident in repeats]:
        try:
            response, created = do_submit_response(**items[i], actor=actor)
        except ValidationError as exc:
            results[i] = SubmitResult("invalid", errors=_errors_of(exc))
        else:
            results[i] = SubmitResult("created" if created else "duplicate", response)
    return results


def _errors_of(exc: Exception) -> dict[str, list[str]]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {k: [str(m) for m in ValidationError(v).messages]
                    for k, v in exc.error_dict.items()}
        return {"__all__": [str(m) for m in exc.messages]}
    return {"__all__": [str(exc)]}


def _answer_rows(response: Response, version: SurveyVersion, values: dict) -> list[Answer]:
    rows = []
    for q in version.questions:
        if q["key"] not in values:
            continue
        value = values[q["key"]]
        base = {"organisation_id": response.organisation_id, "response": response,
                "submitted_at": response.submitted_at,  # the partition key of answers
                "question_key": q["key"], "question_type": q["type"]}
        if isinstance(value, list):
            rows.extend(Answer(**base, choice=v) for v in value)
        elif isinstance(value, int):
            rows.append(Answer(**base, value=value))
        elif q["type"] == "free_text":
            rows.append(Answer(**base, text=value))
        else:
            rows.append(Answer(**base, choice=value))
    return rows
