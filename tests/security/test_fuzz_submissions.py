"""Random and malicious submissions to the public form and the API: never a 5xx, never an
invalid stored answer, and stored text is shown escaped on the staff pages.

KOKEMUS_FUZZ_CASES sets the number of cases (default 1,000 — about 15 s; 10,000 is the
release check and is marked slow)."""

from __future__ import annotations

import json
import os
import random

import pytest
from django.core.cache import cache
from django.test import Client

from kokemus.responses.models import Answer
from kokemus.surveys.questions import stored_answer_is_valid
from tests.security.dataset import build_dataset

pytestmark = pytest.mark.django_db

CASES = int(os.environ.get("KOKEMUS_FUZZ_CASES", "1000"))
XSS = "<script>alert(1)</script>"
NASTY = [XSS, "'; DROP TABLE responses_response; --", "\" OR 1=1 --", "\x00",
         "😀" * 50, "a" * 5000, "../../etc/passwd", "${jndi:ldap://x}", "{{7*7}}", "%s%n",
         "\u202e", "<img src=x onerror=alert(1)>", "-1", "11", "1e9", "NaN", "true", "[]",
         "{}", " ", "\r\n", "0x10", "٣", "３"]


def rand_value(rng: random.Random):
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice(NASTY)
    if kind == 1:
        return str(rng.randint(-5, 15))
    if kind == 2:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(0, 40)))
    if kind == 3:
        return rng.choice(["Hyvä palvelu", "Jonotin liian kauan", XSS])
    if kind == 4:
        return ""
    return rng.choice(NASTY) * rng.randrange(1, 3)


def form_case(rng, ds):
    data = {}
    for name in ("q-nps", "q-comment", "q-contact", "q-contact-contact", "idem", "lang",
                 "website", "q-unknown"):
        if rng.random() < 0.7:
            data[name] = rand_value(rng)
    if rng.random() < 0.5:
        data["q-nps"] = str(rng.randint(0, 10))
    data.pop("website", None) if rng.random() < 0.9 else None
    return data


def api_case(rng, ds):
    body = {"collection_point": rng.choice([ds["point"].pk, -1, "x", None, 10**12]),
            "answers": {"nps": rng.choice([rng.randint(-3, 13), "7", None, [], {}, 1.5]),
                        "comment": rand_value(rng)},
            "language": rng.choice(["fi", "sv", "en", "xx", 3, None]),
            "idempotency_key": rand_value(rng)[:rng.choice([10, 100, 200])]}
    if rng.random() < 0.2:
        del body[rng.choice(list(body))]
    if rng.random() < 0.1:
        return rng.choice([b"\xff\xfe\x00garbage", b"[]", b"null", b"{", b'{"answers": {"comment": "\xed\xa0\x80"}}', json.dumps(
            {"answers": "x" * 3_000_000}).encode()])
    return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode()


def test_fuzz_form_and_api(settings, tree, admin):
    settings.KOKEMUS_RESPOND_RATE_LIMIT = 10**9
    cache.clear()
    ds = build_dataset(tree, admin)
    rng = random.Random(20261123)
    form = Client(raise_request_exception=False)
    api = Client(raise_request_exception=False,
                 headers={"Authorization": f"Bearer {ds.secrets['write']}"})
    statuses: dict[int, int] = {}
    url = f"/r/{ds['point'].code}/"
    for i in range(CASES):
        if i % 2 == 0:
            data = form_case(rng, ds)
            if rng.random() < 0.05:
                response = form.post(url, b"q-nps=5&q-comment=\xff\xfe%ZZ" + bytes([rng.randrange(256)]),
                                     content_type="application/x-www-form-urlencoded")
            else:
                response = form.post(url, data)
        else:
            response = api.post("/api/v1/responses", api_case(rng, ds),
                                content_type="application/json")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (i, response.status_code, response.content[:300])
        if i % 200 == 0:
            cache.clear()  # API per-token rate limit
    assert statuses.get(302, 0) + statuses.get(200, 0) + statuses.get(201, 0) > 0, statuses
    questions = {q["key"]: q for q in ds["survey"].current_version.questions}
    bad = [a for a in Answer.objects.filter(organisation=tree.org)
           if not stored_answer_is_valid(questions.get(a.question_key), value=a.value,
                                         choice=a.choice, text=a.text)]
    assert not bad, [(a.question_key, a.value, a.choice, a.text[:50]) for a in bad[:5]]


@pytest.mark.slow
@pytest.mark.skipif(CASES >= 10000, reason="the default run already did 10,000")
def test_fuzz_10000(settings, tree, admin, monkeypatch):
    global CASES
    monkeypatch.setattr(__import__(__name__, fromlist=["CASES"]), "CASES", 10000)
    test_fuzz_form_and_api(settings, tree, admin)


def test_stored_script_is_escaped_on_staff_pages(admin_client, tree, admin):
    from kokemus.responses.actions import do_submit_response

    ds = build_dataset(tree, admin)
    do_submit_response(collection_point=ds["point"], answers={"nps": 2, "comment": XSS},
                       language="fi", channel="qr")
    slug = tree.org.slug
    for path in [f"/o/{slug}/dashboards/comments/", f"/o/{slug}/themes/",
                 f"/o/{slug}/improvement/cases/", f"/o/{slug}/improvement/"]:
        response = admin_client.get(path)
        assert response.status_code in (200, 404), path
        body = response.content.decode()
        assert XSS not in body, path
        if response.status_code == 200 and path.endswith("comments/"):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path
