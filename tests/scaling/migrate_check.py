"""Run by test_partitions.py in a subprocess (DATABASE_URL = an empty scratch database):
migrate to the state before responses 0003, write responses/answers (several months, one
far in the past, idempotency keys, a comment analysis and a follow-up case pointing at
them) with the historical models, migrate to the head, then print what is there as JSON."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

BEFORE = [("responses", "0002_idempotency_index"), ("improvement", "0002_action_goal"),
          ("comments", "0001_initial"), ("invitations", "0001_initial")]


def main() -> None:
    for app, name in BEFORE:
        call_command("migrate", app, name, verbosity=0)
    executor = MigrationExecutor(connection)
    apps = executor.loader.project_state(BEFORE).apps
    Organisation = apps.get_model("accounts", "Organisation")
    Unit = apps.get_model("accounts", "Unit")
    Survey = apps.get_model("surveys", "Survey")
    SurveyVersion = apps.get_model("surveys", "SurveyVersion")
    Response = apps.get_model("responses", "Response")
    Answer = apps.get_model("responses", "Answer")
    CommentAnalysis = apps.get_model("comments", "CommentAnalysis")
    FollowUpCase = apps.get_model("improvement", "FollowUpCase")

    org = Organisation.objects.create(name="Migr", slug="migr")
    unit = Unit.objects.create(organisation=org, name="Site")
    survey = Survey.objects.create(organisation=org, name={"en": "S"})
    version = SurveyVersion.objects.create(survey=survey, number=1)
    now = datetime.now(UTC)
    times = [now - timedelta(days=d) for d in (0, 1, 35, 70, 200, 400)]
    times.append(datetime(1999, 6, 15, 12, tzinfo=UTC))  # before the partitioned range
    responses = []
    for i, at in enumerate(times):
        r = Response.objects.create(organisation=org, unit=unit, survey_version=version,
                                    channel="api", language="fi", submitted_at=at,
                                    idempotency_key=f"key-{i}" if i % 2 == 0 else "")
        responses.append(r)
        Answer.objects.create(organisation=org, response=r, question_key="nps",
                              question_type="nps", value=i)
        Answer.objects.create(organisation=org, response=r, question_key="improve",
                              question_type="free_text", text=f"text {i}")
    text_answer = Answer.objects.filter(response=responses[4], question_type="free_text").get()
    CommentAnalysis.objects.create(organisation=org, answer=text_answer, language="fi",
                                   sentiment="neutral", score=0.0, redacted="x")
    FollowUpCase.objects.create(organisation=org, unit=unit, response=responses[3],
                                reason="low_score", due_date=now.date())
    before = {"responses": Response.objects.count(), "answers": Answer.objects.count(),
              "max_response_id": max(r.pk for r in responses),
              "max_answer_id": Answer.objects.order_by("-pk").first().pk}

    call_command("migrate", verbosity=0)

    from kokemus.comments.models import CommentAnalysis as CA
    from kokemus.improvement.models import FollowUpCase as Case
    from kokemus.responses import partitions
    from kokemus.responses.models import Answer as A
    from kokemus.responses.models import IdempotencyKey
    from kokemus.responses.models import Response as R

    after = {"responses": R.objects.count(), "answers": A.objects.count()}
    mismatched = sum(1 for a in A.objects.select_related("response")
                     if a.submitted_at != a.response.submitted_at)
    keys = sorted((k.key, k.response_id) for k in IdempotencyKey.objects.all())
    new = R.objects.create(organisation_id=org.pk, unit_id=unit.pk,
                           survey_version_id=version.pk, channel="api", language="fi",
                           submitted_at=now)
    new_answer = A.objects.create(organisation_id=org.pk, response=new, question_key="nps",
                                  question_type="nps", value=1, submitted_at=now)
    out = {"vendor": connection.vendor, "before": before, "after": after,
           "mismatched_answer_times": mismatched, "keys": keys,
           "expected_keys": sorted((r.idempotency_key, r.pk) for r in responses
                                   if r.idempotency_key),
           "new_response_id": new.pk, "new_answer_id": new_answer.pk,
           "analysis_kept": CA.objects.filter(answer_id=text_answer.pk).exists(),
           "case_response": Case.objects.get().response_id,
           "case_expected": responses[3].pk,
           "partitioned": partitions.is_partitioned()}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tableoid::regclass::text, id FROM responses_response")
            out["placement"] = {str(i): t for t, i in cursor.fetchall()}
            cursor.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint "
                           "WHERE contype = 'f' AND confrelid = ANY(%s::regclass[]) "
                           "AND conparentid = 0",  # not the partitions' clones
                           [["responses_response", "responses_answer"]])
            out["foreign_keys_in"] = sorted(cursor.fetchall())
        out["months"] = sorted({f"{p.month:%Y-%m}" for p in partitions.list_partitions()
                                if p.month})
        out["response_month"] = {str(r.pk): f"{r.submitted_at.astimezone(UTC):%Y_%m}"
                                 for r in responses}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
