"""Screenshots and an accessibility sweep of every main page (``make screenshots``).

Starts a throw-away server on a temporary SQLite database with the demo data, logs in as the
demo admin, manager and staff member, visits every main page at 360 px and 1280 px, writes
PNGs into var/screenshots/ and runs axe-core on each. Prints a JSON summary and exits
non-zero when any page has a serious or critical violation (colour contrast included).

    .venv/bin/python scripts/screenshots.py [--out var/screenshots] [--only admin]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = (ROOT / "tests" / "e2e" / "vendor" / "axe.min.js").read_text()
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
WIDTHS = (360, 1280)
DEMO_PASSWORD = "kokemus-demo"
PERSONAS = ("admin", "manager", "staff")
ORG = "aurinko"
BAD_IMPACTS = ("serious", "critical")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slug_for(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"


def run_axe(page) -> list[dict]:
    page.add_script_tag(content=AXE_JS)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:5]]}
            for v in result["violations"] if v["impact"] in BAD_IMPACTS]


def login(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].button--primary")
    page.wait_for_load_state()


def main_pages(page, base: str, org_slug: str, extra: list[str]) -> list[str]:
    """The organisation home, every link of the main navigation, and ``extra``."""
    page.goto(f"{base}/o/{org_slug}/")
    hrefs = page.eval_on_selector_all(".main-nav a", "els => els.map(e => e.getAttribute('href'))")
    seen, out = set(), []
    for href in [f"/o/{org_slug}/", *hrefs, *extra]:
        if href and href.startswith("/") and href not in seen:
            seen.add(href)
            out.append(href)
    return out


def visit(page, base: str, path: str, name: str, out: Path | None) -> dict:
    resp = page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    status = resp.status if resp else 0
    if out is not None:
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    return {"page": name, "path": path, "status": status, "violations": run_axe(page)}


def sweep(browser, base: str, logins: dict[str, tuple[str, str] | None],
          pages_for, out: Path | None) -> list[dict]:
    """Visit every page of every persona at every width; one result per visit."""
    results = []
    for persona, creds in logins.items():
        for width in WIDTHS:
            ctx = browser.new_context(bypass_csp=True, locale="fi-FI",
                                      viewport={"width": width, "height": 900})
            ctx.set_default_timeout(30_000)
            page = ctx.new_page()
            if creds is not None:
                login(page, base, *creds)
            for path in pages_for(persona, page):
                name = f"{persona}-{slug_for(path)}-{width}"
                results.append(visit(page, base, path, name, out))
            ctx.close()
    return results


def start_server(var_dir: Path, port: int) -> subprocess.Popen:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "KOKEMUS_VAR_DIR": str(var_dir), "DEBUG": "true",
           "AXES_ENABLED": "false"}
    subprocess.run([str(bin_dir / "kokemus"), "demo", "--no-serve"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([str(bin_dir / "kokemus"), "runserver", f"127.0.0.1:{port}",
                             "--noreload"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "var" / "screenshots"))
    parser.add_argument("--only", choices=PERSONAS, action="append")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kokemus-shots-") as tmp:
        port = free_port()
        server = start_server(Path(tmp), port)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                logins: dict = {"anonymous": None}
                for role in args.only or PERSONAS:
                    logins[role] = (f"{role}@{ORG}.example", DEMO_PASSWORD)

                def pages_for(persona, page):
                    if persona == "anonymous":
                        return ["/login/", "/signup/"]
                    extra = ["/styleguide/", f"/o/{ORG}/start/organisation/",
                             f"/o/{ORG}/start/promise/", f"/o/{ORG}/start/posters/",
                             f"/o/{ORG}/start/live/"] if persona == "admin" else []
                    return main_pages(page, base, ORG, extra)

                results = sweep(browser, base, logins, pages_for, out)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    bad = [r for r in results if r["violations"] or r["status"] >= 500]
    summary = {"pages": len(results), "screenshots": str(out),
               "failing": len(bad), "results": bad or
               [{"page": r["page"], "status": r["status"]} for r in results]}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
