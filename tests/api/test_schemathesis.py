"""Property-based: schemathesis against /api/openapi.json finds no 5xx (in-process WSGI)."""

import pytest
import schemathesis
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.django_db


from kokemus.wsgi import application  # noqa: E402 (Django is set up by pytest-django)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Django closes "old" connections at the end of each request; inside a test
    transaction that would close the test's own connection (PostgreSQL). Django's test
    Client disconnects the handler in the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@override_settings(KOKEMUS_API_REQUESTS_PER_MINUTE=100_000, KOKEMUS_API_BATCH_BURST=10**7,
                   KOKEMUS_API_BATCH_ITEMS_PER_SECOND=10**6)
def test_api_has_no_server_errors(case, write_token, point):
    case.call_and_validate(headers={"Authorization": f"Bearer {write_token[1]}"},
                           checks=[not_a_server_error])
