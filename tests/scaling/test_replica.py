"""Read replica against a real streaming PostgreSQL 15 standby (docs/scaling.md).

Starts cluster 15/kokemus_replica on 127.0.0.1:5433 with pg_basebackup from the primary
of DATABASE_URL, then runs tests/scaling/replica_check.py in a subprocess (its own
DATABASE_URL/DATABASE_REPLICA_URL point at a scratch database on both clusters). Needs
root, pg_createcluster and a PostgreSQL DATABASE_URL; cleans up everything it made.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "kokemus_replica"
PORT = 5433
SCRATCH = "kokemus_replica_test"
HBA_LINE = "host replication all 127.0.0.1/32 trust  # kokemus replica test\n"


def _primary_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    return None


def _why_skip() -> str | None:
    if _primary_url() is None:
        return "DATABASE_URL is not PostgreSQL"
    if os.geteuid() != 0:
        return "needs root (pg_createcluster)"
    for tool in ("pg_createcluster", "pg_basebackup", "pg_ctlcluster", "pg_dropcluster", "psql"):
        if shutil.which(tool) is None:
            return f"{tool} not installed"
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", PORT)) == 0:
            return f"port {PORT} is in use"
    return None


def _run(*cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} → {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def _psql(host_port: int, sql: str, db: str = "postgres") -> str:
    u = urlparse(_primary_url())
    return _run("psql", "-h", "127.0.0.1", "-p", str(host_port), "-U", u.username or "postgres",
                "-d", db, "-Atqc", sql).stdout.strip()


def _wait_port(port: int, timeout: float = 30) -> None:
    end, error = time.monotonic() + timeout, None
    while time.monotonic() < end:
        try:
            _psql(port, "SELECT 1")
            return
        except RuntimeError as exc:
            error = exc
            time.sleep(0.2)
    raise TimeoutError(f"PostgreSQL on {port} did not start: {error}")


@pytest.fixture(scope="module")
def replica():
    why = _why_skip()
    if why:
        if os.environ.get("CI") == "true" and _primary_url() and os.geteuid() == 0 \
                and shutil.which("pg_createcluster"):
            pytest.fail(f"CI=true but replica test cannot run: {why}")
        pytest.skip(why)
    u = urlparse(_primary_url())
    primary_port = u.port or 5432
    hba = Path(_psql(primary_port, "SHOW hba_file"))
    if os.path.exists(f"/etc/postgresql/15/{CLUSTER}"):   # left over from a killed run
        subprocess.run(["pg_dropcluster", "--stop", "15", CLUSTER], capture_output=True)
    try:
        _psql(primary_port, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        _psql(primary_port, f"CREATE DATABASE {SCRATCH}")
        _psql(primary_port, f"ALTER DATABASE {SCRATCH} SET synchronous_commit = off")
        env = _env(f"postgres://{u.username or 'postgres'}@127.0.0.1:{primary_port}/{SCRATCH}")
        _run(str(ROOT / ".venv/bin/kokemus"), "migrate", "-v", "0", env=env, cwd=ROOT)
        _run("pg_createcluster", "15", CLUSTER, "-p", str(PORT))
        datadir = Path(f"/var/lib/postgresql/15/{CLUSTER}")
        # Our throw-away cluster: trust on loopback, like the primary used by the tests.
        Path(f"/etc/postgresql/15/{CLUSTER}/pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        for child in datadir.iterdir():   # keep the directory (owner, mode 0700)
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        _allow_replication(hba, primary_port)
        _run("runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "127.0.0.1", "-p",
             str(primary_port), "-U", u.username or "postgres", "-D", str(datadir), "-R",
             "-X", "stream", "-c", "fast")
        # No -w: a hot standby accepts connections only after a running-xacts snapshot
        # from the primary without overflowed subtransactions (busy primaries: seconds).
        _run("pg_ctlcluster", "15", CLUSTER, "start", "--", "-W")
        _wait_port(PORT, timeout=90)
        yield {"primary": env["DATABASE_URL"],
               "replica": f"postgres://{u.username or 'postgres'}@127.0.0.1:{PORT}/{SCRATCH}"}
    finally:
        subprocess.run(["pg_dropcluster", "--stop", "15", CLUSTER], capture_output=True)
        _remove_hba_line(hba, primary_port)
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(primary_port), "-U",
                        u.username or "postgres", "-d", "postgres", "-qc",
                        f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"], capture_output=True)


def _allow_replication(hba: Path, port: int) -> None:
    """Prepend a trust line for replication from 127.0.0.1 unless the rules already allow
    it (checked with pg_hba_file_rules after the reload). Other people may edit the file
    concurrently, so only our own line is added and later removed."""
    rule = ("SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND auth_method = "
            "'trust' AND ('replication' = ANY(database)) AND error IS NULL "
            "AND address IN ('127.0.0.1', 'all')")
    for _ in range(3):
        if int(_psql(port, rule)) > 0 and HBA_LINE in hba.read_text():
            return
        text = hba.read_text()
        if HBA_LINE not in text:
            hba.write_text(HBA_LINE + text)
        _psql(port, "SELECT pg_reload_conf()")
        time.sleep(0.5)


def _remove_hba_line(hba: Path, port: int) -> None:
    text = hba.read_text()
    if HBA_LINE in text:
        hba.write_text(text.replace(HBA_LINE, ""))
        _psql(port, "SELECT pg_reload_conf()")


def _env(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=database_url, KOKEMUS_TESTING="1", CACHE_URL="",
               KOKEMUS_VAR_DIR=tempfile.mkdtemp(prefix="kokemus-replica-"),
               PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}", **extra)
    return env


def test_streaming_replica_routing_and_lag(replica):
    env = _env(replica["primary"], DATABASE_REPLICA_URL=replica["replica"],
               DJANGO_SETTINGS_MODULE="tests.scaling.replica_settings",
               REPLICA_CLUSTER=CLUSTER, KOKEMUS_REPLICA_MAX_LAG="30")
    proc = subprocess.run([sys.executable, str(ROOT / "tests/scaling/replica_check.py")],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(r, indent=1))
    # A write through the ORM lands on the primary and streams to the replica.
    assert r["replica_in_recovery"] is True
    assert r["write_on_primary"] and r["write_on_replica"]
    assert r["plain_read_alias"] == "default"
    # Dashboard GET: rollups from the replica, session and permissions from the primary.
    assert r["dash_status"] == 200 and r["dash_state"] == "replica"
    assert r["dash_replica_reads_rollups"] and not r["dash_primary_reads_rollups"]
    assert r["dash_primary_reads_session"]
    # POST: nothing on the replica; the next GET of this browser is pinned to the primary.
    assert r["post_status"] < 500 and r["post_replica_queries"] == 0
    assert r["post_primary_queries"] > 0 and r["post_sets_pin_cookie"]
    assert r["pinned_replica_queries"] == 0 and r["pinned_state"] == "pinned"
    assert r["other_page_replica_queries"] == 0
    # Lag: replay paused, a write on the primary is received but not visible.
    assert r["replica_received_write"] and r["paused_replica_sees_old"]
    assert r["measured_lag_s"] is not None and r["measured_lag_s"] > 2, r["lag_debug"]
    assert r["strict_state"] == "lagging" and r["strict_replica_queries"] == 0
    assert r["strict_primary_reads_rollups"] and not r["strict_data_as_of"]
    assert r["lenient_state"] == "replica" and r["lenient_replica_reads_rollups"]
    assert r["lenient_data_as_of"] is not None
    assert r["cached_lag_queries"] == 0
    assert r["caught_up"]
    # Replica down: the dashboard still answers, from the primary, quickly.
    assert r["down_status"] == 200 and r["down_state"] == "unreachable"
    assert r["down_primary_reads_rollups"] and r["down_seconds"] < 10
