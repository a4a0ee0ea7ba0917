"""The demo story generator: reproducible, consistent rollups, comments and contacts."""

from __future__ import annotations

import os

from kokemus.analytics import rollups
from kokemus.demo import load_demo, story
from kokemus.responses.models import Answer, Response
from kokemus.surveys.questions import stored_answer_is_valid


def _demo():
    with story.skip_demo_step(), open(os.devnull, "w") as sink:
        load_demo(seed=1, stdout=sink)


def test_generate_is_reproducible_and_rollups_verify(db):
    _demo()
    Response.objects.all().delete()  # other demo steps may have added a few
    rollups.rebuild()
    stats = story.generate(3000, seed=5, batch_size=1000)
    assert stats["responses"] == Response.objects.count() == 3000
    assert rollups.verify() == []
    first = list(Response.objects.order_by("id").values_list(
        "unit_id", "language", "submitted_at")[:50])
    texts = list(Answer.objects.filter(question_type="free_text").order_by("id")
                 .values_list("text", flat=True)[:50])
    Response.objects.all().delete()
    rollups.rebuild()
    story.generate(3000, seed=5, batch_size=1000)
    assert list(Response.objects.order_by("id").values_list(
        "unit_id", "language", "submitted_at")[:50]) == first
    assert list(Answer.objects.filter(question_type="free_text").order_by("id")
                .values_list("text", flat=True)[:50]) == texts


def test_answers_are_valid_for_their_survey(db):
    _demo()
    story.generate(2000, seed=3)
    versions = {}
    for a in Answer.objects.select_related("response__survey_version")[:5000]:
        v = a.response.survey_version
        q = versions.setdefault((v.pk, a.question_key), v.question(a.question_key))
        assert stored_answer_is_valid(q, value=a.value, choice=a.choice, text=a.text), a
    share = Answer.objects.filter(question_type="free_text").count() / 2000
    assert 0.22 < share < 0.38
    consents = Response.objects.filter(consent_contact=True)
    assert consents.exists()
    assert all(c.endswith("@example.invalid") for c in consents.values_list("contact", flat=True))
    assert all(r.consent_wording["question"] == "contact" for r in consents)
