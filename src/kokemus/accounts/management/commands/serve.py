"""``kokemus serve``: the production web server (gunicorn, threaded workers).

The application is loaded and warmed up once in the master process before the workers
are forked (``preload_app``): URL resolvers for every language, translation catalogues,
the question type catalogue and the templates of the public pages are built there and
shared by every worker, instead of each worker thread rebuilding them under load on its
first requests. No database connection is opened before the fork.

Defaults: one worker process per core with 8 threads each (``WEB_CONCURRENCY``,
``WEB_THREADS``). The threads of a process are what the public form's group commit
(:mod:`kokemus.responses.groupcommit`) batches: with 8 rather than 4 a statement stores
about three submissions instead of two, which on 2 cores raised the throughput of
``bench/ingest_load.py`` by about a fifth at the same database connection count (workers ×
threads = 8 per core, as with the former 2 workers × 4 threads per core).
"""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

PUBLIC_TEMPLATES = [
    "surveys/respond.html", "surveys/respond_notice.html", "surveys/respond_thanks.html",
    "base.html",
]


def warm_up() -> None:
    """Build the per-process caches a request would otherwise build lazily."""
    from django.db import connections
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template
    from django.urls import get_resolver, resolve
    from django.utils import translation

    from kokemus.surveys.questions import load_data

    load_data()
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Thank you")
            resolver.reverse_dict  # noqa: B018 - populated per active language
            resolver.namespace_dict  # noqa: B018
            resolve("/healthz")
    for name in PUBLIC_TEMPLATES:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            pass
    connections.close_all()  # never share a database connection with the forked workers


class Command(BaseCommand):
    help = "Run the production web server (gunicorn) with N stateless worker processes."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KOKEMUS_BIND", "127.0.0.1:8000"),
                            help="host:port to listen on (default %(default)s)")
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1)),
                            help="worker processes (default %(default)s)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 8)),
                            help="threads per worker (default %(default)s)")
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument("--keep-alive", type=int,
                            default=int(os.environ.get("WEB_KEEPALIVE", 5)),
                            help="seconds an idle keep-alive connection stays open "
                                 "(default %(default)s)")
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="skip collecting static files before starting")

    def handle(self, *args, **opts):
        if not opts["no_collectstatic"] and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        from gunicorn.app.base import BaseApplication

        from kokemus.wsgi import application

        warm_up()

        class App(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", opts["bind"])
                self.cfg.set("workers", opts["workers"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", opts["threads"])
                self.cfg.set("timeout", opts["timeout"])
                self.cfg.set("keepalive", opts["keep_alive"])
                self.cfg.set("preload_app", True)
                self.cfg.set("accesslog", os.environ.get("ACCESS_LOG") or None)
                self.cfg.set("graceful_timeout", 20)

            def load(self):
                return application

        self.stdout.write(f"kokemus serving on http://{opts['bind']} "
                          f"({opts['workers']} workers × {opts['threads']} threads)")
        App().run()
