import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the production web server (gunicorn) with N stateless worker processes."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KOKEMUS_BIND", "127.0.0.1:8000"),
                            help="host:port to listen on (default %(default)s)")
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1))),
                            help="worker processes (default %(default)s)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)),
                            help="threads per worker (default %(default)s)")
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="skip collecting static files before starting")

    def handle(self, *args, **opts):
        if not opts["no_collectstatic"] and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        from gunicorn.app.base import BaseApplication

        from kokemus.wsgi import application

        class App(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", opts["bind"])
                self.cfg.set("workers", opts["workers"])
                self.cfg.set("threads", opts["threads"])
                self.cfg.set("timeout", opts["timeout"])
                self.cfg.set("accesslog", os.environ.get("ACCESS_LOG") or None)
                self.cfg.set("graceful_timeout", 20)

            def load(self):
                return application

        self.stdout.write(f"kokemus serving on http://{opts['bind']} "
                          f"({opts['workers']} workers × {opts['threads']} threads)")
        App().run()
