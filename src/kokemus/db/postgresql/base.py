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

from django.db.backends.postgresql.base import DatabaseWrapper as _DatabaseWrapper


class DatabaseWrapper(_DatabaseWrapper):
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
