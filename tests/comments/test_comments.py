"""Comments at ingestion: redaction before storage, staff mentions, background analysis,
theme editing, and rollups that stay consistent."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Membership, Organisation
from kokemus.analytics import rollups
from kokemus.comments import actions
from kokemus.comments.analysis import display_text, taxonomy_for
from kokemus.comments.ingest import forget_org_context
from kokemus.comments.models import CommentAnalysis, StaffMention
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Answer
from kokemus.surveys.questions import new_question
from tests.surveys.helpers import make_survey

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
HETU = "131052-308T"  # a valid Finnish identity code (check character T)


@pytest.fixture
def point(tree, staff):
    from kokemus.surveys import actions as survey_actions

    survey = make_survey(tree.org, questions=[
        new_question("nps", "nps", required=True),
        new_question("free_text", "why", max_length=1000),
    ])
    forget_org_context()
    return survey_actions.do_create_collection_point(SYSTEM, survey, unit=tree.kamppi)


def submit(point, text, nps=9, key=None):
    return do_submit_response(collection_point=point, answers={"nps": nps, "why": text},
                              language="fi", channel="link", idempotency_key=key)


@override_settings(TASKS=IMMEDIATE)
def test_personal_data_never_reaches_the_database(point, staff,
                                                  django_capture_on_commit_callbacks):
    text = (f"Sanna oli ihana ja auttoi paljon! Hetuni on {HETU}, "
            "soita 040 123 4567 tai maija@example.com.")
    with django_capture_on_commit_callbacks(execute=True):
        response, created = submit(point, text)
    stored = Answer.objects.get(response=response, question_key="why").text
    assert HETU not in stored and "040 123 4567" not in stored
    assert "maija@example.com" not in stored and "Sanna" not in stored
    assert "[ID]" in stored and "[NAME]" in stored
    # The praise still finds its way: Sanna Staff was named.
    mention = StaffMention.objects.get()
    assert mention.membership.user == staff
    # Background analysis ran (immediate backend) with themes and sentiment.
    analysis = CommentAnalysis.objects.get(answer__response=response)
    assert analysis.sentiment == "positive"
    assert HETU not in analysis.redacted


@override_settings(TASKS=IMMEDIATE)
def test_raw_text_is_kept_only_when_the_organisation_chooses(point, tree,
                                                             django_capture_on_commit_callbacks):
    Organisation.objects.filter(pk=tree.org.pk).update(keep_raw_comments=True)
    forget_org_context()
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = submit(point, f"Asiakasnumero {HETU}")
    answer = Answer.objects.get(response=response, question_key="why")
    assert HETU in answer.text
    # What the UI shows is still redacted.
    assert HETU not in display_text(answer)


@override_settings(TASKS=IMMEDIATE)
def test_contrast_gives_each_theme_its_own_tone(point, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = submit(point, "Palvelu oli ystävällistä mutta jono oli pitkä", nps=7)
    themes = {t["key"]: t["sentiment"]
              for t in CommentAnalysis.objects.get(answer__response=response).themes}
    assert themes.get("waiting") == "negative"
    assert any(v == "positive" for k, v in themes.items() if k != "waiting")


def test_rollups_match_raw_answers_after_submissions(point):
    for i in range(12):
        submit(point, "ok" if i % 3 else "", nps=i % 11, key=f"k{i}")
    submit(point, "dup", nps=10, key="k1")  # a retry adds nothing
    assert rollups.verify() == []
    from kokemus.analytics.models import RESPONSE_KEY, DailyCount

    total = sum(DailyCount.objects.filter(question_key=RESPONSE_KEY)
                .values_list("count", flat=True))
    assert total == 12


@override_settings(TASKS=IMMEDIATE)
def test_theme_add_rename_merge(tree, admin, django_capture_on_commit_callbacks):
    from kokemus.accounts.audit import Actor

    actor = Actor(user=admin)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_add_theme(actor, tree.org, key="mobile_app",
                             label={"fi": "Mobiilisovellus", "en": "Mobile app"},
                             terms={"fi": "sovellus, appi", "en": "app"})
    taxonomy = taxonomy_for(tree.org.pk)
    assert "mobile_app" in taxonomy
    actions.do_rename_theme(actor, tree.org, key="mobile_app",
                            label={"fi": "Apteekkisovellus"})
    assert taxonomy_for(tree.org.pk).label("mobile_app", "fi") == "Apteekkisovellus"
    actions.do_merge_themes(actor, tree.org, source="mobile_app", target="online_ordering")
    taxonomy = taxonomy_for(tree.org.pk)
    assert "mobile_app" not in taxonomy
    assert "sovellus" in taxonomy["online_ordering"].terms["fi"]
    with pytest.raises(ValidationError):
        actions.do_add_theme(actor, tree.org, key="online_ordering", label={"fi": "x"},
                             terms={"fi": "x"})


def test_theme_page_permissions(tree, admin_client, staff_client, outsider_client):
    url = reverse("theme_list", args=[tree.org.slug])
    assert admin_client.get(url).status_code == 200
    assert staff_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    response = admin_client.post(url, {"op": "add", "add-key": "BAD KEY", "add-label_fi": "x",
                                       "add-terms_fi": "x"})
    assert response.status_code == 200 and "field__errors" in response.content.decode()


def test_membership_aliases_are_matched(point, tree, staff):
    Membership.objects.filter(user=staff).update(aliases="Sanni")
    forget_org_context()
    submit(point, "Kiitos Sannille avusta!", key="alias")
    assert StaffMention.objects.filter(membership__user=staff).exists()


@override_settings(TASKS=IMMEDIATE)
def test_a_comment_in_another_language_than_the_form_is_analysed_in_its_own(
        point, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        swedish, _ = submit(point, "Personalen var otrevlig och kön var lång")
        short, _ = submit(point, "ok")
    analysis = CommentAnalysis.objects.get(answer__response=swedish)
    assert (analysis.language, analysis.sentiment) == ("sv", "negative")
    assert "waiting" in [t["key"] for t in analysis.themes]
    # Too short to overrule the form's language.
    assert CommentAnalysis.objects.get(answer__response=short).language == "fi"


def test_the_sweep_analyses_comments_together_as_each_would_be_alone(point, staff):
    """The background sweep analyses the pending comments of an organisation and language
    with analyse_many; each result equals analyse() of that comment."""
    from kokemus.comments.analysis import analyse_pending_batch
    from kokemus.comments.ingest import org_text_context
    from kokemus.text import analyse

    texts = {"fi": ["Sanna oli tosi ystävällinen, kiitos!", "Jono oli pitkä ja hinnat kalliita",
                    "Farmaseutti neuvoi hyvin mutta odotin kauan"],
             "sv": ["Personalen var vänlig men kön var lång"],
             "en": ["The pharmacist explained everything clearly", "Rude staff, long wait"]}
    for language, items in texts.items():
        for text in items:
            do_submit_response(collection_point=point, answers={"nps": 5, "why": text},
                               language=language, channel="link")
    assert CommentAnalysis.objects.filter(sentiment="pending").count() == 6
    assert analyse_pending_batch() == 6
    ctx = org_text_context(point.organisation_id)
    for analysis in CommentAnalysis.objects.select_related("answer__response"):
        alone = analyse(analysis.answer.text,
                        expected_language=analysis.answer.response.language,
                        staff_names=ctx.staff_names, taxonomy=taxonomy_for(point.organisation_id))
        assert (analysis.language, analysis.sentiment, analysis.redacted) == (
            alone.language, alone.sentiment, alone.redacted)
        assert analysis.score == round(alone.score, 4)
        assert [t["key"] for t in analysis.themes] == [t.key for t in alone.themes]
