"""Property-based: schemathesis against /api/openapi.json finds no 5xx (in-process WSGI)."""

import pytest
import schemathesis
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.django_db


from kokemus.wsgi import application  # noqa: E402 (Django is set up by pytest-django)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@override_settings(KOKEMUS_API_REQUESTS_PER_MINUTE=100_000, KOKEMUS_API_BATCH_BURST=10**7,
                   KOKEMUS_API_BATCH_ITEMS_PER_SECOND=10**6)
def test_api_has_no_server_errors(case, write_token, point):
    case.call_and_validate(headers={"Authorization": f"Bearer {write_token[1]}"},
                           checks=[not_a_server_error])
