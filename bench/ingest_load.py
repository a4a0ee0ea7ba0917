"""Ingestion under load: the public form /r/<code>/ on the production server.

Creates a scratch PostgreSQL database, migrates it, creates one organisation with one
collection point, starts `kokemus serve --workers 2 --threads 8`, and drives it with a loopback asyncio
load generator (raw HTTP/1.1 keep-alive sockets, form-encoded posts, a unique idempotency
key each) for --seconds in all. The baseline, bench/baseline_app.py (a minimal Django view
inserting one row, on a second scratch database of the same server, same worker and thread
count), gets the same load for as long. The two take turns in --rounds bursts (who goes
first alternates), so that whatever else the machine does weighs on both alike; the ratio
of their throughputs is printed for the whole run and for each round. Checks that exactly
as many responses are stored as 2xx/3xx answers were given, on both.

Each connection comes from its own loopback source address (127.0.0.N; ``--devices``), like
devices of real respondents: the public form's rate limit counts per device, so with a
single source address every submission would queue on one rate-limit row (``--devices 1``
measures that). Prints JSON, including the worker processes' and PostgreSQL's CPU time per
accepted response (less sensitive to other load on the machine than the throughput).

Run: .venv/bin/python bench/ingest_load.py [--seconds 60] [--rounds 6] [--connections 16]
     [--workers 2] [--threads 8]
     [--skip-baseline] [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
KOKEMUS = str(ROOT / ".venv" / "bin" / "kokemus")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(admin_url: str, sql: str) -> str:
    return subprocess.run(["psql", admin_url, "-tAc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def scratch_db(admin_url: str, prefix: str) -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    psql(admin_url, f"CREATE DATABASE {name}")
    return name, admin_url.rsplit("/", 1)[0] + "/" + name


def drop_db(admin_url: str, name: str) -> None:
    psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


SETUP = """
from kokemus.accounts import actions as a
from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Unit
from kokemus.surveys import actions as s
from kokemus.surveys.questions import new_question
user = a.do_create_user(SYSTEM, email="bench@example.com", password=None, validate=False)
from kokemus.accounts.audit import Actor
org = a.do_create_organisation(Actor(user=user), name="Bench", slug="bench")
root = Unit.objects.get(organisation=org, parent__isnull=True)
site = a.do_create_unit(SYSTEM, org, name="Site", parent=root)
survey = s.do_create_survey(SYSTEM, org, name={"fi": "B"}, publish=True,
    questions=[new_question("nps", "nps", required=True), new_question("free_text", "why")])
