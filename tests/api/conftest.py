"""API test helpers: a published survey with a collection point, tokens and a client."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from kokemus.accounts.audit import SYSTEM
from kokemus.api.actions import do_create_token
from kokemus.api.webhooks import forget_webhook_cache
from tests.surveys.helpers import make_point, make_survey, make_touchpoint


@pytest.fixture(autouse=True)
def _clear_cache():
    # The per-process cache of organisations with webhooks too: another test in this
    # process may have cached "none" for an organisation id that is reused here.
    forget_webhook_cache()
    cache.clear()
    yield
    cache.clear()
    forget_webhook_cache()


class ApiClient:
    def __init__(self, raw: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"} if raw else {}

    def get(self, path, params=None, **extra):
        return self.client.get(path, params or {}, headers=self.headers, **extra)

    def post(self, path, body, **extra):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.client.post(path, data, content_type="application/json",
                                headers=self.headers, **extra)


@pytest.fixture
def survey(org):
    return make_survey(org)


@pytest.fixture
def touchpoint(org):
    return make_touchpoint(org)


@pytest.fixture
def point(org, tree, survey, touchpoint):
    return make_point(org, tree.kamppi, survey=survey, touchpoint=touchpoint)


@pytest.fixture
def write_token(org):
    return do_create_token(SYSTEM, org, name="Kassa", scope="write")


@pytest.fixture
def read_token(org):
    return do_create_token(SYSTEM, org, name="BI", scope="read")


@pytest.fixture
def api(write_token) -> ApiClient:
    return ApiClient(write_token[1])


@pytest.fixture
def read_api(read_token) -> ApiClient:
    return ApiClient(read_token[1])


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    if code:
        assert body["code"] == code
    return body
