"""The cache (API rate limits, other shared counters) is shared by every web process: the
database cache by default, Redis with CACHE_URL. One process counts, another sees it.
(The public form's per-device limit has its own table: tests/surveys/test_respond_ingest.py.)"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys, time
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from kokemus.api import ratelimit
from kokemus.api.errors import ApiError
step = sys.argv[1]
if step == "first":
    cache.clear()
    cache.set("kokemus:scaling:probe", {"from": "first"}, 60)
    window = int(time.time() // 60)
    for _ in range(3):
        ratelimit.check_request(77)     # the API's per-token counter, limit 3 per minute
    print(json.dumps({"key": f"kokemus:api:rl:77:{window}",
                      "backend": settings.CACHES["default"]["BACKEND"]}))
else:
    probe = cache.get("kokemus:scaling:probe")
    key = sys.argv[2]
    count = cache.get(key)
    over = False
    if key.endswith(f":{int(time.time() // 60)}"):   # still the same minute window
        try:
            ratelimit.check_request(77)
        except ApiError as exc:
            over = exc.status == 429
    else:
        over = True   # the window rolled over between the processes; the count above decides
    cache.clear()
    print(json.dumps({"probe": probe, "over": over, "count": count}))
"""


def _redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


def _run(env, *args):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["redis", "database"])
def test_rate_limit_counted_in_one_process_is_seen_by_another(backend, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(KOKEMUS_TESTING="1", DJANGO_SETTINGS_MODULE="kokemus.settings",
               KOKEMUS_API_REQUESTS_PER_MINUTE="3", KOKEMUS_VAR_DIR=tempfile.mkdtemp(),
               PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    if backend == "redis":
        if not _redis_up():
            if os.environ.get("CI") == "true":
                pytest.fail("Redis on 127.0.0.1:6379 is required under CI=true")
            pytest.skip("Redis not running on 127.0.0.1:6379")
        env["CACHE_URL"] = "redis://127.0.0.1:6379/15"
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        env["CACHE_URL"] = ""
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        subprocess.run([str(ROOT / ".venv/bin/kokemus"), "createcachetable"], env=env,
                       cwd=ROOT, check=True, capture_output=True)
    first = _run(env, "first")
    assert ("Redis" in first["backend"]) == (backend == "redis")
    second = _run(env, "second", first["key"])
    assert second["probe"] == {"from": "first"}
    assert second["count"] == 3 and second["over"] is True
