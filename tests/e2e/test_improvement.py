"""A detractor who agreed to be contacted gets a follow-up case; the manager records the
contact and resolves it. A staff member's idea gets two votes and becomes an action.
axe-core clean on the case list, case page, idea board, kudos wall and team meeting page."""

import pytest

from kokemus.accounts.audit import SYSTEM
from kokemus.improvement.models import FollowUpCase, Idea, ImprovementAction
from kokemus.responses.actions import do_submit_response
from kokemus.surveys import actions as survey_actions
from kokemus.surveys.questions import new_question
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_axe, login
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db(transaction=True)


def new_page(browser, live_server, user):
    ctx = browser.new_context(bypass_csp=True, locale="fi-FI",
                              viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    login(page, live_server, user.email, PASSWORD)
    return page


def test_case_and_idea_to_action(browser, page, live_server, tree, admin, manager, staff):
    survey = make_survey(tree.org, questions=[
        new_question("nps", "nps", required=True),
        new_question("free_text", "why", max_length=500),
        new_question("contact_consent", "contact")])
    point = survey_actions.do_create_collection_point(SYSTEM, survey, unit=tree.kamppi)
    do_submit_response(collection_point=point, answers={"nps": 2, "why": "Jono oli pitkä."},
                       language="fi", channel="link", consent_contact=True,
                       contact="asiakas@example.com")
    case = FollowUpCase.objects.get()
    assert case.assignee == manager
    slug = tree.org.slug
    base = f"{live_server.url}/o/{slug}/improvement"

    # The manager sees the case (with the contact details: it is assigned to them).
    login(page, live_server, manager.email, PASSWORD)
    page.goto(f"{base}/cases/")
    assert "asiakas@example.com" in page.inner_text(f"#case-{case.pk}")
    check_axe(page)
    page.click(f"#case-{case.pk} a")
    page.wait_for_url(f"**/cases/{case.pk}/")
    check_axe(page)
    page.fill("textarea[name=text]", "Soitin asiakkaalle, pahoittelin jonoa.")
    page.click("#op-contacted")
    page.wait_for_selector("#op-resolved")
    page.click("#op-resolved")
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == "resolved" and case.first_contact_at is not None

    # A staff member submits an idea.
    staff_page = new_page(browser, live_server, staff)
    staff_page.goto(f"{base}/ideas/")
    check_axe(staff_page)
    staff_page.fill("#id_title", "Jonotusnumeron näyttö ulko-ovelle")
    staff_page.fill("#id_theme", "waiting")
    staff_page.click("#submit-idea")
    staff_page.wait_for_url("**/ideas/*/")
    idea = Idea.objects.get()

    # Two colleagues vote (htmx: the count updates in place).
    for user in (manager, admin):
        voter = page if user == manager else new_page(browser, live_server, admin)
        voter.goto(f"{base}/ideas/")
        voter.click(f"#vote-{idea.pk}")
        voter.wait_for_function(
            f"() => document.querySelector('#vote-{idea.pk}').getAttribute('aria-pressed')"
            " === 'true'")
    assert idea.votes.count() == 2

    # The manager reviews, accepts and turns it into an action.
    page.goto(f"{base}/ideas/{idea.pk}/")
    for status in ("under_review", "accepted"):
        page.select_option("#id_status", status)
        page.click("#move-submit")
        page.wait_for_load_state()
    page.click("#turn-into-action")
    page.wait_for_url("**/actions/new/?idea=*")
    assert page.is_checked(f"input[name=units][value='{tree.kamppi.pk}']")
    page.click("#create-action")
    page.wait_for_url("**/actions/*/")
    action = ImprovementAction.objects.get()
    idea.refresh_from_db()
    assert idea.status == "in_action" and list(action.ideas.all()) == [idea]

    page.goto(f"{base}/kudos/{tree.kamppi.pk}/")
    check_axe(page)
    page.goto(f"{base}/meeting/{tree.kamppi.pk}/")
    check_axe(page)
