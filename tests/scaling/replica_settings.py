"""kokemus.settings plus the read-replica patch of docs/scaling.md (used by the scaling
tests' subprocesses until settings.py carries the same lines; harmless after)."""

import dj_database_url

from kokemus.env import envint, envstr
from kokemus.settings import *  # noqa: F403
from kokemus.settings import DATABASES, MIDDLEWARE, TEMPLATES

_replica_url = envstr("DATABASE_REPLICA_URL", "")
if _replica_url and "replica" not in DATABASES:
    DATABASES["replica"] = dj_database_url.parse(
        _replica_url, conn_max_age=envint("CONN_MAX_AGE", 60), conn_health_checks=True)
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = envint(
        "DATABASE_REPLICA_CONNECT_TIMEOUT", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kokemus.dbrouting.ReplicaRouter"]
if "kokemus.dbrouting.ReplicaMiddleware" not in MIDDLEWARE:
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
                      + 1, "kokemus.dbrouting.ReplicaMiddleware")
_cps = TEMPLATES[0]["OPTIONS"]["context_processors"]
if "kokemus.dbrouting.data_as_of" not in _cps:
    _cps.append("kokemus.dbrouting.data_as_of")
KOKEMUS_REPLICA_MAX_LAG = envint("KOKEMUS_REPLICA_MAX_LAG", 30)
KOKEMUS_REPLICA_NOTICE_LAG = envint("KOKEMUS_REPLICA_NOTICE_LAG", 2)
