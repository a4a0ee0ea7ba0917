"""The baseline for bench/ingest_load.py: the smallest Django view that inserts one row.

Own settings (no middleware but CommonMiddleware-free defaults, no apps), the same
PostgreSQL database, one table created by raw SQL. Served by gunicorn with the same
worker count: `gunicorn bench.baseline_app:application`.
"""

import os

import dj_database_url
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False, SECRET_KEY="bench-baseline-" + "x" * 40, ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__, MIDDLEWARE=[], INSTALLED_APPS=[],
        DATABASES={"default": dj_database_url.parse(os.environ["DATABASE_URL"],
                                                    conn_max_age=60, conn_health_checks=True)},
        USE_TZ=True)

import django  # noqa: E402

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

TABLE = "bench_baseline_row"
CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, "
          "idem varchar(100) UNIQUE, nps integer, created_at timestamptz DEFAULT now())")


@csrf_exempt
def insert(request, code):
    if request.method != "POST":  # the bench's start-up probe: nothing to store
        return HttpResponse(status=200, headers={"Content-Length": "0"})
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (idem, nps) VALUES (%s, %s) "
                    "ON CONFLICT (idem) DO NOTHING",
                    [request.POST.get("idem", ""), int(request.POST.get("q-nps", 0) or 0)])
    return HttpResponse(status=302, headers={"Location": f"/r/{code}/thanks/",
                                             "Content-Length": "0"})


urlpatterns = [path("r/<str:code>/", insert)]
application = get_wsgi_application()
