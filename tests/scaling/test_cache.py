"""The cache (sessions of the API, rate limits) is shared by every web process: the
database cache by default, Redis with CACHE_URL. One process counts, another sees it."""

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
import json, sys
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory
from kokemus.surveys.public_views import _over_rate_limit
from kokemus.api import ratelimit
step = sys.argv[1]
req = RequestFactory().post("/r/x/", REMOTE_ADDR="203.0.113.9")
if step == "first":
    cache.clear()
    cache.set("kokemus:scaling:probe", {"from": "first"}, 60)
    over = [_over_rate_limit(req, "SCALE") for _ in range(3)]
    print(json.dumps({"over": over, "backend": settings.CACHES["default"]["BACKEND"]}))
else:
    probe = cache.get("kokemus:scaling:probe")
    over = _over_rate_limit(req, "SCALE")   # 4th submission, limit is 3
    count = cache.get("kokemus:respond:SCALE:203.0.113.9")
    cache.clear()
    print(json.dumps({"probe": probe, "over": over, "count": count}))
"""


def _redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


def _run(env, step):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, step], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["redis", "database"])
def test_rate_limit_counted_in_one_process_is_seen_by_another(backend, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(KOKEMUS_TESTING="1", DJANGO_SETTINGS_MODULE="kokemus.settings",
               KOKEMUS_RESPOND_RATE_LIMIT="3", KOKEMUS_VAR_DIR=tempfile.mkdtemp(),
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
    assert first["over"] == [False, False, False]
    assert ("Redis" in first["backend"]) == (backend == "redis")
    second = _run(env, "second")
    assert second["probe"] == {"from": "first"}
    assert second["over"] is True and second["count"] == 4
