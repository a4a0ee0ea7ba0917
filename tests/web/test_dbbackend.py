"""kokemus.db.postgresql: the connection health check without a round trip."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def other():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backend")
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    try:
        wrapper.close()
    except Exception:  # noqa: BLE001 - its server side may be gone
        pass


def test_postgresql_uses_the_kokemus_backend():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backend")
    assert type(connections["default"]).__module__ == "kokemus.db.postgresql.base"


def test_an_idle_connection_is_usable_without_a_query(other):
    sent = []
    real_execute = other.connection.execute

    def execute(*args, **kwargs):
        sent.append(args)
        return real_execute(*args, **kwargs)

    other.connection.execute = execute
    try:
        assert other.is_usable() is True
    finally:
        del other.connection.execute
    assert sent == []


def test_a_connection_the_server_dropped_is_not_usable(other):
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while other.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other.is_usable() is False
