"""Consistent online backups and restores: SQLite's backup API, pg_dump/pg_restore.

Both keep the service running: SQLite's backup API copies a consistent snapshot page by
page under a read transaction; pg_dump takes an MVCC snapshot.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections


class BackupError(Exception):
    pass


def _engine(alias: str = "default") -> str:
    engine = settings.DATABASES[alias]["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"backups are not supported for {engine}")


def _pg_env(alias: str = "default") -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES[alias]
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432),
            "-U", db.get("USER") or "postgres"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"{tool} is not installed (Debian package postgresql-client)")
    return path


def backup(output: Path, alias: str = "default") -> Path:
    """Write a consistent snapshot of the database to ``output``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    kind = _engine(alias)
    if kind == "sqlite":
        conn = connections[alias]
        conn.ensure_connection()
        with sqlite3.connect(output) as dest:
            conn.connection.backup(dest)
        dest.close()
        return output
    args, env = _pg_env(alias)
    name = settings.DATABASES[alias]["NAME"]
    subprocess.run([_require("pg_dump"), *args, "--format=custom", "--no-owner",
                    "--file", str(output), name], check=True, env=env,
                   capture_output=True)
    return output


def restore(source: Path, alias: str = "default") -> None:
    """Replace the database's contents with the backup at ``source``."""
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    kind = _engine(alias)
    conn = connections[alias]
    if kind == "sqlite":
        with sqlite3.connect(source) as src:
            head = src.execute("PRAGMA integrity_check").fetchone()[0]
            if head != "ok":
                raise BackupError(f"{source} is not a healthy SQLite database: {head}")
            conn.ensure_connection()
            src.backup(conn.connection)
        src.close()
        return
    args, env = _pg_env(alias)
    name = settings.DATABASES[alias]["NAME"]
    conn.close()
    # One transaction: drop every table of the schema, then replay the dump. (pg_restore
    # --clean cannot drop the inherited keys of monthly partitions one by one.) psql runs
    # the whole script with --single-transaction, so a failed restore changes nothing.
    psql = subprocess.Popen([_require("psql"), *args, "--dbname", name, "--quiet",
                             "--no-psqlrc", "--single-transaction", "-v", "ON_ERROR_STOP=1"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    dump = subprocess.Popen([_require("pg_restore"), "--no-owner", "--file", "-", str(source)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        psql.stdin.write(_DROP_ALL_TABLES.encode())
        for chunk in iter(lambda: dump.stdout.read(1 << 20), b""):
            psql.stdin.write(chunk)
    except BrokenPipeError:
        pass  # psql stopped on an error: reported below
    finally:
        try:
            psql.stdin.close()
        except BrokenPipeError:
            pass
    dump_err = dump.stderr.read().decode(errors="replace")
    dump.wait()
    psql_err = psql.stderr.read().decode(errors="replace")
    psql.wait()
    if dump.returncode != 0:
        raise BackupError(dump_err.strip()[-2000:] or f"{source} is not a pg_dump archive")
    if psql.returncode != 0:
        raise BackupError(psql_err.strip()[-2000:])


_DROP_ALL_TABLES = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.relname);
  END LOOP;
END $$;
"""


def table_checksums(alias: str = "default") -> dict[str, tuple[int, str]]:
    """Row count and a SHA-256 over every row (ordered by primary key) of each model table."""
    out = {}
    conn = connections[alias]
    with conn.cursor() as cursor:
        existing = set(conn.introspection.table_names(cursor))
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table not in existing or model._meta.proxy or not model._meta.managed:
                continue
            pk = model._meta.pk.column
            columns = [f.column for f in model._meta.local_concrete_fields]
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {cols} FROM {connection.ops.quote_name(table)} "
                           f"ORDER BY {connection.ops.quote_name(pk)}")
            digest = hashlib.sha256()
            n = 0
            for row in cursor.fetchall():
                digest.update(repr(tuple(_normal(v) for v in row)).encode())
                n += 1
            out[table] = (n, digest.hexdigest())
    return out


def _normal(value):
    # SQLite and PostgreSQL return JSON, decimals and datetimes with different types;
    # a restore is compared within one engine, so only stable text forms matter.
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value)