cp = s.do_create_collection_point(SYSTEM, survey, unit=site)
print(cp.code)
"""


def server_env(db_url: str, var_dir: str, extra: dict | None = None) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url, "KOKEMUS_VAR_DIR": var_dir,
           "KOKEMUS_RESPOND_RATE_LIMIT": "1000000000", "DEBUG": "false",
           "KOKEMUS_TESTING": "false", "SECRET_KEY": "bench-" + "k" * 60,
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "ERROR", "AXES_ENABLED": "false"}
    env.update(extra or {})
    return env


def prepare(env: dict) -> str:
    subprocess.run([KOKEMUS, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([KOKEMUS, "createcachetable"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run([KOKEMUS, "shell", "-c", SETUP], env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def wait_up(port: int, path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Connection: close\r\n\r\n".encode())
                if s.recv(64):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def start_kokemus(env: dict, port: int, workers: int = 2, threads: int = 8
                  ) -> subprocess.Popen:
    proc = subprocess.Popen([KOKEMUS, "serve", "--bind", f"127.0.0.1:{port}", "--workers",
                             str(workers), "--threads", str(threads), "--no-collectstatic"],
                            env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_up(port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


class Stats:
    def __init__(self):
        self.latencies: list[float] = []
        self.status: dict[int, int] = {}
        self.accepted: set[str] = set()   # idempotency keys answered 2xx/3xx
        self.retry_after_missing = 0
        self.errors = 0

    def summary(self, seconds: float) -> dict:
        lat = sorted(self.latencies)

        def pct(p):
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None

        ok = len(self.accepted)
        return {"requests": len(lat), "accepted": ok,
                "accepted_per_s": round(ok / seconds, 1),
                "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                "status": {str(k): v for k, v in sorted(self.status.items())},
                "connection_errors": self.errors}


async def one_request(reader, writer, port, path, body: bytes):
    writer.write(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (path.encode(), port, len(body), body))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    length = int(headers.get("content-length", 0))
    if length:
        await reader.readexactly(length)
    return status, headers


def device_ip(i: int, devices: int) -> str:
    """The loopback source address of connection ``i`` (Linux routes all of 127/8 to lo)."""
    n = i % max(devices, 1)
    return f"127.0.{n // 250}.{n % 250 + 1}"


async def client_loop(port, path, deadline, stats: Stats, retry: bool, stop_event=None,
                      local_ip: str | None = None):
    reader = writer = None
    pending: str | None = None
    while time.time() < deadline or (retry and pending):
        if time.time() > deadline + 60:
            break
        key = pending or uuid.uuid4().hex
        body = f"q-nps=9&q-why=hyva&idem={key}".encode()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(local_ip, 0) if local_ip else None)
            t0 = time.perf_counter()
            status, headers = await one_request(reader, writer, port, path, body)
            stats.latencies.append(time.perf_counter() - t0)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats.errors += 1
            if writer is not None:
                writer.close()
            writer = None
            pending = key if retry else None
            await asyncio.sleep(0.2)
            continue
        stats.status[status] = stats.status.get(status, 0) + 1
        if status < 400:
            stats.accepted.add(key)
            pending = None
        else:
            if status == 503 and "retry-after" not in headers:
                stats.retry_after_missing += 1
            pending = key if retry else None
            if status == 503:
                await asyncio.sleep(min(float(headers.get("retry-after", 1)), 1.0))
        if headers.get("connection", "").lower() == "close":
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def drive(port, path, seconds, connections, retry=False, devices=1) -> Stats:
    """``connections`` keep-alive connections; connection i comes from device (source IP)
    i % devices, so each device's rate-limit counter is its own row, as in real use."""
    stats = Stats()
    deadline = time.time() + seconds
    await asyncio.gather(*(client_loop(port, path, deadline, stats, retry,
                                       local_ip=device_ip(i, devices) if devices > 1 else None)
                           for i in range(connections)))
    return stats


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this process (the load generator)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_cpu_seconds(proc: subprocess.Popen) -> float:
    """User + system CPU seconds of the server's worker processes (Linux /proc)."""
    total = 0
    try:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in kids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """User + system CPU seconds of the local PostgreSQL server's processes (Linux /proc),
    including backends that have exited (their time is in the postmaster's children's
    time). Only meaningful when the server runs on this machine."""
    procs: dict[str, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat[stat.index("(") + 1:stat.rindex(")")].startswith(("postgres", "postmaster")):
            procs[entry.name] = stat.rsplit(")", 1)[1].split()
    total = 0
    for fields in procs.values():
        total += int(fields[11]) + int(fields[12])
        if fields[1] not in procs:  # the postmaster: the time of exited children too
            total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_ms_per_accepted(cpu: float, stats: Stats) -> float | None:
    return round(cpu * 1000 / len(stats.accepted), 2) if stats.accepted else None


def per_request_ms(cpu: float, stats: Stats) -> float | None:
    return round(cpu * 1000 / len(stats.latencies), 3) if stats.latencies else None


def commits(admin_url: str, dbname: str) -> int:
    """Transactions committed in the database so far (PostgreSQL's statistics; with group
    commit one transaction stores several submissions)."""
    time.sleep(1.2)  # backends report their counts at most once a second
    return int(psql(admin_url, "SELECT xact_commit FROM pg_stat_database "
                               f"WHERE datname = '{dbname}'") or 0)


def count_rows(admin_url: str, dbname: str, sql: str) -> int:
    url = admin_url.rsplit("/", 1)[0] + "/" + dbname
    return int(psql(url, sql))


class Server:
    """One server under test with the figures its bursts add up to."""

    def __init__(self, name: str, proc: subprocess.Popen, port: int, path: str,
                 admin_url: str, dbname: str, count_sql: str):
        self.name, self.proc, self.port, self.path = name, proc, port, path
        self.admin_url, self.dbname, self.count_sql = admin_url, dbname, count_sql
        self.stats = Stats()
        self.cpu = self.own = self.pg = 0.0
        self.bursts: list[float] = []  # accepted per second of each burst

    def burst(self, seconds: float, connections: int, devices: int) -> None:
        cpu0, own0, pg0 = worker_cpu_seconds(self.proc), own_cpu_seconds(), \
            postgres_cpu_seconds()
        before = len(self.stats.accepted)
        part = asyncio.run(drive(self.port, self.path, seconds, connections, devices=devices))
        self.cpu += worker_cpu_seconds(self.proc) - cpu0
        self.own += own_cpu_seconds() - own0
        self.pg += postgres_cpu_seconds() - pg0
        self.stats.latencies += part.latencies
        for status, n in part.status.items():
            self.stats.status[status] = self.stats.status.get(status, 0) + n
        self.stats.accepted |= part.accepted
        self.stats.retry_after_missing += part.retry_after_missing
        self.stats.errors += part.errors
        self.bursts.append(round((len(self.stats.accepted) - before) / seconds, 1))

    def summary(self, seconds: float) -> dict:
        stored = count_rows(self.admin_url, self.dbname, self.count_sql)
        return {**self.stats.summary(seconds),
                "worker_cpu_ms_per_accepted": cpu_ms_per_accepted(self.cpu, self.stats),
                "postgres_cpu_ms_per_accepted": cpu_ms_per_accepted(self.pg, self.stats),
                "load_generator_cpu_ms_per_request": per_request_ms(self.own, self.stats),
                "accepted_per_s_by_burst": self.bursts,
                "stored": stored,
                "stored_equals_accepted": stored == len(self.stats.accepted)}


def start_baseline(env: dict, db_url: str, workers: int, threads: int
                   ) -> tuple[subprocess.Popen, int]:
    """bench/baseline_app.py under gunicorn (same workers and threads as `kokemus serve`),
    on its own database of the same server."""
    psql(db_url, "CREATE TABLE IF NOT EXISTS bench_baseline_row (id bigserial PRIMARY KEY,"
                 " idem varchar(100) UNIQUE, nps integer, created_at timestamptz "
                 "DEFAULT now())")
    port = free_port()
    proc = subprocess.Popen([GUNICORN, "bench.baseline_app:application", "--bind",
                             f"127.0.0.1:{port}", "--workers", str(workers),
                             "--threads", str(threads), "--worker-class", "gthread"],
                            cwd=str(ROOT), env={**env, "DATABASE_URL": db_url,
                                                "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(port, "/r/x/")
    return proc, port


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60,
                    help="seconds of load on each server (default 60)")
    ap.add_argument("--rounds", type=int, default=6,
                    help="bursts per server: the servers take turns, seconds/rounds each, "
                         "so that other load on the machine weighs on both alike "
                         "(default 6; 1 = kokemus for all its seconds, then the baseline)")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8,
                    help="threads per worker, of both servers (default 8, as `kokemus serve`)")
    ap.add_argument("--devices", type=int, default=None,
                    help="distinct client source addresses (default: one per connection; "
                         "1 = every request from 127.0.0.1, one shared rate-limit row)")
    ap.add_argument("--admin-url", default=os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--skip-baseline", action="store_true",
                    help="measure kokemus only (no ratio; for quick iterations)")
    args = ap.parse_args()
    devices = args.connections if args.devices is None else args.devices
    rounds = max(args.rounds, 1)
    var = f"/tmp/kokemus-ingest-{uuid.uuid4().hex[:6]}"
    dbname, db_url = scratch_db(args.admin_url, "kokemus_bench")
    bname = None
    result = {"bench": "ingest_load", "seconds": args.seconds, "rounds": rounds,
              "connections": args.connections, "devices": devices, "workers": args.workers,
              "threads": args.threads}
    procs: list[subprocess.Popen] = []
    try:
        env = server_env(db_url, var)
        code = prepare(env)
        port = free_port()
        procs.append(start_kokemus(env, port, args.workers, args.threads))
        servers = [Server("kokemus", procs[0], port, f"/r/{code}/", args.admin_url, dbname,
                          "SELECT count(*) FROM responses_response")]
        if not args.skip_baseline:
            bname, bdb_url = scratch_db(args.admin_url, "kokemus_bench_base")
            bproc, bport = start_baseline(env, bdb_url, args.workers, args.threads)
            procs.append(bproc)
            servers.append(Server("baseline", bproc, bport, "/r/base/", args.admin_url,
                                  bname, "SELECT count(*) FROM bench_baseline_row"))
        x0 = commits(args.admin_url, dbname)
        for i in range(rounds):
            # take turns; who goes first alternates, so neither always follows the other
            for server in (servers if i % 2 == 0 else servers[::-1]):
                server.burst(args.seconds / rounds, args.connections, devices)
        xacts = commits(args.admin_url, dbname) - x0
        for proc in procs:
            stop(proc)
        for server in servers:
            result[server.name] = server.summary(args.seconds)
        result["kokemus"]["postgres_transactions_per_accepted"] = round(
            xacts / max(len(servers[0].stats.accepted), 1), 3)
        if not args.skip_baseline:
            b = result["baseline"]["accepted_per_s"] or 1
            result["ratio_to_baseline"] = round(result["kokemus"]["accepted_per_s"] / b, 3)
            result["ratio_by_round"] = [
                round(ours / theirs, 3) if theirs else None
                for ours, theirs in zip(servers[0].bursts, servers[1].bursts, strict=True)]
    finally:
        for proc in procs:
            if proc.poll() is None:
                stop(proc)
        drop_db(args.admin_url, dbname)
        if bname:
            drop_db(args.admin_url, bname)
        subprocess.run(["rm", "-rf", var])
    return finish(result)


def finish(result: dict) -> int:
    print(json.dumps(result, indent=2))
    ok = all(result[k]["stored_equals_accepted"] for k in ("kokemus", "baseline")
             if k in result)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
