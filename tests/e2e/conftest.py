"""Browser tests: Python Playwright driving Debian's chromium, never a downloaded browser.

Under CI=true a missing /usr/bin/chromium is a failure, elsewhere the tests are skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required under CI=true")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    # bypass_csp lets the test inject axe-core; the product's CSP forbids inline scripts.
    ctx = browser.new_context(bypass_csp=True, locale="fi-FI",
                              viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


def check_axe(page, *, impacts=("serious", "critical")) -> None:
    """Run axe-core on the current page; fail on serious or critical violations."""
    page.add_script_tag(content=AXE_JS)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in impacts]
    summary = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"][:5]]} for v in bad]
    assert not bad, f"axe-core violations on {page.url}:\n{json.dumps(summary, indent=2)}"


def login(page, live_server, email: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].button--primary")
    page.wait_for_load_state()


def wait_for_htmx(page) -> None:
    """Wait until htmx has settled the content it swapped in: until then its new links and
    forms are not yet wired up, and a click would follow the plain ``href`` (the no-script
    fallback page) instead of the htmx request."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling,"
        " .htmx-added')")
