"""Django's PostgreSQL backend with a health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django check a reused connection at the start of every
request; the stock check is ``SELECT 1``, one extra round trip per request (on the public
form, one of six). A server that restarted, shut down or dropped the connection
(``idle_session_timeout``, ``pg_terminate_backend``, a pooler) closes the socket, which
makes it readable: so when the socket of an idle connection has nothing to read, the
connection is as usable as the ``SELECT 1`` would find it, and when it has something (EOF,
an error, a notice) the stock check runs and decides. Selected in settings for every
PostgreSQL database (``kokemus.db.postgresql``).
"""

from __future__ import annotations

import select

import psycopg
from django.conf import settings
from django.db.backends.postgresql.base import DatabaseWrapper as _DatabaseWrapper
from django.db.backends.postgresql.operations import DatabaseOperations as _Operations

# psycopg prepares a statement after this many executions on a connection; so large that
# only statements run with ``prepare=True`` (:func:`prepared_cursor`) are prepared.
EXPLICIT_ONLY = 2**31 - 1


class PreparedCursor(psycopg.Cursor):
    """Server-side parameter binding; each statement is prepared on its first execution
    on a connection and reused after that (no parsing and planning per execution)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare,
                               binary=binary)


def prepared_cursor(connection):
    """A Django cursor (error translation, query logging, execute wrappers) over a
    :class:`PreparedCursor`. For a few hot statements whose text does not change (their
    values are parameters): Django's own cursors bind parameters on the client, so
    PostgreSQL parses and plans every statement anew. Prepared statements can be turned
    off with ``KOKEMUS_PG_PREPARED_STATEMENTS=false`` (a pooler in transaction mode that
    does not track them, such as PgBouncer before 1.21); the statements then run
    unprepared, with server-side binding."""
    connection.ensure_connection()
    return connection._prepare_cursor(PreparedCursor(connection.connection))


class DatabaseOperations(_Operations):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, PreparedCursor):  # its text with placeholders (query logs)
            return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(_DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_connection_params(self):
        params = super().get_connection_params()
        if "prepare_threshold" not in self.settings_dict.get("OPTIONS", {}):
            explicit = getattr(settings, "KOKEMUS_PG_PREPARED_STATEMENTS", True)
            params["prepare_threshold"] = EXPLICIT_ONLY if explicit else None
        return params

    def is_usable(self):
        conn = self.connection
        if conn is None:
            return False
        try:
            if conn.closed or conn.broken:
                return False
            readable, _w, _x = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError, AttributeError):
            return super().is_usable()
        if not readable:
            return True
        return super().is_usable()
