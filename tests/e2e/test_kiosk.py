"""The kiosk offline: service worker, 20 answers queued while offline, synced exactly once
(also when the same batch is sent again), axe-core clean; and the kiosk admin list."""

import json

import pytest

from kokemus.accounts.audit import SYSTEM
from kokemus.kiosk.actions import do_revoke_kiosk
from kokemus.responses.models import Response
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_axe, login
from tests.kiosk.helpers import register

pytestmark = pytest.mark.django_db(transaction=True)

VISIBLE = "section[data-block]:not([hidden])"


def wait_for_count(page, cp, n, timeout=15_000):
    waited = 0
    while Response.objects.filter(collection_point=cp).count() != n and waited < timeout:
        page.wait_for_timeout(200)
        waited += 200
    return Response.objects.filter(collection_point=cp).count()


def test_offline_answers_sync_exactly_once(page, context, live_server, tree):
    device, token = register(tree)
    cp = device.collection_point
    url = f"{live_server.url}/kiosk/{token}/"
    assert "localhost" in url  # service workers need a secure context
    page.goto(url)
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.ready"
                           ".then(() => true)")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")
    check_axe(page)

    context.set_offline(True)
    # The page itself comes from the service worker's cache while offline.
    page.reload()
    page.wait_for_selector(f"{VISIBLE} button[data-value='4']")
    for i in range(20):
        if i == 5:  # answer one in Swedish
            page.click("button[data-lang='sv']")
        page.click(f"{VISIBLE} button[data-value='{i % 4 + 1}']")
        page.wait_for_selector(f"{VISIBLE} [data-thanks]:not([hidden])")
        if i == 0:
            check_axe(page)  # the thank-you state
        page.click(f"{VISIBLE} [data-thanks]")  # staff can skip the reset wait
        page.wait_for_selector(f"{VISIBLE} [data-form]:not([hidden])")
    queued = page.evaluate("window.kokemusKiosk.queued()")
    assert len(queued) == 20
    assert len({q["idempotency_key"] for q in queued}) == 20
    assert Response.objects.count() == 0

    context.set_offline(False)
    page.evaluate("window.kokemusKiosk.sync()")
    assert wait_for_count(page, cp, 20) == 20
    page.wait_for_function("window.kokemusKiosk.queued().then(q => q.length === 0)")

    # Replays with the same keys (a lost reply, a double send) store nothing new. They run
    # one after another: the live server's in-memory SQLite cannot wait for locks.
    sync_url = f"/kiosk/{token}/sync"
    replies = page.evaluate("""async ([url, items]) => {
        const send = () => fetch(url, {method: 'POST', headers: {'Content-Type':
            'application/json'}, body: JSON.stringify({responses: items})}).then(r => r.json());
        const out = [];
        for (let i = 0; i < 3; i++) out.push(await send());
        return out;
    }""", [sync_url, queued])
    for reply in replies:
        assert {r["status"] for r in reply["results"]} == {"duplicate"}
    sent = page.evaluate("window.kokemusKiosk.sent")
    assert sorted(s["idempotency_key"] for s in sent) == sorted(q["idempotency_key"]
                                                              for q in queued)
    assert Response.objects.filter(collection_point=cp).count() == 20
    assert Response.objects.filter(channel="kiosk", language="sv").count() == 1
    values = sorted(r.answers.get().value for r in Response.objects.all())
    assert values == sorted([i % 4 + 1 for i in range(20)])
    device.refresh_from_db()
    assert device.synced_count == 20

    # Removed kiosk: the page tells the staff.
    do_revoke_kiosk(SYSTEM, device)
    page.click(f"{VISIBLE} button[data-value='3']")
    page.wait_for_selector("[data-removed]:not([hidden])")
    page.reload()
    assert "removed" in page.locator("h1").inner_text().lower() or \
        page.locator("[data-removed]").count() == 1
    assert Response.objects.count() == 20


def test_kiosk_admin_list_is_accessible(page, live_server, admin, tree):
    register(tree)
    login(page, live_server, admin.email, PASSWORD)
    page.goto(f"{live_server.url}/o/{tree.org.slug}/kiosks/")
    page.wait_for_selector("#kiosk-table")
    check_axe(page)
    page.click("#new-kiosk")
    page.wait_for_selector("form #id_name")
    check_axe(page)


def test_json_config_is_valid(page, live_server, tree):
    _device, token = register(tree)
    page.goto(f"{live_server.url}/kiosk/{token}/")
    cfg = page.evaluate("JSON.stringify(document.getElementById('kiosk').dataset)")
    assert json.loads(cfg)["syncUrl"].endswith("/sync")
